#if canImport(Glibc)
import Glibc
#endif
import CLinux
import LVS
import Logging
import VRRP
import VigilLinux
import VigilPlan
import VigilConfig
import VigilTypes

/// `vigil run`: drives the box's VRRP engine and the pool with real time and performs
/// their outputs.
///
/// One thread, one wait (`Poller`): the VRRP sockets, the signals (SIGTERM/SIGINT stop,
/// SIGHUP reloads), the monitors, the control socket, bounded by the earliest deadline of
/// anything (nanosecond resolution, so 10 ms adverts keep their pace). The daemon decides
/// what goes where; the waiting, the sockets and the kernel are VigilLinux's.
public final class Daemon {
    /// Per instance, what `vigil status` counts.
    struct Counters {
        /// keepalived's counters (`keepalived.stats`, the JSON dump): adverts in and out,
        /// mastership gained and released, packet errors by keepalived's kinds, priority 0.
        var stats = KeepalivedDump.Stats()
        var transitions = 0
        /// Rejected adverts by Vigil's reason (`vigil status`, the metrics).
        var rejections: [String: Int] = [:]
        /// What another program removed from this master and Vigil put back, by kind
        /// ("address", …).
        var restored: [String: Int] = [:]
        /// VIPs another program added while this box was not master (reported, left).
        var foreignAddresses = 0
        /// The last transition, wall-clock microseconds since the epoch (0: none yet).
        var lastTransition: Int64 = 0
    }

    /// The box's VRRP: every instance's core, their sync groups, the VRID lookup. The
    /// engine's instance IDs index `plans` and `plan.instances`.
    var engine: VRRPEngine
    var routers: [VirtualRouter] { engine.routers }
    /// The instances as wired (a use_vmac instance's addresses moved onto its macvlan);
    /// `plan.instances` holds them as planned (what a reload compares). The performer
    /// keeps them: it acts on them.
    var plans: [InstancePlan] {
        get { performer.plans }
        set { performer.plans = newValue }
    }
    /// What the instances' actions do on the box (adverts, VIPs, routes, announcements),
    /// with strict mode's drop rules as its gate.
    let performer: ActionPerformer<StrictFirewallPlan>
    /// What `vigil status` counts, by instance name: an instance a reload keeps (same name,
    /// settings changed or not) keeps its counts, a new name starts from zero, a removed
    /// one's go.
    var counters: [String: Counters] = [:]
    /// Instance `i`'s counters.
    subscript(counters i: Int) -> Counters {
        get { counters[plans[i].router.name] ?? Counters() }
        set { counters[plans[i].router.name] = newValue }
    }
    var wiring = Wiring()
    /// What the daemon changes on the box: links, VIPs, routes (fakes in tests).
    let edge: DaemonEdge
    var addresses: any AddressInstalling { edge.addresses }
    var routes: any RouteKeeping { edge.routes }
    let logger: Logger
    /// Every child process (scripts, checks, nft): started clean, never waited for.
    let children = ChildSupervisor()
    let scripts: NotifyRunner
    /// keepalived's SMTP alerts, sent off the loop.
    let alerts: AlertMailer
    var rejections = RejectionLog()
    var transitionLog = TransitionLog()
    /// Rejected packets that reached no instance (bad header, unknown VRID), per interface.
    var interfaceRejections: [String: [String: Int]] = [:]
    let signals: SignalSource
    /// The loop's one wait, over everything `Watched` names.
    let poller = Poller<Watched>()
    let links: LinkMonitor
    /// The guard's eyes on routes and rules, and on the nftables table (nil: unavailable).
    let routing: RoutingMonitor?
    let nftables: NFTablesMonitor?
    /// Other boxes' gratuitous ARPs and unsolicited NAs (nil: no VRRP instance yet, or it
    /// could not open): when a handover's successor has told the clients.
    var announcementWatcher: AnnouncementWatcher?
    var plan: DaemonPlan
    var trackScripts: TrackScriptRunner
    var trackProcesses: TrackProcessMonitor
    let lvs: LVSRunner
    var files: FileWatcher?
    /// Last number read from each track_file, by name.
    var fileNumbers: [String: Int64] = [:]
    /// Strict mode's drop rules (nftables) for instances without `accept`: the performer's
    /// gate.
    var firewall: StrictFirewallPlan {
        get { performer.gate }
        set { performer.gate = newValue }
    }
    /// Where a reload reads the configuration (nil: reload refused, e.g. in tests).
    let source: PlanSource?
    /// The configuration running: planned again when an interface it names appears, goes
    /// or comes back with another index (nil: not followed, e.g. in tests).
    var configuration: Configuration?
    /// Interfaces (by index) that appeared but could not be planned yet (no address):
    /// their next link or address event plans again.
    var replanPending = Set<Int32>()
    let notifier = SystemdNotifier()
    var nextWatchdog: Instant?
    let control: ControlSocket?
    let startedAt: Instant
    var lastReload = "never"
    /// `metrics_listen`: Prometheus metrics and their HTTP endpoint (nil: not asked for).
    let metrics: Metrics?
    var metricsServer: MetricsServer?
    /// At most one line per 10 s about the control socket running out of descriptors.
    var acceptLog = LogThrottle(interval: 10_000_000)
    /// …and about ppoll failing.
    var pollLog = LogThrottle(interval: 10_000_000)
    /// A transition happened: systemd's STATUS line is due.
    var statusChanged = false
    /// Instances a reload removed while they held their VIPs, until they release them.
    var departures: [Departure] = []
    /// `announce`: which routes are announced, and the device that carries them.
    var announcements: AnnouncementState
    var announcer: (any RouteAnnouncing)?
    /// Instances (by name) whose planned handover ended: until when their routes stay
    /// announced (`routeHandoverGrace`).
    var announceGrace: [String: Instant] = [:]

