#if canImport(Glibc)
import Glibc
#endif
import HealthCheck
import Logging
import VRRP
import VigilLinux

/// keepalived's MISC_CHECK: a command per real server, run every delay_loop as a child
/// process (never blocking the loop; SIGCHLD wakes it), killed at `misc_timeout`. Exit 0
/// is up, 1 down; with `misc_dynamic`, 2…255 is up with weight status − 2. A failure is
/// retried `retry` times, `delay_before_retry` apart, before it counts. A suspended check
/// (`ha_suspend`) skips its runs.
final class MiscCheckRunner {
    private struct Check {
        var id: Int
        var command: String
        var timeout: Int64
        var dynamic: Bool
        var user: ScriptCredentials
        var delayLoop: Int64
        var retry: Int
        var delayBeforeRetry: Int64
        var nextRun: Instant
        var pid: pid_t?
        var started: Instant = .zero
        var attempt = 0
        var timedOut = false
    }

    private var checks: [Check] = []
    private let logger: Logger
    /// `ha_suspend`: checks that skip their runs (a running one finishes); the registry
    /// the NIO checkers read too.
    private let suspension: CheckSuspension

    init(_ specs: [CheckSpec], defaultUser: ScriptCredentials, now: Instant, suspension: CheckSuspension = CheckSuspension(),
         logger: Logger) {
        self.logger = logger
        self.suspension = suspension
        for spec in specs {
            guard case let .misc(command, timeout, dynamic, user, group) = spec.kind else { continue }
            var credentials = defaultUser
            if let user {
                do { credentials = try ScriptCredentials.lookup(user: user, group: group) } catch {
                    logger.error("MISC_CHECK '\(command)': \(error); it runs as \(defaultUser.user)")
                }
            }
            let first = spec.warmup > 0 ? Int64.random(in: 0...spec.warmup) : 0
            checks.append(Check(id: spec.id, command: command, timeout: timeout, dynamic: dynamic, user: credentials,
                                delayLoop: spec.delayLoop, retry: spec.retry, delayBeforeRetry: spec.delayBeforeRetry,
                                nextRun: now + first))
        }
    }

    var isEmpty: Bool { checks.isEmpty }

    var nextDeadline: Instant? {
        checks.map { c in c.pid == nil ? c.nextRun : c.started + c.timeout }.min()
    }

    /// Starts due checks, reaps finished ones, kills overdue ones; returns final outcomes.
    func advance(to now: Instant) -> [(Int, CheckOutcome)] {
        var results: [(Int, CheckOutcome)] = []
        for i in checks.indices {
            if let pid = checks[i].pid {
                if let exit = ScriptProcess.reap(pid) {
                    checks[i].pid = nil
                    let outcome = Self.outcome(exit, dynamic: checks[i].dynamic, timedOut: checks[i].timedOut,
                                               timeout: checks[i].timeout)
                    if !outcome.isUp && checks[i].attempt < checks[i].retry {
                        checks[i].attempt += 1
                        checks[i].nextRun = now + checks[i].delayBeforeRetry
                    } else {
                        checks[i].attempt = 0
                        checks[i].nextRun = now + checks[i].delayLoop
                        results.append((checks[i].id, outcome))
                    }
                } else if !checks[i].timedOut, now >= checks[i].started + checks[i].timeout {
                    checks[i].timedOut = true
                    ScriptProcess.signal(pid, SIGKILL)
                }
            }
            if checks[i].pid == nil, now >= checks[i].nextRun {
                if suspension.contains(checks[i].id) {
                    checks[i].nextRun = now + checks[i].delayLoop
                    continue
                }
                do {
                    checks[i].pid = try ScriptProcess.spawn(checks[i].command, as: checks[i].user)
                    checks[i].started = now
                    checks[i].timedOut = false
                } catch {
                    logger.error("MISC_CHECK '\(checks[i].command)': \(error)")
                    checks[i].nextRun = now + checks[i].delayLoop
                    results.append((checks[i].id, .down("cannot start: \(error)")))
                }
            }
        }
        return results
    }

    static func outcome(_ exit: ScriptProcess.Exit, dynamic: Bool, timedOut: Bool, timeout: Int64) -> CheckOutcome {
        if timedOut { return .down("MISC_CHECK timeout after \(formatMicro(timeout))") }
        switch exit {
        case .status(0): return .up
        case let .status(code) where dynamic && code >= 2: return .upWithWeight(Int32(code - 2))
        case let .status(code): return .down("MISC_CHECK exit status \(code)")
        case let .signal(sig): return .down("MISC_CHECK killed by signal \(sig)")
        }
    }

    func stop() {
        for c in checks {
            guard let pid = c.pid else { continue }
            ScriptProcess.end(pid)
        }
    }
}
