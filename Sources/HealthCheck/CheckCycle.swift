import LVS

/// One checker's rules between its rounds, without I/O: keepalived retries only a checker
/// that was passing (`retry` times, `delay_before_retry` apart), an HTTP_GET recovering
/// checks one URL per round (`HTTPRecovery`), and only an outcome that differs from the
/// last reported one is reported. The NIO scheduler and the TCP prober both drive it.
struct CheckCycle: Sendable {
    let spec: CheckSpec
    private(set) var reported: CheckOutcome?
    private(set) var recovery: HTTPRecovery

    /// What to do with a check's outcome.
    enum Step: Equatable {
        /// Check again after `delay` microseconds, as attempt `attempt`.
        case retry(attempt: Int, delay: Int64)
        /// The round is over: `final` is its outcome (what the metrics count); `report`,
        /// when set, is a change to tell the pool. The next round follows delay_loop after
        /// the round began.
        case done(final: CheckOutcome, report: CheckOutcome?)
    }

    init(_ spec: CheckSpec) {
        self.spec = spec
        var urls = 1, fast = true
        if case let .http(_, settings) = spec.kind { urls = settings.urls.count; fast = settings.fastRecovery }
        recovery = HTTPRecovery(urlCount: urls, fastRecovery: fast, startsPassing: !spec.startsDown)
    }

    mutating func settle(_ outcome: CheckOutcome, attempt: Int) -> Step {
        if !outcome.isUp && attempt < spec.retry && recovery.passing {
            return .retry(attempt: attempt + 1, delay: spec.delayBeforeRetry)
        }
        guard recovery.record(passed: outcome.isUp), reported != outcome else { return .done(final: outcome, report: nil) }
        reported = outcome
        return .done(final: outcome, report: outcome)
    }
}