    /// `vigil run`'s daemon: the kernel's edge.
    public convenience init(plan: DaemonPlan, logger: Logger, source: PlanSource? = nil, configuration: Configuration? = nil,
                            controlSocket: String? = nil) throws {
        try self.init(plan: plan, logger: logger, source: source, configuration: configuration, controlSocket: controlSocket,
                      edge: .kernel(logger: logger))
    }

    init(plan: DaemonPlan, logger: Logger, source: PlanSource? = nil, configuration: Configuration? = nil,
         controlSocket: String? = nil, edge: DaemonEdge) throws {
        self.plan = plan
        self.edge = edge
        announcements = AnnouncementState(plan.announce.routes)
        startedAt = edge.clock()
        self.configuration = configuration
        self.logger = logger
        self.source = source
        // SIGTERM/SIGINT stop, SIGHUP reloads, keepalived's dump signals write its files;
        // children ending wake the loop, so a script's verdict is acted on at once. Every
        // other signal is ignored, as keepalived does: none ends the daemon uncleanly.
        // First: from the IPVS table on, a stop must reach the loop's clean-up.
        signals = try SignalSource(DaemonSignal.handled, ignoringTheRest: true)
        for note in plan.notes { note.hasPrefix("error") ? logger.error("\(note)") : logger.warning("\(note)") }
        scripts = NotifyRunner(logger: logger, children: children, user: plan.scriptUser, refused: plan.refusedCommands)
        metrics = plan.metricsListen == nil ? nil : Metrics()
        alerts = AlertMailer(plan.alerts, logger: logger)
        // The IPVS table before the VRRP side: a restarted director forwards again at once.
        let lvs = LVSRunner(plan.lvs, logger: logger, scripts: scripts, children: children, metrics: metrics, alerts: alerts,
                            fullNAT: edge.fullNAT, openKernel: edge.ipvs, interfaces: edge.interfaces)
        lvs.program()
        self.lvs = lvs
        do {
            let firewall = StrictFirewallPlan(plan.instances, firewall: edge.nft, children: children, logger: logger)
            links = try LinkMonitor()
            do { routing = try RoutingMonitor() } catch {
                routing = nil
                logger.warning("virtual routes and rules removed by another program will not be noticed: \(error)")
            }
            do { nftables = try NFTablesMonitor(table: "vigil") } catch {
                nftables = nil
                if firewall.needed { logger.warning("changes to the nftables table by another program will not be noticed: \(error)") }
            }
            announcementWatcher = plan.instances.isEmpty ? nil : Self.openAnnouncementWatcher(logger: logger)
            trackScripts = TrackScriptRunner(plan.scripts, now: edge.clock(), children: children, logger: logger)
            trackProcesses = TrackProcessMonitor(plan.trackProcesses, now: edge.clock(), logger: logger)
            Self.initialiseTrackFiles(plan.trackFiles, logger: logger)
            files = plan.trackFiles.isEmpty ? nil : try FileWatcher(paths: plan.trackFiles.map(\.path))
            var control: ControlSocket?
            if let controlSocket {
                do { control = try ControlSocket(path: controlSocket) } catch {
                    logger.error("control socket: \(error); vigil status/reload/drain will not reach this daemon (SIGHUP still reloads)")
                }
            }
            self.control = control
            let wired: [InstancePlan]
            (wiring, wired) = try Self.wire(plan.instances, previous: Wiring(), links: edge.links, logger: logger)
            performer = ActionPerformer(plans: wired, gate: firewall, addresses: edge.addresses, routes: edge.routes, logger: logger)
            engine = VRRPEngine(routers: plan.instances.map { VirtualRouter($0.router) }, channels: wiring.socketOfInstance,
                                syncGroups: Self.syncGroups(plan, carrying: [:]))
        } catch {
            // The start fails after the table went in: it goes again, as at a stop.
            lvs.withdraw()
            throw error
        }
        performer.advertChecksum = { [unowned self] i in routers[i].advertisementChecksum }
        performer.transport = { [unowned self] i -> (any AdvertTransport)? in
            if let socket = wiring.transmitSocket[i] { return socket }
            return wiring.socketOfInstance[i].map { wiring.sockets[$0] }
        }
        performer.announcer = { [unowned self] link, ipv6 -> (any AddressAnnouncing)? in
            ipv6 ? wiring.neighbourAnnouncers[link] : wiring.announcers[link]
        }
        performer.advertSent = { [unowned self] i, priority in
            self[counters: i].stats.advertSent += 1
            if priority == 0 { self[counters: i].stats.priorityZeroSent += 1 }
            metrics?.advertSent(plans[i].router.name)
        }
        performer.addressesChanged = { [lvs] list, present in lvs.addressesChanged(list, present: present) }
    }

