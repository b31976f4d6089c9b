import LVS
import NIOCore
import Synchronization

/// An exchange's outcome, decided once: the first of its answer, its error and its
/// timeout wins; whatever comes after is too late and is dropped. A check's verdict is a
/// `CheckOutcome`; an SMTP alert's, whether it was sent.
final class Verdict<Value: Sendable>: Sendable {
    let promise: EventLoopPromise<Value>
    private let decided = Mutex(false)

    init(_ promise: EventLoopPromise<Value>) { self.promise = promise }

    func decide(_ outcome: Value) {
        guard decided.withLock({ done in defer { done = true }; return !done }) else { return }
        promise.succeed(outcome)
    }
}
