/// Whether a real server is in the pool, from the results of its checkers.
///
/// keepalived's rule, which Vigil keeps: a real server is up only while every one of its
/// checkers reports success; one failing checker takes it out. A real server without
/// checkers is always up. Each state change carries the reason the failing checker gave.
public struct RealServerHealth: Sendable, Equatable {
    public enum Result: Sendable, Equatable {
        case up
        case down(reason: String)
    }

    /// The latest result of each checker, by checker index; nil until the first result
    /// (keepalived starts a checked real server as up unless `alpha` is set).
    private var results: [Result?]
    private let startsDown: Bool

    public init(checkerCount: Int, alpha: Bool) {
        results = Array(repeating: nil, count: checkerCount)
        startsDown = alpha
    }

    public var isUp: Bool {
        if results.isEmpty { return true }
        for r in results {
            switch r {
            case .down?: return false
            case nil where startsDown: return false
            default: continue
            }
        }
        return true
    }

    /// One checker's state as keepalived keeps it (`is_up`, `has_run`): before its first
    /// result it counts as up unless `alpha`.
    public func checker(_ i: Int) -> CheckerState? {
        guard results.indices.contains(i) else { return nil }
        switch results[i] {
        case nil: return CheckerState(isUp: !startsDown, hasRun: false)
        case .up?: return CheckerState(isUp: true, hasRun: true)
        case .down?: return CheckerState(isUp: false, hasRun: true)
        }
    }

    /// A checker's state: up or not, and whether it has reported yet.
    public struct CheckerState: Sendable, Equatable {
        public var isUp: Bool
        public var hasRun: Bool
        public init(isUp: Bool, hasRun: Bool) {
            self.isUp = isUp
            self.hasRun = hasRun
        }
    }

    /// Records a checker's result; returns the new state when the server changed state.
    public mutating func record(_ result: Result, checker: Int) -> Result? {
        guard results.indices.contains(checker) else { return nil }
        let before = isUp
        results[checker] = result
        let after = isUp
        guard before != after else { return nil }
        if after { return .up }
        if case let .down(reason) = result { return .down(reason: reason) }
        return .down(reason: "checker \(checker) has not reported yet")
    }
}
