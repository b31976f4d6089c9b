import Synchronization

/// `ha_suspend`'s one registry: which checkers skip their rounds now. The LVS runner sets
/// it as virtual addresses come and go; the SwiftNIO checkers (on their event loops) and
/// the MISC_CHECK runner (on the daemon's thread) both read it. A suspended checker keeps
/// its last result.
public final class CheckSuspension: Sendable {
    private let ids = Mutex<Set<Int>>([])

    public init(_ suspended: Set<Int> = []) {
        ids.withLock { $0 = suspended }
    }

    public func contains(_ id: Int) -> Bool { ids.withLock { $0.contains(id) } }

    /// Suspends (or resumes) these checkers.
    public func set(_ checkers: [Int], suspended: Bool) {
        ids.withLock { set in
            if suspended { set.formUnion(checkers) } else { set.subtract(checkers) }
        }
    }

    public func replace(with suspended: Set<Int>) { ids.withLock { $0 = suspended } }
}
