#if canImport(Glibc)
import Glibc
#endif
import CLinux
import Logging
import VRRP
import VigilLinux

/// `vigil run`: drives the VRRP cores with real time and performs their actions.
///
/// One thread, one `ppoll`: the VRRP sockets, a signalfd for SIGTERM/SIGINT, and the wait
/// bounded by the earliest deadline of any instance (nanosecond resolution, so 10 ms
/// adverts keep their pace). Every syscall is in VigilLinux or here.
public final class Daemon {
    private var routers: [VirtualRouter]
    private var plans: [InstancePlan]
    /// `use_vmac` macvlans, removed at exit.
    private var virtualMACs: [VirtualMAC] = []
    /// Instances whose adverts leave through their macvlan (not the receiving socket).
    private var transmitSocket: [Int: VRRPSocket] = [:]
    /// One socket per interface (and source address), shared by its instances.
    private var sockets: [VRRPSocket] = []
    private var socketOfInstance: [Int] = []
    /// Per socket, the instance of each VRID: how a received advert finds its instance.
    private var instanceOfVRID: [[UInt8: Int]] = []
    private var announcers: [Int32: GratuitousARP] = [:]
    private var neighbourAnnouncers: [Int32: NeighbourAdvertisement] = [:]
    private let addresses: AddressManager
    private let routes: VirtualRoutes
    private let logger: Logger
    private let scripts: NotifyRunner
    private var rejections = RejectionLog()
    private let signals: Int32
    private let links: LinkMonitor
    /// Per interface index, the instances that run on it (they go to Fault with it).
    private var instancesOnInterface: [Int32: [Int]] = [:]
    private let plan: DaemonPlan
    private var groups: [SyncGroupCoordinator]
    /// The sync group of each instance, if any (index into `groups`).
    private var groupOfInstance: [Int: Int] = [:]
    private var trackScripts: TrackScriptRunner
    private let trackProcesses: TrackProcessMonitor
    private let lvs: LVSRunner
    private let files: FileWatcher?
    /// Last number read from each track_file, by name.
    private var fileNumbers: [String: Int64] = [:]
    /// Strict mode's drop rules (nftables) for instances without `accept`.
    private var firewall: StrictFirewallPlan

