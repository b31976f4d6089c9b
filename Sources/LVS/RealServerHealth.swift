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
