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
/// as keepalived does. Without IPVS in the kernel: one clear error line, VRRP runs on.
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
    }

    func start() {
        guard !plan.pools.isEmpty else { return }
        for note in plan.notes { logger.warning("\(note)") }
        do { driver = try IPVSDriver() } catch {
            logger.error("\(error); virtual servers are not programmed, VRRP runs on")
            return
        }
        apply(current(), what: "programmed")
        owned = Set(plan.pools.flatMap { $0.services.map(\.key) })
        let misc = MiscCheckRunner(plan.checks, defaultUser: scripts.user, now: Monotonic.now(), logger: logger)
        if !misc.isEmpty { self.misc = misc }
        guard !plan.checks.isEmpty, let wakeup else { return }
        let inbox = self.inbox
        let scheduler = CheckScheduler { id, outcome in
            inbox.put(id, outcome)
            wakeup.signal()
        }
        scheduler.start(plan.checks)
        self.scheduler = scheduler
        logger.info("health checks: \(plan.checks.count) checker(s) started")
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
        guard driver != nil, !owned.isEmpty else { return }
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