    public init(plan: DaemonPlan, logger: Logger) throws {
        self.plan = plan
        let plans = plan.instances
        self.plans = plans
        self.logger = logger
        firewall = StrictFirewallPlan(plans, logger: logger)
        routers = plans.map { VirtualRouter($0.router) }
        addresses = try AddressManager()
        routes = try VirtualRoutes(logger: logger)
        scripts = NotifyRunner(logger: logger, user: plan.scriptUser, refused: plan.refusedCommands)
        links = try LinkMonitor()
        groups = plan.syncGroups.map { SyncGroupCoordinator(name: $0.name, members: $0.members) }
        for (g, group) in plan.syncGroups.enumerated() {
            for m in group.members { groupOfInstance[m] = g }
        }
        trackScripts = TrackScriptRunner(plan.scripts, now: Monotonic.now(), logger: logger)
        trackProcesses = TrackProcessMonitor(plan.trackProcesses, now: Monotonic.now(), logger: logger)
        lvs = LVSRunner(plan.lvs, logger: logger, scripts: scripts)
        for f in plan.trackFiles {
            guard let value = f.initValue else { continue }
            do { try FileWatcher.initialise(f.path, value: value, overwrite: f.overwrite) } catch {
                logger.error("track_file \(f.name): init_file: \(error)")
            }
        }
        files = plan.trackFiles.isEmpty ? nil : try FileWatcher(paths: plan.trackFiles.map(\.path))
        for i in self.plans.indices {
            guard let vmac = self.plans[i].vmac else { continue }
            let base = self.plans[i].interface
            let created = try VirtualMAC(name: vmac.name, parent: base.name, parentIndex: base.index,
                                         hardwareAddress: vmac.hardwareAddress,
                                         linkLocal: self.plans[i].router.primaryAddress.ipv6.flatMap { $0.isLinkLocal ? $0 : nil }) { name in
                logger.notice("(\(plans[i].router.name)) deleted \(name) left from an earlier run")
            }
            virtualMACs.append(created)
            logger.info("(\(plans[i].router.name)) created \(created.name) on \(base.name) with MAC \(vmac.hardwareAddress.map { String($0, radix: 16) }.joined(separator: ":"))")
            var link = base
            link.name = created.name
            link.index = created.index
            link.hardwareAddress = vmac.hardwareAddress
            for k in vmac.addressIndices {
                self.plans[i].addresses[k].interfaceIndex = created.index
                self.plans[i].announced[k].interface = link
            }
            if !vmac.transmitBase {
                // The macvlan has no address of its own: adverts are bound to the parent's.
                transmitSocket[i] = try VRRPSocket(interface: created.name, index: created.index,
                                                   source: self.plans[i].router.primaryAddress,
                                                   multicast: self.plans[i].unicastPeers.isEmpty,
                                                   ipv6: self.plans[i].isIPv6, receives: false)
            }
        }
        var keys: [String: Int] = [:]
        for plan in self.plans {
            // IPv6 always binds the link-local source; IPv4 only a unicast_src_ip.
            let source = plan.router.unicast || plan.isIPv6 ? plan.router.primaryAddress : nil
            let key = "\(plan.interface.name)|\(source.map(\.description) ?? "")|\(plan.router.unicast)|\(plan.isIPv6)"
            if let existing = keys[key] {
                socketOfInstance.append(existing)
            } else {
                let socket = try VRRPSocket(interface: plan.interface.name, index: plan.interface.index, source: source,
                                            multicast: !plan.router.unicast, ipv6: plan.isIPv6)
                keys[key] = sockets.count
                socketOfInstance.append(sockets.count)
                sockets.append(socket)
            }
            for (address, link) in plan.announced where link.hardwareAddress.count == 6 {
                if address.isIPv6, neighbourAnnouncers[link.index] == nil {
                    neighbourAnnouncers[link.index] = try NeighbourAdvertisement(interface: link.name, index: link.index,
                                                                                 hardwareAddress: link.hardwareAddress)
                } else if !address.isIPv6, announcers[link.index] == nil {
                    announcers[link.index] = try GratuitousARP(interfaceIndex: link.index, hardwareAddress: link.hardwareAddress)
                }
            }
        }
        instanceOfVRID = Array(repeating: [:], count: sockets.count)
        for (i, plan) in plans.enumerated() {
            instanceOfVRID[socketOfInstance[i]][plan.router.virtualRouterID] = i
            for index in plan.trackedInterfaces.keys { instancesOnInterface[index, default: []].append(i) }
        }
        // A signal set to be ignored never reaches a signalfd, and a shell starts background
        // jobs with SIGINT ignored: take the default back so the signal can be blocked
        // and read instead.
        signal(SIGTERM, SIG_DFL)
        signal(SIGINT, SIG_DFL)
        var mask = sigset_t()
        sigemptyset(&mask)
        sigaddset(&mask, SIGTERM)
        sigaddset(&mask, SIGINT)
        // Scripts ending wake the loop, so a verdict is acted on at once.
        sigaddset(&mask, SIGCHLD)
        sigprocmask(SIG_BLOCK, &mask, nil)
        signals = signalfd(-1, &mask, Int32(SFD_NONBLOCK | SFD_CLOEXEC))
        guard signals >= 0 else { throw SystemCallError("signalfd") }
    }

    deinit { close(signals) }

    /// Runs until SIGTERM or SIGINT; then priority-0 adverts, VIPs removed, notify_stop.
    public func run() {
        firewall.removeLeftover()
        for note in plan.notes { note.hasPrefix("error") ? logger.error("\(note)") : logger.warning("\(note)") }
        removeStaleAddresses()
        routes.install(plan.staticRoutes, for: "static")
        lvs.start()
        scripts.openFIFOs(plan.fifos)
        var now = Monotonic.now()
        // What is known before the election: links, files, init_fail scripts.
        for i in routers.indices {
            for (index, name) in plans[i].trackedInterfaces {
                let up = index == plans[i].interface.index ? plans[i].interface.isRunning : (interfaceIsRunning(index) ?? false)
                if !up { logger.warning("(\(plans[i].router.name)) interface \(name) is down") }
                perform(routers[i].track(up ? .up : .down, kind: .interface, name: name, at: now), instance: i)
            }
        }
        readTrackFiles(at: now)
        for (name, reading) in trackScripts.initialReadings { scriptChanged(name, reading, at: now) }
        for (name, reading) in trackProcesses.advance(to: now) { tracked(.process, name, reading, at: now) }
        for i in routers.indices { perform(routers[i].start(at: now), instance: i) }
        var stop = false
        var fds = [pollfd(fd: signals, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: links.fileDescriptor, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: files?.fileDescriptor ?? -1, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: trackProcesses.events?.fileDescriptor ?? -1, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: lvs.wakeup?.fileDescriptor ?? -1, events: Int16(POLLIN), revents: 0)]
        let firstSocket = fds.count
        fds += sockets.map { pollfd(fd: $0.fileDescriptor, events: Int16(POLLIN), revents: 0) }
        while !stop {
            now = Monotonic.now()
            let deadline = (routers.compactMap(\.nextDeadline)
                + [trackScripts.nextDeadline, trackProcesses.nextDeadline, lvs.nextDeadline].compactMap { $0 }).min()
            for f in fds.indices { fds[f].revents = 0 }
            var timeout = timespec(tv_sec: 1, tv_nsec: 0)
            if let deadline {
                let wait = max(0, deadline - now)
                timeout = timespec(tv_sec: Int(wait / 1_000_000), tv_nsec: Int(wait % 1_000_000) * 1000)
            }
            let ready = ppoll(&fds, nfds_t(fds.count), &timeout, nil)
            if ready < 0 && errno != EINTR { logger.error("ppoll: \(String(cString: strerror(errno)))") }
            now = Monotonic.now()
            if fds[0].revents != 0 { stop = readSignals() }
            if fds[1].revents != 0 { linkChanged(at: now) }
            if fds[2].revents != 0, files?.drain() == true { readTrackFiles(at: now) }
            if fds[3].revents != 0 { trackProcesses.eventsArrived(at: now) }
            if fds[4].revents != 0 { lvs.resultsArrived() }
            lvs.advance(to: now)
            for (name, reading) in trackProcesses.advance(to: now) { tracked(.process, name, reading, at: now) }
            for (s, fd) in fds.dropFirst(firstSocket).enumerated() where fd.revents != 0 { drain(socket: s, at: now) }
            for (name, reading) in trackScripts.advance(to: now) { scriptChanged(name, reading, at: now) }
            for i in routers.indices {
                if let d = routers[i].nextDeadline, d <= now { perform(routers[i].advance(to: now), instance: i) }
            }
            scripts.reap()
        }
        trackScripts.stop()
        now = Monotonic.now()
        for i in routers.indices { perform(routers[i].shutdown(at: now), instance: i) }
        lvs.stop()
        scripts.finish(timeout: 2_000_000)
        for vmac in virtualMACs {
            do { try vmac.remove() } catch { logger.error("removing \(vmac.name): \(error)") }
        }
        firewall.remove()
        routes.remove(plan.staticRoutes, for: "static")
    }

