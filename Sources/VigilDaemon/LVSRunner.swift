import HealthCheck
import LVS
import Logging
import Synchronization
import VRRP
import VigilLinux
import VigilPlan
import VigilTypes

/// Keeps the kernel's IPVS table as the configuration and the health checks want it. At
/// start the difference is applied (services that already match are adopted, not
/// recreated) and the checkers start; each result that changes a real server's state
/// changes the table by exactly that difference; at exit what this run manages is removed,
/// as keepalived does. Without IPVS in the kernel: one clear error line, VRRP runs on, and
/// the checkers still run (their results are logged and the notify scripts run).
///
/// The rules (health, quorum with hysteresis, drain, misc_dynamic weights, ha_suspend,
/// what a reload keeps) are `PoolState`'s; this runner only carries out the events it
/// returns: logs, notify scripts, metrics, and the kernel's table.
final class LVSRunner {
    private var plan: LVSPlan
    private let logger: Logger
    /// The kernel's IPVS table, once opened (nil: not available, or not tried yet).
    private var kernel: (any IPVSKernel)?
    /// Opens it: `IPVSDriver` in the daemon, a fake table in the tests.
    private let openKernel: () throws -> any IPVSKernel
    /// This box's interfaces and addresses (ha_suspend's view at start).
    private let interfaces: () throws -> InterfaceTable
    /// What the kernel's table holds, as last read plus the changes applied since (nil:
    /// read it before the next change).
    private var believed: IPVSTable?
    /// Services this run manages: removed at exit.
    private var owned: Set<IPVSService.Key> = []
    /// Every pool's real servers, quorum and ha_suspend presence. Drains are kept across
    /// reloads, not restarts.
    private var state: PoolState
    private var scheduler: CheckScheduler?
    private let scripts: NotifyRunner
    /// keepalived's SMTP alerts for real servers and quorum (nil: none, as in tests).
    private let alerts: AlertMailer?
    private let children: ChildSupervisor
    private var misc: MiscCheckRunner?
    private(set) var wakeup: Wakeup?
    private let inbox = Inbox()
    /// `ha_suspend`: the checkers skipping their rounds, read by both kinds of checker.
    private let suspension = CheckSuspension()
    /// The sync daemons running that this run keeps (started, or found as configured).
    private var syncRunning: Set<IPVSSyncDaemon.Role> = []
    /// The followed instance's state as last told.
    private var followedMaster = false
    /// net.ipv4.ping_group_range's lower bound before PING_CHECK widened it: put back at exit.
    private var pingGroupLow: UInt32?
    /// FNAT's nftables table (nil: no nft on this box, or a test).
    private let fullNAT: FullNATTable?
    /// net.ipv4.vs.conntrack before FNAT turned it on: put back at exit.
    private var conntrackBefore: Int?
    /// Whether this run has made (or tried to make) FNAT's table: only then is it removed,
    /// so a box without FNAT services never runs nft for it.
    private var fullNATMade = false
    /// The translation nft failed to make (it erred, or outlasted its 2 s on a loaded box):
    /// when to try again and the wait after that (1 s, doubling to 30 s). A FNAT service
    /// without its translation answers nothing, so it is not left so until a reload.
    private var fullNATRetry: (at: Instant, next: Microseconds)?
    static let fullNATRetryFirst: Microseconds = 1_000_000
    static let fullNATRetryMost: Microseconds = 30_000_000

    /// Results handed over from the checkers' thread.
    final class Inbox: Sendable {
        private let queue = Mutex<[(Int, CheckOutcome)]>([])
        func put(_ id: Int, _ outcome: CheckOutcome) { queue.withLock { $0.append((id, outcome)) } }
        func take() -> [(Int, CheckOutcome)] { queue.withLock { q in defer { q = [] }; return q } }
    }

    private let metrics: Metrics?

    init(_ plan: LVSPlan, logger: Logger, scripts: NotifyRunner, children: ChildSupervisor, metrics: Metrics? = nil,
         alerts: AlertMailer? = nil, fullNAT: FullNATTable? = nil,
         openKernel: @escaping () throws -> any IPVSKernel = { try IPVSDriver() },
         interfaces: @escaping () throws -> InterfaceTable = { try InterfaceTable.read() }) {
        self.plan = plan
        self.openKernel = openKernel
        self.interfaces = interfaces
        self.children = children
        self.metrics = metrics
        self.logger = logger
        self.scripts = scripts
        self.alerts = alerts
        self.fullNAT = fullNAT
        state = PoolState(plan.pools)
        wakeup = plan.checks.isEmpty ? nil : try? Wakeup()
    }