    static func initialiseTrackFiles(_ list: [DaemonPlan.TrackFilePlan], logger: Logger) {
        for f in list {
            guard let value = f.initValue else { continue }
            do { try FileWatcher.initialise(f.path, value: value, overwrite: f.overwrite) } catch {
                logger.error("track_file \(f.name): init_file: \(error)")
            }
        }
    }

    /// The sync groups' coordinators; a group named in `carrying` keeps that state.
    static func syncGroups(_ plan: DaemonPlan, carrying: [String: VRRPState]) -> [SyncGroupCoordinator] {
        plan.syncGroups.map {
            SyncGroupCoordinator(name: $0.name, members: $0.members, state: carrying[$0.name] ?? .initialize)
        }
    }

    /// Runs until SIGTERM or SIGINT; then priority-0 adverts (notify scripts for the move to
    /// INIT start with them), the VIPs kept until the new masters are heard (`handOver`),
    /// then removed with IPVS, macvlans, the drop rules and static routes.
    public func run() {
        start(at: edge.clock())
        // Start-up is over: its code need not stay resident (idle RSS; StartupPages).
        if let released = StartupPages.release() { logger.debug("released \(released / 1024) kB of start-up pages") }
        var now: Instant
        var stop = false
        while !stop {
            now = edge.clock()
            let deadline = (departures.compactMap(\.router.nextDeadline)
                + [engine.nextDeadline, trackScripts.nextDeadline, trackProcesses.nextDeadline, lvs.nextDeadline, children.nextDeadline, scripts.nextDeadline,
                   performer.nextDeadline, control?.pausedUntil, nextWatchdog, nextAnnounceDeadline].compactMap { $0 }).min()
            // Rebuilt each turn: a reload may change the sockets and the descriptors.
            let sockets = polledSockets
            let listening = control?.isListening(at: now) == true ? control?.fileDescriptor : nil
            var watched = [(Watched.signals, signals.fileDescriptor), (.links, links.fileDescriptor),
                           (.trackFiles, files?.fileDescriptor), (.processEvents, trackProcesses.events?.fileDescriptor),
                           (.checkResults, lvs.wakeup?.fileDescriptor), (.controlListener, listening),
                           (.routing, routing?.fileDescriptor), (.nftables, nftables?.fileDescriptor)]
                .map { (source: $0, fd: $1 ?? -1, events: Poller<Watched>.readable) }
            watched += watchingAnnouncements
            watched += (control?.clientPolls ?? []).map { (.controlClient($0.fd), $0.fd, $0.events) }
            watched += Self.watching(sockets)
            let ready: Set<Watched>
            switch poller.wait(watched, timeout: deadline.map { max(0, $0 - now) } ?? 1_000_000) {
            case let .success(sources): ready = sources
            case let .failure(failure):
                // The poller rested 10 ms instead of waiting: the loop goes on, the journal
                // hears of it once per 10 s.
                if pollLog.due(at: edge.clock()) { logger.error("\(failure); the loop waits 10 ms per turn until it recovers") }
                ready = []
            }
            now = edge.clock()
            var reload = false
            if ready.contains(.signals) { (stop, reload) = readSignals() }
            if ready.contains(.links) { linkChanged(at: now) }
            if ready.contains(.trackFiles), files?.drain() == true { readTrackFiles(at: now) }
            if ready.contains(.processEvents) { trackProcesses.eventsArrived(at: now) }
            if ready.contains(.checkResults) { lvs.resultsArrived() }
            if ready.contains(.routing) { routingChanged() }
            if ready.contains(.nftables) { nftablesChanged() }
            if ready.contains(.announcements) { readAnnouncements(at: now) }
            // Children first: a script's or nft's end is news for what follows.
            children.advance(to: now)
            firewall.advance(at: now)
            performer.releaseHeldBack(at: now)
            performer.retryAddresses(at: now)
            lvs.advance(to: now)
            for (name, reading) in trackProcesses.advance(to: now) { tracked(.process, name, reading, at: now) }
            // The wiring changes only at the end of a turn (a reload), so `s` indexes it here.
            readAdverts(sockets, ready: ready, at: now)
            for (name, reading) in trackScripts.advance(to: now) { scriptChanged(name, reading, at: now) }
            advanceRouters(to: now)
            scripts.reap()
            // Control requests come last: a reload they ask for sees this turn's state.
            if let control {
                if ready.contains(.controlListener), let error = control.accept(at: now), acceptLog.due(at: now) {
                    logger.error("control socket: \(error) (descriptors exhausted); clients wait \(formatMicro(ControlSocket.pause))")
                }
                let readyClients = Set(ready.compactMap { if case let .controlClient(fd) = $0 { fd } else { nil } })
                if !readyClients.isEmpty {
                    for (client, line) in control.service(ready: readyClients) {
                        control.reply(client, answer(line, at: edge.clock()))
                    }
                }
            }
            if reload && !stop { _ = self.reload(because: "SIGHUP") }
            // Pools' quorums move by check results, MISC_CHECK and FILE_CHECK verdicts,
            // drains; instances by adverts and timers: the announcements follow them all,
            // asked once per turn (a few comparisons; only changes reach the kernel).
            reannounce(at: edge.clock())
            feedWatchdog(at: now)
            if statusChanged {
                notifier.status(statusLine())
                statusChanged = false
            }
        }
        notifier.stopping(status: "stopping: masters hand over (priority 0) and keep their VIPs until the new master is heard")
        now = edge.clock()
        trackScripts.stop(at: now)
        perform(engine.shutdown(at: now, limit: Self.stopHandoverLimit))
        for d in departures.indices { _ = departures[d].router.shutdown(at: now, limit: Self.stopHandoverLimit) }
        // IPVS, the routes and the drop rules stay until the VIPs have gone.
        handOver(until: now + Self.stopHandoverLimit)
        performer.dropHeldBack()
        // The routers hear of it before IPVS goes: no new flow is sent to a table being emptied.
        stopAnnouncements(at: edge.clock())
        lvs.stop()
        scripts.finish(within: 2_000_000)
        // The "Stopping" alerts get a second to reach the SMTP server.
        alerts.stop(grace: 1_000_000)
        children.finish(within: 0, now: edge.clock)
        for vmac in wiring.virtualMACs.values {
            do { try vmac.remove() } catch { logger.error("removing \(vmac.name): \(error)") }
        }
        firewall.remove()
        routes.remove(plan.staticRoutes, for: "static")
        metricsServer?.stop()
    }

