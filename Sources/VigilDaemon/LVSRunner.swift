import HealthCheck
import LVS
import Logging
import Synchronization
import VRRP
import VigilLinux
import VigilTypes

/// Keeps the kernel's IPVS table as the configuration and the health checks want it. At
/// start the difference is applied (services that already match are adopted, not
/// recreated) and the checkers start; each result that changes a real server's state
/// changes the table by exactly that difference; at exit what this run manages is removed,
/// as keepalived does. Without IPVS in the kernel: one clear error line, VRRP runs on, and
/// the checkers still run (their results are logged and the notify scripts run).
final class LVSRunner {
    private var plan: LVSPlan
    private let logger: Logger
    private var driver: IPVSDriver?
    /// Services this run manages: removed at exit.
    private var owned: Set<IPVSService.Key> = []
    /// Per pool, per member: the health from its checkers.
    private var health: [[RealServerHealth]]
    private var scheduler: CheckScheduler?
    /// Per pool: whether it has its quorum (with hysteresis: gained at quorum + hysteresis,
    /// lost below quorum − hysteresis).
    private var quorate: [Bool]
    private let scripts: NotifyRunner
    private let children: ChildSupervisor
    /// misc_dynamic weights, per pool and member.
    private var weights: [[Int32?]]
    private var misc: MiscCheckRunner?
    private(set) var wakeup: Wakeup?
    private let inbox = Inbox()
    /// `ha_suspend`: the checkers skipping their rounds, read by both kinds of checker.
    private let suspension = CheckSuspension()
    /// `ha_suspend`: per pool, which of its addresses are on this box now.
    private var present: [Set<InternetAddress>]
    /// `vigil drain VS RS`: weight 0 until undrained (kept across reloads, not restarts).
    private var drained: Set<MemberKey> = []
    /// Per pool, per member: the last check's outcome, for `vigil status`.
    private var lastCheck: [[String?]]

    /// Results handed over from the checkers' thread.
    final class Inbox: Sendable {
        private let queue = Mutex<[(Int, CheckOutcome)]>([])
        func put(_ id: Int, _ outcome: CheckOutcome) { queue.withLock { $0.append((id, outcome)) } }
        func take() -> [(Int, CheckOutcome)] { queue.withLock { q in defer { q = [] }; return q } }
    }

    private let metrics: Metrics?

    init(_ plan: LVSPlan, logger: Logger, scripts: NotifyRunner, children: ChildSupervisor, metrics: Metrics? = nil) {
        self.plan = plan
        self.children = children
        self.metrics = metrics
        self.logger = logger
        self.scripts = scripts
        let health = plan.pools.map { pool in
            pool.members.map { RealServerHealth(checkerCount: $0.checks.count, alpha: $0.alpha) }
        }
        self.health = health
        weights = plan.pools.map { pool in pool.members.map { _ in nil } }
        quorate = plan.pools.enumerated().map { p, pool in pool.liveWeight { health[p][$0].isUp } >= pool.quorum }
        wakeup = plan.checks.isEmpty ? nil : try? Wakeup()
        present = plan.pools.map { _ in [] }
        lastCheck = plan.pools.map { pool in pool.members.map { _ in nil } }
    }

    /// The checkers of pool `p`.
    private func checkIDs(_ p: Int) -> [Int] { plan.pools[p].members.flatMap(\.checks) }

    /// Whether pool `p`'s checkers are suspended (`ha_suspend` and none of its addresses here).
    private func isSuspended(_ p: Int) -> Bool {
        !plan.pools[p].haSuspendAddresses.isEmpty && present[p].isEmpty
    }

    func start() {
        guard !plan.pools.isEmpty else { return }
        for note in plan.notes { logger.warning("\(note)") }
        do {
            driver = try IPVSDriver()
            apply(current(), what: "programmed")
            owned = Set(plan.pools.flatMap { $0.services.map(\.key) })
        } catch {
            // The checks still run: real servers' states are logged and notify_up /
            // notify_down / quorum scripts run, which some operators use on their own.
            logger.error("\(error); virtual servers are not programmed (health checks run and only log), VRRP runs on")
        }
        startCheckers()
    }