    /// Both halves at once, for a runner on its own.
    func start() {
        program()
        startChecking()
    }

    /// The kernel's half: the table, the timeouts, the sync daemons, FNAT's translations.
    /// The daemon calls it as early as it can (a restarted director forwards again before
    /// its VRRP side is up, as keepalived's checker process does beside its VRRP process).
    func program() {
        guard plan.needsKernel else { return }
        for note in plan.notes { logger.warning("\(note)") }
        do {
            kernel = try openKernel()
        } catch {
            // The checks still run: real servers' states are logged and notify_up /
            // notify_down / quorum scripts run, which some operators use on their own.
            logger.error("\(error); virtual servers are not programmed (health checks run and only log), VRRP runs on")
        }
        if let kernel {
            if plan.flushAtStart {
                do {
                    try kernel.flush()
                    logger.info("IPVS: emptied the whole table (lvs_flush)")
                } catch { logger.error("IPVS: lvs_flush: \(error)") }
            }
            setTimeouts()
            adoptSyncDaemons()
            followSyncInstance(master: false)
            if !plan.fullNAT.isEmpty { applyFullNAT() }
            if !plan.pools.isEmpty {
                apply(state.desiredTable, what: "programmed")
                owned = Set(plan.pools.flatMap { $0.services.map(\.key) })
            }
        }
    }

    /// The checkers' half. The daemon starts them once an earlier run's addresses are gone
    /// and the static routes are in: `ha_suspend` reads the box's addresses, and the first
    /// checks may go over those routes.
    func startChecking() {
        if !plan.pools.isEmpty { startCheckers() }
    }

    // MARK: - Sync daemons and timeouts

    /// `lvs_timeouts`, when given.
    private func setTimeouts() {
        guard let kernel, let timeouts = plan.timeouts else { return }
        do {
            try kernel.setTimeouts(timeouts)
            logger.info("IPVS: timeouts set (\(timeouts))")
        } catch { logger.error("IPVS: lvs_timeouts: \(error)") }
    }

    /// The sync daemons found running at start (an earlier run's, after a crash): kept when
    /// they are what the configuration asks, stopped when they are not.
    private func adoptSyncDaemons() {
        guard let kernel, let sync = plan.sync else { return }
        let present: [IPVSSyncDaemon]
        do { present = try kernel.syncDaemons() } catch {
            logger.error("IPVS: reading the sync daemons: \(error)")
            return
        }
        for daemon in present {
            if daemon.settings.satisfies(sync.settings) {
                syncRunning.insert(daemon.role)
            } else {
                perform(.stop(daemon.role), reason: "not the configured one (\(daemon.settings))")
            }
        }
    }

    /// The sync daemons for the followed instance's state (keepalived's rule: the master
    /// daemon while it is MASTER, the backup daemon otherwise; both when none is followed).
    /// The daemon calls it at each transition of that instance and after a reload.
    func followSyncInstance(master: Bool) {
        guard kernel != nil, let sync = plan.sync else { return }
        followedMaster = master
        for change in SyncDaemonPlan.changes(running: syncRunning, wanted: sync.wanted(master: master), settings: sync.settings) {
            perform(change, reason: sync.instance.map { master ? "\($0) is MASTER" : "\($0) is not MASTER" } ?? "lvs_sync_daemon")
        }
    }

    /// The instance whose state decides which sync daemon runs (nil: none, or both always).
    var syncInstance: String? { plan.sync?.instance }

    private func perform(_ change: SyncDaemonChange, reason: String) {
        guard let kernel else { return }
        do {
            try kernel.apply(change)
            switch change {
            case let .start(d): syncRunning.insert(d.role)
            case let .stop(role): syncRunning.remove(role)
            }
            logger.info("IPVS: \(change): \(reason)")
        } catch {
            logger.error("IPVS: \(change): \(error)")
        }
    }

    /// At exit: the daemons this run started (keepalived stops them too).
    private func stopSyncDaemons() {
        for role in IPVSSyncDaemon.Role.allCases where syncRunning.contains(role) {
            perform(.stop(role), reason: "stopping")
        }
    }

