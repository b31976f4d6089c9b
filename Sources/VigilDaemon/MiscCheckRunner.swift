#if canImport(Glibc)
import Glibc
#endif
import HealthCheck
import LVS
import Logging
import VRRP
import VigilLinux
import VigilTypes

/// keepalived's MISC_CHECK: a command per real server, run every delay_loop as a child
/// process (never blocking the loop; SIGCHLD wakes it), killed at `misc_timeout`. Exit 0
/// is up, 1 down; with `misc_dynamic`, 2…255 is up with weight status − 2. A failure is
/// retried `retry` times, `delay_before_retry` apart, before it counts. A suspended check
/// (`ha_suspend`) skips its runs.
///
/// Fail closed: a check whose `user` does not exist on this host, or whose program
/// `enable_script_security` refuses, never runs (it would run as root, or run an unsafe
/// file); its real server is down with that reason.
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
        var attempt = 0
        /// Why it never runs (its real server is down for it), or nil.
        var refused: String?
    }

    private var checks: [Check] = []
    private let children: ChildSupervisor
    private let logger: Logger
    /// `ha_suspend`: checks that skip their runs (a running one finishes); the registry
    /// the NIO checkers read too.
    private let suspension: CheckSuspension

    /// `refusal` says why enable_script_security refuses a command (nil: it may run).
    init(_ specs: [CheckSpec], defaultUser: ScriptCredentials, now: Instant, children: ChildSupervisor,
         suspension: CheckSuspension = CheckSuspension(), refusal: (String) -> String? = { _ in nil }, logger: Logger) {
        self.logger = logger
        self.children = children
        self.suspension = suspension
        for spec in specs {
            guard case let .misc(command, timeout, dynamic, user, group) = spec.kind else { continue }
            var credentials = defaultUser
            var refused: String?
            if let user {
                do { credentials = try ScriptCredentials.lookup(user: user, group: group) } catch {
                    refused = "\(error)"
                }
            }
            if refused == nil, let why = refusal(command) { refused = "refused by enable_script_security: \(why)" }
            if let refused { logger.error("MISC_CHECK '\(command)': \(refused); it does not run and its real server is down") }
            let first = spec.warmup > 0 ? Int64.random(in: 0...spec.warmup) : 0
            checks.append(Check(id: spec.id, command: command, timeout: timeout, dynamic: dynamic, user: credentials,
                                delayLoop: spec.delayLoop, retry: spec.retry, delayBeforeRetry: spec.delayBeforeRetry,
                                nextRun: refused == nil ? now + first : now, refused: refused))
        }
    }

    var isEmpty: Bool { checks.isEmpty }

    /// When the next run is due (a running one's deadline is the supervisor's).
    var nextDeadline: Instant? {
        checks.filter { $0.pid == nil }.map(\.nextRun).min()
    }

    /// Starts due checks and collects finished ones (the supervisor kills overdue ones);
    /// returns final outcomes.
    func advance(to now: Instant) -> [(Int, CheckOutcome)] {
        var results: [(Int, CheckOutcome)] = []
        for i in checks.indices {
            if let refused = checks[i].refused {
                if now >= checks[i].nextRun {
                    checks[i].nextRun = now + checks[i].delayLoop
                    results.append((checks[i].id, .down(refused)))
                }
                continue
            }
            if let pid = checks[i].pid {
                if let ending = children.take(pid) {
                    checks[i].pid = nil
                    let outcome = Self.outcome(ending.exit, dynamic: checks[i].dynamic, timedOut: ending.timedOut,
                                               timeout: checks[i].timeout)
                    if !outcome.isUp && checks[i].attempt < checks[i].retry {
                        checks[i].attempt += 1
                        checks[i].nextRun = now + checks[i].delayBeforeRetry
                    } else {
                        checks[i].attempt = 0
                        checks[i].nextRun = now + checks[i].delayLoop
                        results.append((checks[i].id, outcome))
                    }
                }
            }
            if checks[i].pid == nil, now >= checks[i].nextRun {
                if suspension.contains(checks[i].id) {
                    checks[i].nextRun = now + checks[i].delayLoop
                    continue
                }
                do {
                    checks[i].pid = try children.start(.shell(checks[i].command), as: checks[i].user,
                                                       timeout: checks[i].timeout, policy: .kill, at: now)
                } catch {
                    logger.error("MISC_CHECK '\(checks[i].command)': \(error)")
                    checks[i].nextRun = now + checks[i].delayLoop
                    results.append((checks[i].id, .down("cannot start: \(error)")))
                }
            }
        }
        return results
    }

    static func outcome(_ exit: ChildSupervisor.Exit, dynamic: Bool, timedOut: Bool, timeout: Int64) -> CheckOutcome {
        if timedOut { return .down("MISC_CHECK timeout after \(formatMicro(timeout))") }
        switch exit {
        case .status(0): return .up
        case let .status(code) where dynamic && code >= 2: return .upWithWeight(Int32(code - 2))
        case let .status(code): return .down("MISC_CHECK exit status \(code)")
        case let .signal(sig): return .down("MISC_CHECK killed by signal \(sig)")
        }
    }

    /// Its checks' runs end (a reload replaced it, the daemon stops).
    func stop(at now: Instant) {
        for c in checks { if let pid = c.pid { children.abandon(pid, at: now) } }
    }
}