    /// Empties the signalfd; true when asked to stop (SIGCHLD only wakes the loop).
    private func readSignals() -> Bool {
        var stop = false
        for _ in 0..<64 {
            var info = signalfd_siginfo()
            guard read(signals, &info, MemoryLayout<signalfd_siginfo>.size) > 0 else { break }
            if info.ssi_signo == UInt32(SIGTERM) || info.ssi_signo == UInt32(SIGINT) {
                logger.info("signal \(info.ssi_signo): shutting down")
                stop = true
            }
        }
        return stop
    }

    private func interfaceIsRunning(_ index: Int32) -> Bool? {
        guard let table = try? InterfaceTable.read() else { return nil }
        return table.interfaces.values.first { $0.index == index }?.isRunning
    }

    /// A vrrp_script's verdict changed: every instance tracking it hears of it.
    private func scriptChanged(_ name: String, _ reading: PriorityTracking.Reading, at now: Instant) {
        tracked(.script, name, reading, at: now)
    }

    private func tracked(_ kind: PriorityTracking.Object.Kind, _ name: String, _ reading: PriorityTracking.Reading,
                         at now: Instant) {
        for i in routers.indices where routers[i].tracking.tracks(kind, name) {
            perform(routers[i].track(reading, kind: kind, name: name, at: now), instance: i)
        }
    }

    /// Reads every track_file; instances tracking one whose number changed hear of it.
    private func readTrackFiles(at now: Instant) {
        for f in plan.trackFiles {
            guard let value = FileWatcher.readNumber(at: f.path) else {
                logger.warning("track_file \(f.name): \(f.path) does not hold a number; keeping \(fileNumbers[f.name] ?? 0)")
                continue
            }
            if fileNumbers[f.name] == value { continue }
            if fileNumbers[f.name] != nil || value != 0 { logger.info("track_file \(f.name): \(f.path) now reads \(value)") }
            fileNumbers[f.name] = value
            for i in routers.indices where routers[i].tracking.tracks(.file, f.name) {
                perform(routers[i].track(.number(value), kind: .file, name: f.name, at: now), instance: i)
            }
        }
    }