    /// ha_suspend's view of the box, then the MISC_CHECKs and the NIO checkers.
    private func startCheckers() {
        publishHealth()
        // ha_suspend: which virtual server addresses are here at start (later the VRRP
        // instances say when they add or remove theirs).
        if state.watchesAddresses {
            let local: Set<InternetAddress>
            do {
                local = Set(try interfaces().interfaces.values.flatMap(\.addresses).compactMap(InternetAddress.init(bytes:)))
            } catch {
                logger.error("ha_suspend: reading this box's addresses: \(error); the checkers start suspended")
                local = []
            }
            state.addressesOnThisBox(local)
            for p in plan.pools.indices where state.isSuspended(p) {
                logger.info("(\(plan.pools[p].name)) health checks suspended: its address is not on this box (ha_suspend)")
            }
        }
        suspension.replace(with: state.suspendedChecks)
        let scripts = self.scripts
        let misc = MiscCheckRunner(plan.checks, defaultUser: scripts.user, now: Monotonic.now(), children: children,
                                   suspension: suspension, refusal: { scripts.refusal(of: $0) }, logger: logger)
        if !misc.isEmpty { self.misc = misc }
        if pingGroupLow == nil, plan.checks.contains(where: { if case .ping = $0.kind { true } else { false } }) {
            do {
                pingGroupLow = try PingGroupRange.widen()
                if let low = pingGroupLow { logger.info("PING_CHECK: net.ipv4.ping_group_range widened from \(low) to 0 (put back at exit)") }
            } catch {
                logger.error("PING_CHECK: \(error); ICMP echo sockets may be refused")
            }
        }
        guard !plan.checks.isEmpty, let wakeup = wakeup ?? (try? Wakeup()) else { return }
        self.wakeup = wakeup
        var tls: TLSClient?
        if plan.checks.contains(where: { if case let .http(_, s) = $0.kind { return s.tls } else { return false } }) {
            do {
                tls = try TLSClient(certificate: plan.ssl?.certificate, key: plan.ssl?.key, password: plan.ssl?.password)
            } catch {
                logger.error("SSL: \(error); SSL_GET checks fail until this is fixed")
            }
        }
        let inbox = self.inbox
        var observe: (@Sendable (Int, Bool) -> Void)?
        if let metrics {
            let counters = plan.owner.map { owner in
                let pool = plan.pools[owner.pool]
                return metrics.checkCounters(virtualServer: pool.key, realServer: pool.members[owner.member].endpoint)
            }
            observe = { id, up in
                guard counters.indices.contains(id) else { return }
                (up ? counters[id].up : counters[id].down).increment()
            }
        }
        let scheduler = CheckScheduler(tls: tls, suspension: suspension, observe: observe) { id, outcome in
            inbox.put(id, outcome)
            wakeup.signal()
        }
        scheduler.start(plan.checks)
        self.scheduler = scheduler
        logger.info("health checks: \(plan.checks.count) checker(s) started")
    }

    /// A VRRP instance added (`present`) or removed these addresses: `ha_suspend` pools
    /// whose address came or went resume or suspend their checkers, as keepalived does on
    /// its netlink address events.
    func addressesChanged(_ addresses: [InternetAddress], present isPresent: Bool) {
        perform(state.addressesChanged(addresses, present: isPresent))
    }

    /// MISC_CHECK timing.
    var nextDeadline: Instant? { [misc?.nextDeadline, fullNATRetry?.at].compactMap { $0 }.min() }

    /// The track files' numbers as the daemon read them: each FILE_CHECK's verdict
    /// (`FileCheckRule`), recorded as any checker's.
    func trackFiles(_ numbers: [String: Int64]) {
        var results: [(CheckID, CheckOutcome)] = []
        for (id, spec) in plan.checks.enumerated() {
            guard case let .file(name, weight, reverse) = spec.kind, let value = numbers[name], plan.owner.indices.contains(id) else { continue }
            let (p, m) = plan.owner[id]
            results.append((id, FileCheckRule.outcome(name: name, value: value, weight: weight, reverse: reverse,
                                                      configured: plan.pools[p].members[m].destination.weight)))
        }
        record(results)
    }