    /// Start-up, before the loop (the IPVS table is in already, from `init`): an earlier
    /// run's leftovers cleared, static routes in, the checkers started, what is known before
    /// the election (links, files, init_fail scripts) fed to the instances, the election
    /// started, systemd told.
    func start(at now: Instant) {
        removeStaleAddresses()
        routes.install(plan.staticRoutes, for: "static")
        lvs.startChecking()
        // Looking for a leftover drop table runs nft, a process: after the IPVS table
        // (Daemon.init), which a restarted director forwards with. Before the election,
        // which is what could add the addresses it drops.
        firewall.removeLeftover()
        startAnnouncements(at: now)
        scripts.openFIFOs(plan.fifos)
        if let listen = plan.metricsListen, let metrics {
            do {
                metricsServer = try MetricsServer(listen: listen, metrics: metrics, logger: logger)
                logger.info("metrics: Prometheus scrapes http://\(listen)/metrics")
            } catch {
                logger.error("\(error); running without metrics")
            }
        }
        for r in routers {
            metrics?.state(r.configuration.name, r.state)
            metrics?.priority(r.configuration.name, r.priority)
        }
        // What is known before the election: links, files, init_fail scripts.
        readTrackFiles(at: now)
        let table = try? edge.interfaces()
        for i in routers.indices { prime(i, at: now, scripts: trackScripts.initialReadings, interfaces: table) }
        for (name, reading) in trackProcesses.advance(to: now) { tracked(.process, name, reading, at: now) }
        if plan.startupDelay > 0, !routers.isEmpty {
            let why = plan.vrrpBootDelay > plan.vrrpStartupDelay ? "vrrp_delay_after_boot" : "vrrp_startup_delay"
            logger.info("\(why): the VRRP instances start in \(formatSeconds(plan.startupDelay)) s")
        }
        perform(engine.start(at: now, delay: plan.startupDelay))
        notifier.ready(status: statusLine())
        statusChanged = false
        if let interval = notifier.watchdogInterval { nextWatchdog = now + interval }
    }

