import LVS
import NIOCore
import Synchronization

/// A check's outcome, decided once: the first of its answer, its error and its timeout
/// wins; whatever comes after is too late and is dropped.
final class Verdict: Sendable {
    let promise: EventLoopPromise<CheckOutcome>
    private let decided = Mutex(false)

    init(_ promise: EventLoopPromise<CheckOutcome>) { self.promise = promise }

    func decide(_ outcome: CheckOutcome) {
        guard decided.withLock({ done in defer { done = true }; return !done }) else { return }
        promise.succeed(outcome)
    }
}