    /// A VIP still on an interface from an earlier run that ended without cleaning up
    /// (kill -9, power loss) would answer beside the real master: remove each configured
    /// VIP before the election, as keepalived does. An address owner's VIPs are the
    /// interface's own addresses and stay.
    private func removeStaleAddresses() {
        for plan in plans where plan.router.priority < 255 {
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
    private func linkChanged(at now: Instant) {
        var changes: [LinkMonitor.Change]
        switch links.read() {
        case let .changes(list):
            changes = list
        case .lost:
            logger.warning("link events were lost; reading the link table again")
            do {
                let table = try InterfaceTable.read()
                changes = instancesOnInterface.keys.map { index in
                    let link = table.interfaces.values.first { $0.index == index }
                    return LinkMonitor.Change(interfaceIndex: index, isUp: link?.isRunning ?? false)
                }
            } catch {
                logger.error("\(error)")
                return
            }
        }
        for change in changes {
            for i in instancesOnInterface[change.interfaceIndex] ?? [] {
                guard let name = plans[i].trackedInterfaces[change.interfaceIndex] else { continue }
                let actions = routers[i].track(change.isUp ? .up : .down, kind: .interface, name: name, at: now)
                if !actions.isEmpty {
                    logger.info("(\(plans[i].router.name)) interface \(name) is \(change.isUp ? "up" : "down")")
                }
                perform(actions, instance: i)
            }
        }
    }

    private func drain(socket s: Int, at now: Instant) {
        for _ in 0..<256 {
            let packet: VRRPSocket.Packet?
            do { packet = try sockets[s].receive() } catch {
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
                rejections.note(error, on: sockets[s].interfaceName, at: now, logger: logger)
                continue
            }
            let vrid = received.advertisement.virtualRouterID
            guard let i = instanceOfVRID[s][vrid] else {
                rejections.note(.unknownVirtualRouter(vrid), on: sockets[s].interfaceName, at: now, logger: logger)
                continue
            }
            do {
                perform(try routers[i].receive(received, at: now), instance: i)
            } catch {
                rejections.note(error, on: routers[i].configuration.name, at: now, logger: logger)
            }
        }
    }

    /// Performs an instance's actions, then its sync group's response to them.
    private func perform(_ actions: [Action], instance i: Int) {
        execute(actions, instance: i)
        guard let g = groupOfInstance[i] else { return }
        let outcome = groups[g].follow(actions, of: i, routers: &routers, at: Monotonic.now())
        for (member, memberActions) in outcome.actions { execute(memberActions, instance: member) }
        if let t = outcome.groupTransition {
            logger.info("(\(groups[g].name)) sync group \(t.from) -> \(t.to)")
            scripts.groupTransition(group: groups[g].name, to: t.to, scripts: plan.syncGroups[g].notify)
        }
    }

    private func execute(_ actions: [Action], instance i: Int) {
        let plan = plans[i]
        let name = plan.router.name
        for action in actions {
            switch action {
            case let .sendAdvertisement(advert):
                let destinations = plan.unicastPeers.isEmpty ? [plan.router.primaryAddress.vrrpMulticastGroup] : plan.unicastPeers
                for destination in destinations {
                    let payload = advert.encode(source: plan.router.primaryAddress, destination: destination)
                    do { try (transmitSocket[i] ?? sockets[socketOfInstance[i]]).send(payload, to: destination) } catch {
                        logger.warning("(\(name)) sending advert: \(error)")
                    }
                }
            case .addVirtualAddresses:
                firewall.addressesAdding(instance: i)
                for address in plan.addresses {
                    do { try addresses.add(address) } catch { logger.error("(\(name)) \(error)") }
                }
                logger.info("(\(name)) added \(plan.addresses.map(\.description).joined(separator: " "))")
                routes.install(plan.routes, for: name)
                lvs.addressesChanged(plan.addresses.map(\.address), present: true)
            case .removeVirtualAddresses:
                routes.remove(plan.routes, for: name)
                for address in plan.addresses {
                    do { try addresses.remove(address) } catch { logger.error("(\(name)) \(error)") }
                }
                firewall.addressesRemoved(instance: i)
                lvs.addressesChanged(plan.addresses.map(\.address), present: false)
                logger.info("(\(name)) removed \(plan.addresses.map(\.description).joined(separator: " "))")
            case .sendGratuitousARP:
                for (address, link) in plan.announced {
                    do {
                        switch address {
                        case let .v4(a): try announcers[link.index]?.announce(a)
                        case let .v6(a): try neighbourAnnouncers[link.index]?.announce(a)
                        }
                    } catch { logger.warning("(\(name)) \(error)") }
                }
            case let .transition(from, to, reason):
                logger.info("(\(name)) \(from) -> \(to): \(reason)")
                scripts.transition(instance: name, to: to, priority: routers[i].priority, scripts: plan.notify)
            case let .priorityChanged(from, to):
                logger.info("(\(name)) effective priority \(from) -> \(to)")
            }
        }
    }
}

/// CLOCK_MONOTONIC in the core's units.
enum Monotonic {
    static func now() -> Instant {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Instant(microseconds: Int64(t.tv_sec) * 1_000_000 + Int64(t.tv_nsec) / 1000)
    }
}

/// Counts rejected packets per place and reason; logs the first, then at most one line
/// per reason every 10 seconds with the count since the last line.
struct RejectionLog {
    private var counts: [String: (total: Int, unlogged: Int, last: Instant?)] = [:]

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