    /// Runs due MISC_CHECKs and reaps finished ones (the loop calls this every turn). The
    /// NIO checkers count their results as they come (`observe`); these are counted here.
    func advance(to now: Instant) {
        if let retry = fullNATRetry, now >= retry.at { makeFullNATTable(at: now) }
        guard let misc else { return }
        let results = misc.advance(to: now)
        for (id, outcome) in results where plan.owner.indices.contains(id) {
            let (p, m) = plan.owner[id]
            metrics?.checkResult(virtualServer: plan.pools[p].key, realServer: plan.pools[p].members[m].endpoint, up: outcome.isUp)
        }
        record(results)
    }

    /// The wakeup fired: apply the results that arrived.
    /// Whether pool `p` has its quorum now (`announce` asks).
    func hasQuorum(_ p: Int) -> Bool { state.pools.indices.contains(p) && state.hasQuorum(p) }

    /// Pool `p` as logs name it.
    func poolName(_ p: Int) -> String { state.pools.indices.contains(p) ? state.pools[p].name : "virtual_server #\(p)" }

    func resultsArrived() {
        wakeup?.drain()
        record(inbox.take())
    }

    /// Every checker's results, MISC_CHECK's and the NIO checkers' alike, into the pools'
    /// state; the kernel's table is reconciled once for the batch. The one way in for
    /// results (`advance` and `resultsArrived` hand theirs here; the tests call it directly).
    /// Each checker's result is compared with that checker's state before it for the
    /// real server's SMTP alert (keepalived mails per checker, in its checker's words),
    /// sent after the batch's events, as keepalived sends it after the pool's notifies.
    func record(_ results: [(CheckID, CheckOutcome)]) {
        var events: [PoolEvent] = []
        var mails: [SMTPAlert] = []
        for (id, outcome) in results {
            let before = state.checker(id)
            let owner = plan.owner.indices.contains(id) && plan.checks.indices.contains(id) ? plan.owner[id] : nil
            let serverWasUp = owner.map { state.realServers[$0.pool][$0.member].isUp }
            events += state.record(check: id, outcome)
            if let alerts, let before, let owner, let serverWasUp,
               let mail = alerts.checkerResult(plan.pools[owner.pool], plan.pools[owner.pool].members[owner.member],
                                               plan.checks[id].kind, outcome, before: before, serverWasUp: serverWasUp,
                                               serverIsUp: state.realServers[owner.pool][owner.member].isUp) {
                mails.append(mail)
            }
        }
        perform(events)
        for mail in mails { alerts?.send(mail) }
    }

    /// Carries out what the pools' state asks, in order; a table change once, at the end.
    private func perform(_ events: [PoolEvent]) {
        var tableChanged = false
        for event in events {
            switch event {
            case let .weightChanged(p, m, w):
                logger.notice("(\(plan.pools[p].members[m].name)) weight \(w) (dynamic: misc_dynamic or a FILE_CHECK weight)")
            case let .realServerUp(p, m):
                let member = plan.pools[p].members[m]
                logger.notice("(\(member.name)) up")
                scripts.lvsLine("RS \(member.fifoName) \(plan.pools[p].fifoName) UP", about: member.name)
                if let script = member.notifyUp { scripts.run(script, state: "UP", owner: member.name) }
            case let .realServerDown(p, m, reason):
                let member = plan.pools[p].members[m]
                logger.warning("(\(member.name)) \(reason)")
                scripts.lvsLine("RS \(member.fifoName) \(plan.pools[p].fifoName) DOWN", about: member.name)
                if let script = member.notifyDown { scripts.run(script, state: "DOWN", owner: member.name) }
            case let .quorumLost(p, live):
                let pool = plan.pools[p]
                scripts.lvsLine("VS \(pool.fifoName) DOWN", about: pool.name)
                logger.warning("(\(pool.name)) quorum lost: live weight \(live) < \(pool.quorum)\(pool.sorry.map { "; sorry server \($0.key) in" } ?? "")")
                if let script = pool.quorumDown { scripts.run(script, state: "DOWN", owner: "quorum \(pool.name)") }
                alerts?.virtualServer(pool, up: false, liveWeight: live)
            case let .quorumGained(p, live):
                let pool = plan.pools[p]
                scripts.lvsLine("VS \(pool.fifoName) UP", about: pool.name)
                logger.notice("(\(pool.name)) quorum gained: live weight \(live) ≥ \(pool.quorum)")
                if let script = pool.quorumUp { scripts.run(script, state: "UP", owner: "quorum \(pool.name)") }
                alerts?.virtualServer(pool, up: true, liveWeight: live)
            case .tableChanged:
                tableChanged = true
            case let .checksSuspended(p, checks, suspended):
                logger.info("(\(plan.pools[p].name)) health checks \(suspended ? "suspended: its address left this box" : "resumed: its address is on this box") (ha_suspend)")
                suspension.set(checks, suspended: suspended)
            }
        }
        if tableChanged {
            let pools = Set(events.compactMap(\.pool)).sorted()
            apply(IPVSTable(pools.flatMap(state.desiredServices(ofPool:))), all: false, what: "updated")
        }
    }