    /// systemd's STATUS line: how many instances are in each state.
    func statusLine() -> String {
        var count: [VRRPState: Int] = [:]
        for r in routers { count[r.state, default: 0] += 1 }
        let states = [VRRPState.master, .backup, .fault, .initialize].compactMap { s in count[s].map { "\($0) \(s)" } }
        let vrrp = routers.isEmpty ? "no VRRP instances" : "\(routers.count) instance(s): " + states.joined(separator: ", ")
        let lvsPart = plan.lvs.pools.isEmpty ? "" : "; \(plan.lvs.pools.count) virtual server(s)"
        let reloadPart = lastReload.hasPrefix("refused") ? "; last reload \(lastReload)" : ""
        return vrrp + lvsPart + reloadPart
    }

    /// What the loop watches, by name.
    enum Watched: Hashable {
        case signals, links, trackFiles, processEvents, checkResults, controlListener, routing, nftables
        /// The announcement watcher's two sockets (gratuitous ARP, neighbour advertisements).
        case announcements
        case controlClient(Int32)
        /// A VRRP socket, by its place in the sockets polled this turn: the queue of what
        /// passed its screen, and of what did not.
        case vrrp(Int), vrrpScreened(Int)
    }

    /// The VRRP sockets' two queues to wait on, each named by the socket's place in `sockets`.
    static func watching(_ sockets: [any AdvertChannel]) -> [(source: Watched, fd: Int32, events: Int16)] {
        sockets.enumerated().flatMap { s, socket in
            [(Watched.vrrp(s), socket.fileDescriptor, Poller<Watched>.readable),
             (.vrrpScreened(s), socket.screenedDescriptor, Poller<Watched>.readable)]
        }
    }

    /// Reads the VRRP sockets that are ready: every queue of what passed a screen before
    /// any of what did not, so the adverts that can matter never wait behind a flood.
    func readAdverts(_ sockets: [any AdvertChannel], ready: Set<Watched>, at now: Instant) {
        for (s, socket) in sockets.enumerated() where ready.contains(.vrrp(s)) { drain(socket, screened: false, at: now) }
        for (s, socket) in sockets.enumerated() where ready.contains(.vrrpScreened(s)) {
            drain(socket, screened: true, at: now)
        }
    }

