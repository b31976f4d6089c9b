/// One problem found in a configuration, located like a compiler's.
public struct Diagnostic: Hashable, Sendable, CustomStringConvertible {
    public enum Severity: String, Sendable, Hashable, Comparable {
        case warning
        case error

        public static func < (lhs: Severity, rhs: Severity) -> Bool {
            lhs == .warning && rhs == .error
        }
    }

    public var severity: Severity
    public var location: SourceLocation
    public var message: String
    /// A stable identifier of the kind of problem (for tests, JSON consumers and docs).
    public var id: String

    public init(_ severity: Severity, _ id: String, at location: SourceLocation, _ message: String) {
        self.severity = severity
        self.location = location
        self.message = message
        self.id = id
    }

    /// `file:line:column: error|warning: message`
    public var description: String { "\(location): \(severity.rawValue): \(message)" }
}

/// Collects diagnostics while a configuration is read; every stage adds to the same list.
public final class DiagnosticEngine {
    public private(set) var diagnostics: [Diagnostic] = []
    /// The order in which files were first read, so that diagnostics print in file order.
    private var fileOrder: [String: Int] = [:]

    public init() {}

    public func noteFile(_ path: String) {
        if fileOrder[path] == nil { fileOrder[path] = fileOrder.count }
    }

    public func error(_ id: String, at location: SourceLocation, _ message: String) {
        diagnostics.append(Diagnostic(.error, id, at: location, message))
    }

    public func warning(_ id: String, at location: SourceLocation, _ message: String) {
        diagnostics.append(Diagnostic(.warning, id, at: location, message))
    }

    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }

    /// Diagnostics in file order: files as first read, then line, then column.
    public var sorted: [Diagnostic] {
        let indexed = diagnostics.enumerated().map { ($0.offset, $0.element) }
        return indexed.sorted { a, b in
            if a.1.location == b.1.location { return a.0 < b.0 }
            return precedes(a.1.location, b.1.location)
        }.map(\.1)
    }

    /// The first of some locations in file order (where a once-per-configuration warning goes).
    public func earliest(_ locations: [SourceLocation]) -> SourceLocation? {
        locations.min(by: precedes)
    }

    private func precedes(_ la: SourceLocation, _ lb: SourceLocation) -> Bool {
        let fa = fileOrder[la.file] ?? Int.max, fb = fileOrder[lb.file] ?? Int.max
        if fa != fb { return fa < fb }
        if la.file != lb.file { return la.file < lb.file }
        if la.line != lb.line { return la.line < lb.line }
        return la.column < lb.column
    }
}