    func stop() {
        scheduler?.stop()
        if let low = pingGroupLow, let range = PingGroupRange.read() {
            do { try PingGroupRange.setLow(low, high: range.high) } catch { logger.error("PING_CHECK: putting ping_group_range back: \(error)") }
            pingGroupLow = nil
        }
        misc?.stop(at: Monotonic.now())
        // omega: keepalived runs the down notifiers on the way out, and mails them.
        for (p, pool) in plan.pools.enumerated() where pool.omega {
            let live = pool.members.indices.filter { state.realServers[p][$0].isUp }.map { pool.members[$0] }
            for member in live {
                if let script = member.notifyDown { scripts.run(script, state: "DOWN", owner: member.name) }
            }
            if let script = pool.quorumDown { scripts.run(script, state: "DOWN", owner: "quorum \(pool.name)") }
            alerts?.shuttingDown(pool, liveMembers: live)
        }
        withdraw()
    }

    /// What `program` put in the kernel, taken out as at exit (by the same rules:
    /// `--dont-release-ipvs`, `lvs_flush_on_stop`); `stop` ends with it, and the daemon
    /// calls it alone when its start fails after the table went in.
    func withdraw() {
        stopSyncDaemons()
        guard let kernel else { return }
        defer { removeFullNAT() }
        guard plan.releaseAtExit else {
            if !owned.isEmpty { logger.info("IPVS: left \(owned.count) virtual service(s) in place (--dont-release-ipvs)") }
            return
        }
        if plan.flushOnStop == .full {
            do {
                try kernel.flush()
                logger.info("IPVS: emptied the whole table (lvs_flush_on_stop)")
            } catch { logger.error("IPVS: lvs_flush_on_stop: \(error)") }
            return
        }
        // lvs_flush_on_stop VS removes each virtual server whole, which is what removing the
        // services this run manages does: deleting a service takes its real servers with it.
        guard !owned.isEmpty else { return }
        apply(IPVSTable(), what: "removed")
    }

    // MARK: - FNAT

    /// Before the services: conntrack kept for what IPVS forwards, and the table of source
    /// translations. Without them a FNAT service's connections reach the real servers with
    /// the client's address and the answers go past this director: said, not hidden.
    private func applyFullNAT() {
        guard fullNAT != nil else {
            logger.error("FNAT: nft not found (Debian package nftables): the FNAT services' connections are forwarded without source translation and their answers will not come back through this director")
            return
        }
        switch FullNATTable.conntrack() {
        case nil:
            logger.error("FNAT: \(FullNATTable.conntrackPath) is missing (ip_vs not loaded?): the source translation cannot bind")
        case let value? where value != 1:
            do {
                try FullNATTable.setConntrack(1)
                if conntrackBefore == nil { conntrackBefore = value }
                logger.info("FNAT: net.ipv4.vs.conntrack set to 1 (was \(value))")
            } catch { logger.error("FNAT: setting net.ipv4.vs.conntrack: \(error)") }
        case _?:
            break
        }
        fullNATMade = true
        fullNATRetry = nil
        makeFullNATTable(at: Monotonic.now())
        // The answers come back to the pool's addresses: they must be this director's.
        guard let local = try? Set(interfaces().interfaces.values.flatMap(\.addresses).compactMap(InternetAddress.init(bytes:))) else { return }
        let missing = Set(plan.fullNAT.flatMap(\.pool.addresses)).subtracting(local).sorted()
        if !missing.isEmpty {
            logger.warning("FNAT: \(missing.map(\.description).joined(separator: " ")) of the local_address_group not on this box: connections translated to them get no answer; add them to the interface towards the real servers")
        }
    }