    /// Empties the signalfd: whether to stop, whether to reload (SIGCHLD only wakes the
    /// loop); the dump signals are answered at once.
    func readSignals() -> (stop: Bool, reload: Bool) {
        var stop = false, reload = false
        for number in signals.read() {
            switch DaemonSignal(number: number) {
            case .stop:
                logger.info("signal \(number): shutting down")
                stop = true
            case .reload:
                reload = true
            case .childEnded, nil:
                break
            case let answered?:
                dump(for: answered)
            }
        }
        return (stop, reload)
    }

    /// Tells instance `i` what is known before it starts: its links (as `interfaces`, read
    /// once for all the instances being started), the track files' numbers, the scripts'
    /// and processes' verdicts.
    func prime(_ i: Int, at now: Instant, scripts readings: [(name: String, reading: PriorityTracking.Reading)],
               interfaces: InterfaceTable?) {
        if plans[i].awaitsInterface {
            logger.warning("(\(plans[i].router.name)) interface \(plans[i].interface.name) does not exist yet: FAULT until it appears (dynamic_interfaces)")
            perform(engine.track(.down, kind: .interface, name: plans[i].interface.name, instance: i, at: now))
        }
        for (index, name) in plans[i].trackedInterfaces {
            let up = index == plans[i].interface.index ? plans[i].interface.isRunning
                : (interfaces?.interfaces.values.first { $0.index == index }?.isRunning ?? false)
            if !up { logger.warning("(\(plans[i].router.name)) interface \(name) is down") }
            perform(engine.track(up ? .up : .down, kind: .interface, name: name, instance: i, at: now))
        }
        for (name, value) in fileNumbers where routers[i].tracking.tracks(.file, name) {
            perform(engine.track(.number(value), kind: .file, name: name, instance: i, at: now))
        }
        for (kind, list) in [(PriorityTracking.Object.Kind.script, readings), (.process, trackProcesses.readings)] {
            for (name, reading) in list where routers[i].tracking.tracks(kind, name) {
                perform(engine.track(reading, kind: kind, name: name, instance: i, at: now))
            }
        }
    }

    /// A vrrp_script's verdict changed: every instance tracking it hears of it.
    func scriptChanged(_ name: String, _ reading: PriorityTracking.Reading, at now: Instant) {
        tracked(.script, name, reading, at: now)
    }

    func tracked(_ kind: PriorityTracking.Object.Kind, _ name: String, _ reading: PriorityTracking.Reading,
                         at now: Instant) {
        perform(engine.track(reading, kind: kind, name: name, at: now))
    }

    /// Reads every track_file; instances tracking one whose number changed hear of it.
    func readTrackFiles(at now: Instant) {
        defer { lvs.trackFiles(fileNumbers) }
        for f in plan.trackFiles {
            guard let value = FileWatcher.readNumber(at: f.path) else {
                logger.warning("track_file \(f.name): \(f.path) does not hold a number; keeping \(fileNumbers[f.name] ?? 0)")
                continue
            }
            if fileNumbers[f.name] == value { continue }
            if fileNumbers[f.name] != nil || value != 0 { logger.info("track_file \(f.name): \(f.path) now reads \(value)") }
            fileNumbers[f.name] = value
            perform(engine.track(.number(value), kind: .file, name: f.name, at: now))
        }
    }

    /// A VIP still on an interface from an earlier run that ended without cleaning up
    /// (kill -9, power loss) would answer beside the real master: remove each configured
    /// VIP before the election, as keepalived does. An address owner's VIPs are the
    /// interface's own addresses and stay.
    func removeStaleAddresses() {
        for plan in plans where plan.router.priority < 255 && !plan.awaitsInterface {
            let stale = plan.addresses.filter { address in
                do { return try addresses.remove(address) } catch {
                    logger.error("(\(plan.router.name)) \(error)")
                    return false
                }
            }
            if !stale.isEmpty {
                logger.notice("(\(plan.router.name)) removed \(stale.map(\.description).joined(separator: " ")) left from an earlier run")
            }
            routes.removeLeftovers(plan.routes, for: plan.router.name)
        }
    }

