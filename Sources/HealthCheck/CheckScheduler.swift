import NIOCore
import NIOPosix

/// One checker of one real server, ready to run: what to check and keepalived's timing.
public struct CheckSpec: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case tcp(CheckTarget)
        case http(CheckTarget, urls: [HTTPGetChecker.URL])
        /// MISC_CHECK: a command; run by the daemon (processes are spawned at the edge),
        /// not on the event loop.
        case misc(command: String, timeout: Int64, dynamic: Bool, user: String?, group: String?)
    }

    /// Whatever the caller uses to find the real server again.
    public var id: Int
    public var kind: Kind
    /// `delay_loop`: time between checks (keepalived's default 60 s).
    public var delayLoop: Int64
    /// `retry` / `nb_get_retry`: failures in a row before the server counts as down.
    public var retry: Int
    /// `delay_before_retry`: wait before a retry.
    public var delayBeforeRetry: Int64
    /// `warmup`: a random delay up to this before the first check, so that a thousand
    /// checks do not fire in the same millisecond.
    public var warmup: Int64

    public init(id: Int, kind: Kind, delayLoop: Int64 = 60_000_000, retry: Int = 1, delayBeforeRetry: Int64 = 1_000_000,
                warmup: Int64 = 0) {
        self.id = id
        self.kind = kind
        self.delayLoop = delayLoop
        self.retry = retry
        self.delayBeforeRetry = delayBeforeRetry
        self.warmup = warmup
    }
}

/// Runs every check on its own delay_loop on one SwiftNIO event loop thread, so a
/// thousand real servers cost one thread and no blocking anywhere. A failed check is
/// retried `retry` times, `delay_before_retry` apart, before it is reported down. Only a
/// final outcome that differs from the check's previous one goes to `report` (called on
/// the event loop thread): in steady state the daemon's own thread is never woken.
public final class CheckScheduler: Sendable {
    private let group: MultiThreadedEventLoopGroup
    private let report: @Sendable (Int, CheckOutcome) -> Void
    /// Touched only on the event loop thread.
    private final class Reported: @unchecked Sendable { var last: [Int: CheckOutcome] = [:] }
    private let reported = Reported()

    public init(report: @escaping @Sendable (Int, CheckOutcome) -> Void) {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.report = report
    }

    public func start(_ specs: [CheckSpec]) {
        let loop = group.next()
        for spec in specs {
            if case .misc = spec.kind { continue }
            let first = spec.warmup > 0 ? Int64.random(in: 0...spec.warmup) : 0
            loop.scheduleTask(in: .microseconds(first)) { self.run(spec, attempt: 0, cycle: .now(), on: loop) }
        }
    }

    /// `cycle`: when this round of checks began. The next round begins delay_loop after
    /// it (not after the check ended), so a slow check or a retry never stretches the
    /// period: a thousand servers at delay_loop 1 s are a thousand checks a second.
    private func run(_ spec: CheckSpec, attempt: Int, cycle: NIODeadline, on loop: EventLoop) {
        let check: EventLoopFuture<CheckOutcome>
        switch spec.kind {
        case let .tcp(target): check = TCPChecker.check(target, on: loop)
        case let .http(target, urls): check = HTTPGetChecker.check(target, urls: urls, on: loop)
        case .misc: return
        }
        check.whenSuccess { outcome in
            if !outcome.isUp && attempt < spec.retry {
                loop.scheduleTask(in: .microseconds(spec.delayBeforeRetry)) {
                    self.run(spec, attempt: attempt + 1, cycle: cycle, on: loop)
                }
                return
            }
            if self.reported.last[spec.id] != outcome {
                self.reported.last[spec.id] = outcome
                self.report(spec.id, outcome)
            }
            let next = max(cycle + .microseconds(spec.delayLoop), .now())
            loop.scheduleTask(deadline: next) { self.run(spec, attempt: 0, cycle: next, on: loop) }
        }
    }

    public func stop() {
        try? group.syncShutdownGracefully()
    }
}