    /// The table itself; a failure is tried again later (`advance`), backing off.
    private func makeFullNATTable(at now: Instant) {
        guard let fullNAT else { return }
        do {
            try fullNAT.apply(plan.fullNAT, children: children, now: Monotonic.now)
            let again = fullNATRetry.map { _ in " (made on a retry)" } ?? ""
            fullNATRetry = nil
            logger.info("FNAT: \(plan.fullNAT.count) source translation(s) in nftables table \(FullNATTable.table)\(again)")
        } catch {
            let wait = fullNATRetry?.next ?? Self.fullNATRetryFirst
            fullNATRetry = (now + wait, min(wait * 2, Self.fullNATRetryMost))
            logger.error("FNAT: \(error); the FNAT services' answers do not come back through this director until it is made: trying again in \(formatMicro(wait))")
        }
    }

    /// At exit, with the services (and only when they go): no table and the sysctl as found.
    private func removeFullNAT() {
        fullNATRetry = nil
        guard let fullNAT, fullNATMade else { return }
        guard plan.releaseAtExit || plan.fullNAT.isEmpty else {
            logger.info("FNAT: left nftables table \(FullNATTable.table) with the services (--dont-release-ipvs)")
            return
        }
        do {
            try fullNAT.apply([], children: children, now: Monotonic.now)
            fullNATMade = false
        } catch { logger.error("FNAT: removing nftables table \(FullNATTable.table): \(error)") }
        if let value = conntrackBefore {
            do { try FullNATTable.setConntrack(value) } catch { logger.error("FNAT: putting net.ipv4.vs.conntrack back: \(error)") }
            conntrackBefore = nil
        }
    }

    /// Health and weight of every real server as gauges (`metrics_listen`).
    private func publishHealth() {
        guard let metrics else { return }
        for vs in status() {
            for rs in vs.realServers {
                metrics.realServer(virtualServer: vs.name, realServer: rs.address, healthy: rs.healthy, weight: rs.weight)
            }
        }
    }

    /// Makes the kernel's table hold `desired` for the services it names (and no longer
    /// hold what this run owned and `desired` lacks, when `all`), by the difference from
    /// what the kernel holds: read once at start and after a reload or a refused change,
    /// otherwise what the runner read plus what it changed since (at 200 services × 50 real
    /// servers a read is 200 dumps, and a result changes one real server).
    private func apply(_ desired: IPVSTable, all: Bool = true, what: String) {
        defer { publishHealth() }
        guard let kernel else { return }
        if believed == nil {
            do { believed = try kernel.read() } catch {
                logger.error("reading the IPVS table: \(error)")
                return
            }
        }
        guard let actual = believed.map({ all ? $0 : $0.restricted(to: desired.services.keys) }) else { return }
        let changes = IPVSReconciler.changes(from: actual, to: desired, owned: all ? owned : [])
        var failed = 0
        for change in changes {
            do {
                try kernel.apply(change)
                believed?.apply(change)
            } catch {
                failed += 1
                logger.error("\(error)")
            }
        }
        // Refused: the kernel is not as believed (someone ran ipvsadm); read it next time.
        if failed > 0 { believed = nil }
        let services = desired.services.isEmpty ? owned.count : desired.services.count
        logger.info("IPVS: \(what) \(services) virtual service(s): \(changes.count) change(s)\(failed > 0 ? ", \(failed) failed" : "")")
    }

    // MARK: - Operator requests and reload

    /// `vigil drain` / `undrain`: the member's weight goes to 0 (established connections
    /// finish, new ones go elsewhere) or back. Returns what happened, or why not.
    func drain(virtualServer: String, realServer: String, _ on: Bool) -> Result<String, ControlError> {
        switch state.drain(virtualServer: virtualServer, realServer: realServer, on) {
        case let .failure(refusal):
            return .failure(ControlError(refusal.description))
        case let .success(drain):
            let member = plan.pools[drain.pool].members[drain.member]
            guard drain.changed else { return .success("\(member.endpoint) in \(virtualServer) was already \(on ? "drained" : "not drained")") }
            logger.notice("(\(member.name)) \(on ? "drained by the operator: weight 0, established connections finish" : "undrained by the operator: weight \(member.destination.weight)")")
            apply(state.desiredTable, what: on ? "drained" : "undrained")
            return .success("\(member.endpoint) in \(virtualServer) \(on ? "drained (weight 0)" : "undrained (weight \(member.destination.weight))")")
        }
    }