    /// Link events: an instance's interface going down puts it in Fault (its VIPs go, the
    /// peer takes over after Master_Down_Interval); coming back up starts a new election.
    func linkChanged(at now: Instant) {
        var changes: [LinkMonitor.Change]
        switch links.read() {
        case let .changes(list, addressChanges):
            changes = list
            // Addresses last: a deleted interface takes its VIPs with it, and its
            // instance must be out of MASTER (below) before the guard looks.
            defer { addressesChanged(addressChanges, at: edge.clock()) }
            interfacesMoved(list, addresses: addressChanges)
        case .lost:
            guardAllAddresses(at: now)
            logger.warning("link events were lost; reading the link table again")
            do {
                let table = try edge.interfaces()
                changes = wiring.instancesOnInterface.keys.map { index in
                    let link = table.interfaces.values.first { $0.index == index }
                    return LinkMonitor.Change(interfaceIndex: index, isUp: link?.isRunning ?? false)
                }
            } catch {
                logger.error("\(error)")
                return
            }
        }
        for change in changes {
            for i in wiring.instancesOnInterface[change.interfaceIndex] ?? [] {
                guard let name = plans[i].trackedInterfaces[change.interfaceIndex] else { continue }
                let outputs = engine.track(change.isUp ? .up : .down, kind: .interface, name: name, instance: i, at: now)
                if !outputs.isEmpty {
                    logger.info("(\(plans[i].router.name)) interface \(name) is \(change.isUp ? "up" : "down")")
                }
                perform(outputs)
            }
        }
    }

    /// Reads up to 256 packets from one of the socket's queues and hands each to its
    /// instance (or counts why none took it).
    func drain(_ socket: any AdvertChannel, screened: Bool, at now: Instant) {
        let channel = wiring.sockets.firstIndex { $0 === socket }
        for _ in 0..<256 {
            let packet: VRRPSocket.Packet?
            do { packet = try screened ? socket.receiveScreened() : socket.receive() } catch {
                logger.error("\(error)")
                return
            }
            guard let packet else { return }
            let received: ReceivedAdvertisement
            do {
                switch packet {
                case let .ipv4(bytes):
                    received = try ReceivedAdvertisement.decode(ipPacket: bytes)
                case let .ipv6(payload, source, destination, hopLimit):
                    received = try ReceivedAdvertisement.decode(ipv6Payload: payload, source: source,
                                                                destination: destination, hopLimit: hopLimit)
                }
            } catch {
                rejectedOnLink(error, socket, at: now)
                continue
            }
            // A socket only departures still use has no channel: every VRID there is theirs.
            let delivery = channel.map { engine.receive(received, on: $0, at: now) }
                ?? .unclaimed(.unknownVirtualRouter(received.advertisement.virtualRouterID))
            switch delivery {
            case let .accepted(i, outputs):
                self[counters: i].stats.advertReceived += 1
                if received.advertisement.priority == 0 { self[counters: i].stats.priorityZeroReceived += 1 }
                metrics?.advertReceived(routers[i].configuration.name)
                if routers[i].oldUnicastChecksumSince == now {
                    logger.info("(\(routers[i].configuration.name)) \(received.source) sends the old unicast VRRPv3 checksum (multicast pseudo-header); using it from now on")
                }
                perform(outputs)
            case let .rejected(i, error):
                self[counters: i].rejections[error.reason, default: 0] += 1
                self[counters: i].stats.record(error)
                metrics?.rejected(routers[i].configuration.name, reason: error.reason)
                rejections.note(error, on: routers[i].configuration.name, at: now, logger: logger)
            case let .unclaimed(rejection):
                if departureReceived(received, on: socket, at: now) { continue }
                rejectedOnLink(rejection, socket, at: now)
            case .beforeStart:
                if departureReceived(received, on: socket, at: now) { continue }
            }
        }
    }

    /// A packet no instance took: counted against its link.
    private func rejectedOnLink(_ rejection: Rejection, _ socket: any AdvertChannel, at now: Instant) {
        interfaceRejections[socket.interfaceName, default: [:]][rejection.reason, default: 0] += 1
        metrics?.rejected(socket.interfaceName, reason: rejection.reason)
        rejections.note(rejection, on: socket.interfaceName, at: now, logger: logger)
    }