    /// ha_suspend's view of the box, then the MISC_CHECKs and the NIO checkers.
    private func startCheckers() {
        publishHealth()
        // ha_suspend: which virtual server addresses are here at start (later the VRRP
        // instances say when they add or remove theirs).
        if plan.pools.contains(where: { !$0.haSuspendAddresses.isEmpty }) {
            let local: Set<InternetAddress>
            do {
                local = Set(try InterfaceTable.read().interfaces.values.flatMap(\.addresses).compactMap(InternetAddress.init(bytes:)))
            } catch {
                logger.error("ha_suspend: reading this box's addresses: \(error); the checkers start suspended")
                local = []
            }
            for p in plan.pools.indices {
                present[p] = Set(plan.pools[p].haSuspendAddresses).intersection(local)
                if isSuspended(p) { logger.info("(\(plan.pools[p].name)) health checks suspended: its address is not on this box (ha_suspend)") }
            }
        }
        suspension.replace(with: Set(plan.pools.indices.filter(isSuspended).flatMap(checkIDs)))
        let scripts = self.scripts
        let misc = MiscCheckRunner(plan.checks, defaultUser: scripts.user, now: Monotonic.now(), children: children,
                                   suspension: suspension, refusal: { scripts.refusal(of: $0) }, logger: logger)
        if !misc.isEmpty { self.misc = misc }
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
            let labels: [(String, String)] = plan.owner.map { owner in
                let pool = plan.pools[owner.pool]
                return (pool.key, pool.members[owner.member].endpoint)
            }
            observe = { id, up in
                guard labels.indices.contains(id) else { return }
                metrics.checkResult(virtualServer: labels[id].0, realServer: labels[id].1, up: up)
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
        for p in plan.pools.indices where !plan.pools[p].haSuspendAddresses.isEmpty {
            let mine = addresses.filter(plan.pools[p].haSuspendAddresses.contains)
            guard !mine.isEmpty else { continue }
            let before = isSuspended(p)
            if isPresent { present[p].formUnion(mine) } else { present[p].subtract(mine) }
            let after = isSuspended(p)
            guard before != after else { continue }
            logger.info("(\(plan.pools[p].name)) health checks \(after ? "suspended: its address left this box" : "resumed: its address is on this box") (ha_suspend)")
            suspension.set(checkIDs(p), suspended: after)
        }
    }

    /// MISC_CHECK timing.
    var nextDeadline: Instant? { misc?.nextDeadline }

    /// Runs due MISC_CHECKs and reaps finished ones (the loop calls this every turn).
    func advance(to now: Instant) {
        guard let misc else { return }
        let results = misc.advance(to: now)
        for (id, outcome) in results where plan.owner.indices.contains(id) {
            let (p, m) = plan.owner[id]
            metrics?.checkResult(virtualServer: plan.pools[p].key, realServer: plan.pools[p].members[m].endpoint, up: outcome.isUp)
        }
        if !results.isEmpty { record(results) }
    }

    /// The wakeup fired: apply the results that arrived.
    func resultsArrived() {
        wakeup?.drain()
        record(inbox.take())
    }

    private func record(_ results: [(Int, CheckOutcome)]) {
        var changed = false
        for (id, outcome) in results where plan.owner.indices.contains(id) {
            let (p, m) = plan.owner[id]
            if case let .upWithWeight(w) = outcome, weights[p][m] != w {
                weights[p][m] = w
                changed = true
                logger.notice("(\(plan.pools[p].members[m].name)) weight \(w) (misc_dynamic)")
            }
            let checker = plan.pools[p].members[m].checks.firstIndex(of: id) ?? 0
            lastCheck[p][m] = "\(outcome)"
            let result: RealServerHealth.Result = outcome.isUp ? .up : .down(reason: "\(outcome)")
            guard let change = health[p][m].record(result, checker: checker) else { continue }
            changed = true
            let member = plan.pools[p].members[m]
            switch change {
            case .up:
                logger.notice("(\(member.name)) up")
                if let script = member.notifyUp { scripts.run(script, state: "UP", owner: member.name) }
            case let .down(reason):
                logger.warning("(\(member.name)) \(reason)")
                if let script = member.notifyDown { scripts.run(script, state: "DOWN", owner: member.name) }
            }
            updateQuorum(p)
        }
        if changed { apply(current(), what: "updated") }
    }

    private func current() -> IPVSTable {
        let health = self.health, quorate = self.quorate, weights = self.weights
        let plan = self.plan, drained = self.drained
        return plan.table({ p, m in health[p][m].isUp }, quorum: { quorate[$0] }, weight: { p, m in
            drained.contains(MemberKey(plan.pools[p], plan.pools[p].members[m])) ? 0 : weights[p][m]
        })
    }

    private func updateQuorum(_ p: Int) {
        let pool = plan.pools[p]
        let live = pool.liveWeight { health[p][$0].isUp }
        if quorate[p], live < pool.quorum - pool.hysteresis {
            quorate[p] = false
            logger.warning("(\(pool.name)) quorum lost: live weight \(live) < \(pool.quorum)\(pool.sorry.map { "; sorry server \($0.key) in" } ?? "")")
            if let script = pool.quorumDown { scripts.run(script, state: "DOWN", owner: "quorum \(pool.name)") }
        } else if !quorate[p], live >= pool.quorum + pool.hysteresis {
            quorate[p] = true
            logger.notice("(\(pool.name)) quorum gained: live weight \(live) ≥ \(pool.quorum)")
            if let script = pool.quorumUp { scripts.run(script, state: "UP", owner: "quorum \(pool.name)") }
        }
    }

    func stop() {
        scheduler?.stop()
        misc?.stop(at: Monotonic.now())
        // omega: keepalived runs the down notifiers on the way out.
        for (p, pool) in plan.pools.enumerated() where pool.omega {
            for (m, member) in pool.members.enumerated() where health[p][m].isUp {
                if let script = member.notifyDown { scripts.run(script, state: "DOWN", owner: member.name) }
            }
            if let script = pool.quorumDown { scripts.run(script, state: "DOWN", owner: "quorum \(pool.name)") }
        }
        guard driver != nil, !owned.isEmpty else { return }
        guard plan.releaseAtExit else {
            logger.info("IPVS: left \(owned.count) virtual service(s) in place (--dont-release-ipvs)")
            return
        }
        apply(IPVSTable(), what: "removed")
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

    private func apply(_ desired: IPVSTable, what: String) {
        defer { publishHealth() }
        guard let driver else { return }
        let actual: IPVSTable
        do { actual = try driver.read() } catch {
            logger.error("reading the IPVS table: \(error)")
            return
        }
        let changes = IPVSReconciler.changes(from: actual, to: desired, owned: owned)
        var failed = 0
        for change in changes {
            do { try driver.apply(change) } catch {
                failed += 1
                logger.error("\(error)")
            }
        }
        let services = desired.services.isEmpty ? owned.count : desired.services.count
        logger.info("IPVS: \(what) \(services) virtual service(s): \(changes.count) change(s)\(failed > 0 ? ", \(failed) failed" : "")")
    }

    // MARK: - Operator requests and reload

    /// A real server as the operator names it, and as a reload recognises it.
    private struct MemberKey: Hashable {
        var virtualServer: String
        var realServer: String
        init(_ pool: LVSPlan.Pool, _ member: LVSPlan.Member) {
            virtualServer = pool.key
            realServer = member.endpoint
        }
    }

    /// `vigil drain` / `undrain`: the member's weight goes to 0 (established connections
    /// finish, new ones go elsewhere) or back. Returns what happened, or why not.
    func drain(virtualServer: String, realServer: String, _ on: Bool) -> Result<String, ControlError> {
        let pools = plan.pools.filter { $0.key == virtualServer }
        guard !pools.isEmpty else {
            return .failure(ControlError("no virtual server \(virtualServer); there are: \(plan.pools.map(\.key).joined(separator: ", "))"))
        }
        let matches = pools.flatMap { pool in
            pool.members.filter { $0.endpoint == realServer || $0.destination.key.address.description == realServer }.map { (pool, $0) }
        }
        guard let (pool, member) = matches.first else {
            return .failure(ControlError("virtual server \(virtualServer) has no real server \(realServer); it has: \(pools.flatMap(\.members).map(\.endpoint).joined(separator: ", "))"))
        }
        guard Set(matches.map { $0.1.endpoint }).count == 1 else {
            return .failure(ControlError("\(realServer) is ambiguous in \(virtualServer): say ADDRESS:PORT"))
        }
        let key = MemberKey(pool, member)
        let changed = on ? drained.insert(key).inserted : drained.remove(key) != nil
        guard changed else { return .success("\(member.endpoint) in \(virtualServer) was already \(on ? "drained" : "not drained")") }
        logger.notice("(\(member.name)) \(on ? "drained by the operator: weight 0, established connections finish" : "undrained by the operator: weight \(member.destination.weight)")")
        apply(current(), what: on ? "drained" : "undrained")
        return .success("\(member.endpoint) in \(virtualServer) \(on ? "drained (weight 0)" : "undrained (weight \(member.destination.weight))")")
    }

    /// The virtual servers for `vigil status`; with `counters`, the kernel's traffic
    /// counters too (one netlink dump, only when asked).
    func status(counters withCounters: Bool = false) -> [StatusReport.VirtualServer] {
        let table = current()
        var kernel: [String: [IPVSCounters]] = [:]
        if withCounters, let driver, let all = try? driver.readCounters() {
            for c in all { if let d = c.destination { kernel["\(c.service)|\(d)", default: []].append(c) } }
        }
        return plan.pools.enumerated().map { p, pool in
            let service = pool.services.first.flatMap { table.services[$0.key] }
            return StatusReport.VirtualServer(
                name: pool.key, quorum: pool.quorum, hasQuorum: quorate[p],
                sorryServerIn: pool.sorry.map { service?.destinations[$0.key] != nil } ?? false,
                checksSuspended: isSuspended(p),
                realServers: pool.members.enumerated().map { m, member in
                    var rs = StatusReport.RealServer(address: member.endpoint, healthy: health[p][m].isUp,
                                                     drained: drained.contains(MemberKey(pool, member)),
                                                     weight: service?.destinations[member.destination.key].map { Int($0.weight) },
                                                     configuredWeight: Int(member.destination.weight), lastCheck: lastCheck[p][m])
                    let counted = pool.services.flatMap { kernel["\($0.key)|\(member.destination.key)"] ?? [] }
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
        // What a real server in both plans keeps: health, last result, misc_dynamic weight
        // (only with as many checkers as before, or the health would not fit).
        var carried: [MemberKey: (checkers: Int, health: RealServerHealth, lastCheck: String?, weight: Int32?)] = [:]
        for (p, pool) in plan.pools.enumerated() {
            for (m, member) in pool.members.enumerated() where !member.checks.isEmpty {
                carried[MemberKey(pool, member)] = (member.checks.count, health[p][m], lastCheck[p][m], weights[p][m])
            }
        }
        let oldKeys = Set(plan.pools.map(\.key))
        let oldMembers = Set(plan.pools.flatMap { pool in pool.members.map { MemberKey(pool, $0) } })
        var newPlan = newPlan
        newPlan.releaseAtExit = plan.releaseAtExit
        plan = newPlan
        let kept = plan.pools.map { pool in
            pool.members.map { member in carried[MemberKey(pool, member)].flatMap { $0.checkers == member.checks.count ? $0 : nil } }
        }
        health = plan.pools.indices.map { p in
            plan.pools[p].members.indices.map { m in
                kept[p][m]?.health ?? RealServerHealth(checkerCount: plan.pools[p].members[m].checks.count, alpha: plan.pools[p].members[m].alpha)
            }
        }
        lastCheck = kept.map { $0.map { $0?.lastCheck } }
        weights = kept.map { $0.map { $0?.weight } }
        let newMembers = Set(plan.pools.flatMap { pool in pool.members.map { MemberKey(pool, $0) } })
        drained.formIntersection(newMembers)
        let health = self.health
        quorate = plan.pools.enumerated().map { p, pool in pool.liveWeight { health[p][$0].isUp } >= pool.quorum }
        present = plan.pools.map { _ in [] }
        for note in plan.notes { logger.warning("\(note)") }
        if driver == nil, !plan.pools.isEmpty { driver = try? IPVSDriver() }
        if driver != nil {
            // What this run owned and no longer configures is removed by the difference.
            apply(current(), what: "reloaded")
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