    /// The virtual servers for `vigil status`; with `counters`, the kernel's traffic
    /// counters too (one netlink dump, only when asked).
    func status(counters withCounters: Bool = false) -> [StatusReport.VirtualServer] {
        let table = state.desiredTable
        var counters: [String: [IPVSCounters]] = [:]
        if withCounters, let kernel, let all = try? kernel.readCounters() {
            for c in all { if let d = c.destination { counters["\(c.service)|\(d)", default: []].append(c) } }
        }
        return plan.pools.enumerated().map { p, pool in
            let service = pool.services.first.flatMap { table.services[$0.key] }
            return StatusReport.VirtualServer(
                name: pool.key, quorum: pool.quorum, hasQuorum: state.hasQuorum(p),
                sorryServerIn: pool.sorry.map { service?.destinations[$0.key] != nil } ?? false,
                checksSuspended: state.isSuspended(p),
                realServers: pool.members.enumerated().map { m, member in
                    let server = state.realServers[p][m]
                    var rs = StatusReport.RealServer(address: member.endpoint, healthy: server.isUp, drained: server.drained,
                                                     weight: service?.destinations[member.destination.key].map { Int($0.weight) },
                                                     configuredWeight: Int(member.destination.weight), lastCheck: server.lastCheck)
                    let counted = pool.services.flatMap { counters["\($0.key)|\(member.destination.key)"] ?? [] }
                    if !counted.isEmpty {
                        rs.activeConnections = counted.reduce(0) { $0 + Int($1.activeConnections ?? 0) }
                        rs.inactiveConnections = counted.reduce(0) { $0 + Int($1.inactiveConnections ?? 0) }
                        rs.connections = counted.reduce(0) { $0 + $1.connections }
                        rs.inBytes = counted.reduce(0) { $0 + $1.inBytes }
                        rs.outBytes = counted.reduce(0) { $0 + $1.outBytes }
                    }
                    return rs
                })
        }
    }

    /// A live reload: the checkers stop, the new plan's table is applied as a difference
    /// against the kernel (services and real servers in both stay, so their established
    /// connections survive; ones no longer configured go), and the checkers start again.
    /// A real server in both keeps its health, its last result and its drain, so a reload
    /// never takes a healthy server out while its checks warm up again.
    func reload(_ newPlan: LVSPlan) {
        scheduler?.stop()
        scheduler = nil
        misc?.stop(at: Monotonic.now())
        misc = nil
        _ = inbox.take()
        let oldKeys = Set(plan.pools.map(\.key))
        let oldMembers = Set(plan.pools.flatMap { pool in pool.members.map { MemberKey(pool, $0) } })
        var newPlan = newPlan
        newPlan.releaseAtExit = plan.releaseAtExit
        let syncBefore = plan.sync, timeoutsBefore = plan.timeouts, fullNATBefore = plan.fullNAT
        plan = newPlan
        state = state.carryOver(into: plan.pools)
        let newMembers = Set(plan.pools.flatMap { pool in pool.members.map { MemberKey(pool, $0) } })
        for note in plan.notes { logger.warning("\(note)") }
        if kernel == nil, plan.needsKernel { kernel = try? openKernel() }
        // A reload reads the kernel's table again: a hand edit since the start is mended.
        believed = nil
        if kernel != nil {
            if plan.timeouts != timeoutsBefore { setTimeouts() }
            if plan.sync != syncBefore {
                // Other settings: the running daemons stop, the wanted ones start anew.
                stopSyncDaemons()
                if plan.sync == nil, syncBefore != nil { logger.info("IPVS: lvs_sync_daemon removed") }
            }
            // The daemon then says the followed instance's state (followSyncInstance).
            // New translations before new services (the table made again whole: a hand
            // edit is mended too); ones no longer wanted go just before their services.
            if !plan.fullNAT.isEmpty { applyFullNAT() } else if !fullNATBefore.isEmpty { removeFullNAT() }
            // What this run owned and no longer configures is removed by the difference.
            apply(state.desiredTable, what: "reloaded")
            owned = Set(plan.pools.flatMap { $0.services.map(\.key) })
        }
        for gone in oldMembers.subtracting(newMembers) {
            metrics?.forget(virtualServer: gone.virtualServer, realServer: gone.realServer)
        }
        let added = Set(plan.pools.map(\.key)).subtracting(oldKeys).count
        let removed = oldKeys.subtracting(plan.pools.map(\.key)).count
        if added + removed > 0 { logger.info("virtual servers: \(added) added, \(removed) removed") }
        startCheckers()
    }
}

/// A control request that cannot be carried out, said to the operator.
struct ControlError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