    /// Performs the engine's outputs in order: instances' actions, sync groups' transitions.
    func perform(_ outputs: [VRRPEngine.Output]) {
        for output in outputs {
            switch output {
            case let .instance(i, action):
                execute(action, instance: i)
            case let .syncGroup(g, from, to):
                let name = engine.syncGroups[g].name
                logger.info("(\(name)) sync group \(from) -> \(to)")
                metrics?.groupState(name, to)
                scripts.groupTransition(group: name, to: to, scripts: plan.syncGroups[g].notify)
                alerts.group(name, to: to)
            }
        }
    }

    /// Performs one of instance `i`'s actions: the box's part through the performer, then
    /// what the daemon itself does with a transition or a priority change (log, counters,
    /// metrics, notify scripts).
    func execute(_ action: Action, instance i: Int) {
        let name = plans[i].router.name
        let now = edge.clock()
        performer.perform(action, instance: i, handoverEnd: routers[i].handoverEnd, at: now)
        switch action {
        case let .transition(from, to, reason):
            if let line = transitionLog.line(name, "(\(name)) \(from) -> \(to): \(reason)", at: now) {
                logger.info("\(line)")
            }
            self[counters: i].transitions += 1
            if to == .master { self[counters: i].stats.becameMaster += 1 }
            if from == .master { self[counters: i].stats.releasedMaster += 1 }
            self[counters: i].lastTransition = edge.wallClock()
            metrics?.transition(name, to: to)
            statusChanged = true
            scripts.transition(instance: name, to: to, priority: routers[i].priority, scripts: plans[i].notify)
            if from == .master || to == .master, lvs.syncInstance == name { lvs.followSyncInstance(master: to == .master) }
            // At once (the loop's turn also asks): a new master's route goes out with its VIPs.
            if from == .master || to == .master { reannounce(at: now) }
            alerts.instance(name, to: to)
            if from == .master, let t = routers[i].releaseTimer {
                let bound = max(0, t - edge.clock()) / 1000 * 1000
                logger.info("(\(name)) keeps its VIPs until the new master is heard (at most \(formatMicro(bound)))")
            }
        case let .priorityChanged(from, to):
            logger.info("(\(name)) effective priority \(from) -> \(to)")
            metrics?.priority(name, to)
        case .removeVirtualAddresses:
            handoverReleased(i, at: now)
        default:
            break
        }
    }

    /// lvs_sync_daemon's followed instance's state, told to the IPVS side (at start, after a
    /// reload; transitions tell it as they happen).
    func followSyncInstance() {
        guard let name = lvs.syncInstance, let i = plans.firstIndex(where: { $0.router.name == name }) else { return }
        lvs.followSyncInstance(master: routers[i].state == .master)
    }

    /// Every instance (and departure) whose timer is due.
    func advanceRouters(to now: Instant) {
        perform(engine.advance(to: now))
        advanceDepartures(to: now)
    }

    /// WATCHDOG=1 when its interval has passed.
    func feedWatchdog(at now: Instant) {
        guard let w = nextWatchdog, now >= w, let interval = notifier.watchdogInterval else { return }
        notifier.watchdog()
        nextWatchdog = now + interval
    }
}

/// Counts rejected packets per place and reason; logs the first, then at most one line
/// per reason every 10 seconds with the count since the last line.
struct RejectionLog {
    var counts: [String: (total: Int, unlogged: Int, last: Instant?)] = [:]

    mutating func note(_ rejection: Rejection, on place: String, at now: Instant, logger: Logger) {
        let key = "\(place)|\(rejection.reason)"
        var entry = counts[key] ?? (0, 0, nil)
        entry.total += 1
        entry.unlogged += 1
        if entry.last.map({ now - $0 >= 10_000_000 }) ?? true {
            let more = entry.unlogged > 1 ? " (\(entry.unlogged) such packets since the last report)" : ""
            logger.warning("(\(place)) dropped packet [\(rejection.reason)]: \(rejection)\(more)")
            entry.unlogged = 0
            entry.last = now
        }
        counts[key] = entry
    }
}

/// Lets a repeating condition into the log once per `interval`.
struct LogThrottle {
    let interval: Int64
    private var last: Instant?

    init(interval: Int64) { self.interval = interval }

    mutating func due(at now: Instant) -> Bool {
        if let last, now - last < interval { return false }
        last = now
        return true
    }
}
