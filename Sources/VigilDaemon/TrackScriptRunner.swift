#if canImport(Glibc)
import Glibc
#endif
import Logging
import VRRP
import VigilConfig
import VigilLinux

/// Runs the `vrrp_script`s on their intervals without ever blocking the protocol loop:
/// each run is a child process reaped when SIGCHLD wakes the loop; one still running
/// at its `timeout` gets SIGTERM (its whole process group), then SIGKILL 2 s later, and
/// counts as a failure — keepalived's sequence. `rise`/`fall` turn runs into verdicts.
final class TrackScriptRunner {
    private struct Script {
        var plan: DaemonPlan.ScriptPlan
        var health: ScriptHealth
        var nextRun: Instant
        var pid: pid_t?
        var started: Instant = .zero
        var termSent: Instant?
        var lastStatus: Int32?
    }

    private var scripts: [Script]
    private let logger: Logger

    init(_ plans: [DaemonPlan.ScriptPlan], now: Instant, logger: Logger) {
        scripts = plans.map { Script(plan: $0, health: ScriptHealth(rise: $0.rise, fall: $0.fall, initFail: $0.initFail), nextRun: now) }
        self.logger = logger
    }

    /// Verdicts known before any run (`init_fail`).
    var initialReadings: [(name: String, reading: PriorityTracking.Reading)] {
        scripts.filter { $0.health.reading != .pending }.map { ($0.plan.name, $0.health.reading) }
    }

    var nextDeadline: Instant? {
        scripts.compactMap { s -> Instant? in
            guard s.pid != nil else { return s.nextRun }
            if let term = s.termSent { return term + 2_000_000 }
            return s.started + s.plan.timeout
        }.min()
    }

    /// Starts due scripts, reaps finished ones, signals overdue ones. Returns the scripts
    /// whose verdict changed.
    func advance(to now: Instant) -> [(name: String, reading: PriorityTracking.Reading)] {
        var changed: [(String, PriorityTracking.Reading)] = []
        for i in scripts.indices {
            if let pid = scripts[i].pid {
                if let exit = ScriptProcess.reap(pid) {
                    if let r = finished(i, exit, at: now) { changed.append((scripts[i].plan.name, r)) }
                } else if let term = scripts[i].termSent {
                    if now >= term + 2_000_000 { ScriptProcess.signal(pid, SIGKILL) }
                } else if now >= scripts[i].started + scripts[i].plan.timeout {
                    logger.warning("vrrp_script \(scripts[i].plan.name) timed out after \(formatMicro(scripts[i].plan.timeout)); sent SIGTERM")
                    ScriptProcess.signal(pid, SIGTERM)
                    scripts[i].termSent = now
                }
            }
            if scripts[i].pid == nil, now >= scripts[i].nextRun {
                let plan = scripts[i].plan
                do {
                    scripts[i].pid = try ScriptProcess.spawn(plan.command, as: plan.user)
                    scripts[i].started = now
                    scripts[i].termSent = nil
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

    private func finished(_ i: Int, _ exit: ScriptProcess.Exit, at now: Instant) -> PriorityTracking.Reading? {
        let name = scripts[i].plan.name
        let timedOut = scripts[i].termSent != nil
        scripts[i].pid = nil
        scripts[i].termSent = nil
        if scripts[i].nextRun < now { scripts[i].nextRun = now }
        switch exit {
        case let .status(code):
            if code != scripts[i].lastStatus, scripts[i].lastStatus != nil || code != 0 {
                logger.info("vrrp_script \(name) now exits with status \(code)")
            }
            scripts[i].lastStatus = code
            return record(i, success: code == 0)
        case let .signal(sig):
            if !timedOut { logger.warning("vrrp_script \(name) killed by signal \(sig)") }
            return record(i, success: false)
        }
    }

    private func record(_ i: Int, success: Bool) -> PriorityTracking.Reading? {
        guard let r = scripts[i].health.record(success: success) else { return nil }
        logger.notice("vrrp_script \(scripts[i].plan.name) \(r == .up ? "succeeded" : "failed") (rise \(scripts[i].plan.rise), fall \(scripts[i].plan.fall))")
        return r
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
        for s in old.values { if let pid = s.pid { ScriptProcess.end(pid) } }
    }

    /// On exit: no script outlives the daemon.
    func stop() {
        for s in scripts {
            guard let pid = s.pid else { continue }
            ScriptProcess.end(pid)
        }
    }
}

/// A duration for the log: `1 s`, `0.3 s`, written as keepalived writes seconds.
func formatMicro(_ micro: Int64) -> String { "\(formatSeconds(micro)) s" }
