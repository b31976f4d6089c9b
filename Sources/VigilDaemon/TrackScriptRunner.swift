#if canImport(Glibc)
import Glibc
#endif
import Logging
import VRRP
import VigilConfig
import VigilLinux
import VigilPlan
import VigilTypes

/// Runs the `vrrp_script`s on their intervals without ever blocking the protocol loop:
/// each run is a child of the supervisor, reaped when SIGCHLD wakes the loop; one still
/// running at its `timeout` gets SIGTERM (its whole process group), then SIGKILL 2 s later,
/// and counts as a failure — keepalived's sequence. `rise`/`fall` turn runs into verdicts.
final class TrackScriptRunner {
    private struct Script {
        var plan: DaemonPlan.ScriptPlan
        var health: ScriptHealth
        var nextRun: Instant
        var pid: pid_t?
        var lastStatus: Int32?
    }

    private var scripts: [Script]
    private let children: ChildSupervisor
    private let logger: Logger
    /// keepalived's grace between SIGTERM and SIGKILL for a script past its timeout.
    static let killGrace: Int64 = 2_000_000

    init(_ plans: [DaemonPlan.ScriptPlan], now: Instant, children: ChildSupervisor, logger: Logger) {
        scripts = plans.map { Script(plan: $0, health: ScriptHealth(rise: $0.rise, fall: $0.fall, initFail: $0.initFail), nextRun: now) }
        self.children = children
        self.logger = logger
    }

    /// Verdicts known before any run (`init_fail`).
    var initialReadings: [(name: String, reading: PriorityTracking.Reading)] { readings }

    /// When the next run is due (a running one's deadline is the supervisor's).
    var nextDeadline: Instant? {
        scripts.filter { $0.pid == nil }.map(\.nextRun).min()
    }

    /// Starts due scripts and collects finished ones. Returns the scripts whose verdict
    /// changed.
    func advance(to now: Instant) -> [(name: String, reading: PriorityTracking.Reading)] {
        var changed: [(String, PriorityTracking.Reading)] = []
        for i in scripts.indices {
            if let pid = scripts[i].pid, let ending = children.take(pid) {
                if let r = finished(i, ending, at: now) { changed.append((scripts[i].plan.name, r)) }
            }
            if scripts[i].pid == nil, now >= scripts[i].nextRun {
                let plan = scripts[i].plan
                do {
                    scripts[i].pid = try children.start(.shell(plan.command), as: plan.user, timeout: plan.timeout,
                                                        policy: .terminate(grace: Self.killGrace), at: now)
                } catch {
                    logger.error("vrrp_script \(plan.name): cannot start '\(plan.command)': \(error)")
                    if let r = record(i, success: false) { changed.append((plan.name, r)) }
                }
                // Runs start on the interval's beat; a run still going when the next is due
                // delays it.
                scripts[i].nextRun = max(scripts[i].nextRun + plan.interval, now)
            }
        }
        return changed
    }

    private func finished(_ i: Int, _ ending: ChildSupervisor.Ending, at now: Instant) -> PriorityTracking.Reading? {
        let name = scripts[i].plan.name
        scripts[i].pid = nil
        if scripts[i].nextRun < now { scripts[i].nextRun = now }
        if ending.timedOut {
            logger.warning("vrrp_script \(name) timed out after \(formatMicro(scripts[i].plan.timeout)) (ended by \(ending.exit))")
            return record(i, success: false)
        }
        switch ending.exit {
        case let .status(code):
            if code != scripts[i].lastStatus, scripts[i].lastStatus != nil || code != 0 {
                logger.info("vrrp_script \(name) now exits with status \(code)")
            }
            scripts[i].lastStatus = code
            return record(i, success: code == 0)
        case let .signal(sig):
            logger.warning("vrrp_script \(name) killed by signal \(sig)")
            return record(i, success: false)
        }
    }

    private func record(_ i: Int, success: Bool) -> PriorityTracking.Reading? {
        guard let r = scripts[i].health.record(success: success) else { return nil }
        logger.notice("vrrp_script \(scripts[i].plan.name) \(r == .up ? "succeeded" : "failed") (rise \(scripts[i].plan.rise), fall \(scripts[i].plan.fall))")
        return r
    }

    /// Each script's plan, its verdict's state and whether it runs now (keepalived.data).
    var states: [(plan: DaemonPlan.ScriptPlan, health: ScriptHealth, running: Bool)] {
        scripts.map { ($0.plan, $0.health, $0.pid != nil) }
    }

    /// Every verdict known now (for an instance started by a reload).
    var readings: [(name: String, reading: PriorityTracking.Reading)] {
        scripts.filter { $0.health.reading != .pending }.map { ($0.plan.name, $0.health.reading) }
    }

    /// A live reload: a script whose plan is unchanged keeps its verdict, its schedule and
    /// any run in progress; a changed or new one starts afresh; a removed one's run is ended.
    func reconfigure(_ plans: [DaemonPlan.ScriptPlan], now: Instant) {
        var old = Dictionary(scripts.map { ($0.plan.name, $0) }, uniquingKeysWith: { a, _ in a })
        scripts = plans.map { plan in
            if let kept = old[plan.name], kept.plan == plan {
                old[plan.name] = nil
                return kept
            }
            return Script(plan: plan, health: ScriptHealth(rise: plan.rise, fall: plan.fall, initFail: plan.initFail), nextRun: now)
        }
        for s in old.values { if let pid = s.pid { children.abandon(pid, at: now) } }
    }

    /// On exit: no script outlives the daemon.
    func stop(at now: Instant) {
        for s in scripts { if let pid = s.pid { children.abandon(pid, at: now) } }
    }
}
