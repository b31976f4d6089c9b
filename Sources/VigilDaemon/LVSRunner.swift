import HealthCheck
import LVS
import Logging
import Synchronization
import VRRP
import VigilLinux

/// Keeps the kernel's IPVS table as the configuration and the health checks want it. At
/// start the difference is applied (services that already match are adopted, not
/// recreated) and the checkers start; each result that changes a real server's state
/// changes the table by exactly that difference; at exit what this run manages is removed,
/// as keepalived does. Without IPVS in the kernel: one clear error line, VRRP runs on, and
/// the checkers still run (their results are logged and the notify scripts run).
final class LVSRunner {
    private let plan: LVSPlan
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
    /// misc_dynamic weights, per pool and member.
    private var weights: [[Int32?]]
    private var misc: MiscCheckRunner?
    let wakeup: Wakeup?
    private let inbox = Inbox()
    /// `ha_suspend`: per pool, which of its addresses are on this box now.
    private var present: [Set<InternetAddress>]

    /// Results handed over from the checkers' thread.
    final class Inbox: Sendable {
        private let queue = Mutex<[(Int, CheckOutcome)]>([])
        func put(_ id: Int, _ outcome: CheckOutcome) { queue.withLock { $0.append((id, outcome)) } }
        func take() -> [(Int, CheckOutcome)] { queue.withLock { q in defer { q = [] }; return q } }
    }

    init(_ plan: LVSPlan, logger: Logger, scripts: NotifyRunner) {
        self.plan = plan
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
        let suspended = Set(plan.pools.indices.filter(isSuspended).flatMap(checkIDs))
        let misc = MiscCheckRunner(plan.checks, defaultUser: scripts.user, now: Monotonic.now(), logger: logger)
        misc.suspended = suspended
        if !misc.isEmpty { self.misc = misc }
        guard !plan.checks.isEmpty, let wakeup else { return }
        var tls: TLSClient?
        if plan.checks.contains(where: { if case let .http(_, s) = $0.kind { return s.tls } else { return false } }) {
            do {
                tls = try TLSClient(certificate: plan.ssl?.certificate, key: plan.ssl?.key, password: plan.ssl?.password)
            } catch {
                logger.error("SSL: \(error); SSL_GET checks fail until this is fixed")
            }
        }
        let inbox = self.inbox
        let scheduler = CheckScheduler(tls: tls) { id, outcome in
            inbox.put(id, outcome)
            wakeup.signal()
        }
        scheduler.start(plan.checks, suspended: suspended)
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
            scheduler?.setSuspended(checkIDs(p), after)
            if after { misc?.suspended.formUnion(checkIDs(p)) } else { misc?.suspended.subtract(checkIDs(p)) }
        }
    }

    /// MISC_CHECK timing.
    var nextDeadline: Instant? { misc?.nextDeadline }

    /// Runs due MISC_CHECKs and reaps finished ones (the loop calls this every turn).
    func advance(to now: Instant) {
        guard let misc else { return }
        let results = misc.advance(to: now)
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
            let result: RealServerHealth.Result = outcome.isUp ? .up : .down(reason: "\(outcome)")
            guard let change = health[p][m].record(result, checker: checker) else { continue }
            changed = true
            let member = plan.pools[p].members[m]
            switch change {
            case .up:
                logger.notice("(\(member.name)) up")
                if let script = member.notifyUp { scripts.run(script) }
            case let .down(reason):
                logger.warning("(\(member.name)) \(reason)")
                if let script = member.notifyDown { scripts.run(script) }
            }
            updateQuorum(p)
        }
        if changed { apply(current(), what: "updated") }
    }

    private func current() -> IPVSTable {
        let health = self.health, quorate = self.quorate, weights = self.weights
        return plan.table({ p, m in health[p][m].isUp }, quorum: { quorate[$0] }, weight: { p, m in weights[p][m] })
    }

    private func updateQuorum(_ p: Int) {
        let pool = plan.pools[p]
        let live = pool.liveWeight { health[p][$0].isUp }
        if quorate[p], live < pool.quorum - pool.hysteresis {
            quorate[p] = false
            logger.warning("(\(pool.name)) quorum lost: live weight \(live) < \(pool.quorum)\(pool.sorry.map { "; sorry server \($0.key) in" } ?? "")")
            if let script = pool.quorumDown { scripts.run(script) }
        } else if !quorate[p], live >= pool.quorum + pool.hysteresis {
            quorate[p] = true
            logger.notice("(\(pool.name)) quorum gained: live weight \(live) ≥ \(pool.quorum)")
            if let script = pool.quorumUp { scripts.run(script) }
        }
    }

    func stop() {
        scheduler?.stop()
        misc?.stop()
        // omega: keepalived runs the down notifiers on the way out.
        for (p, pool) in plan.pools.enumerated() where pool.omega {
            for (m, member) in pool.members.enumerated() where health[p][m].isUp {
                if let script = member.notifyDown { scripts.run(script) }
            }
            if let script = pool.quorumDown { scripts.run(script) }
        }
        guard driver != nil, !owned.isEmpty else { return }
        guard plan.releaseAtExit else {
            logger.info("IPVS: left \(owned.count) virtual service(s) in place (--dont-release-ipvs)")
            return
        }
        apply(IPVSTable(), what: "removed")
    }

    private func apply(_ desired: IPVSTable, what: String) {
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
}
