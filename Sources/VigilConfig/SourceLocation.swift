/// Where something was written: the file as the operator named it, 1-based line and column.
///
/// Column counts Unicode scalars from the start of the physical line, as compilers do.
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}

/// The source location a configuration value came from.
///
/// Two configurations are equal when they say the same thing, wherever it was written, so
/// `Origin` takes no part in equality: a dumped and re-parsed configuration equals the
/// original although every line moved.
public struct Origin: Hashable, Sendable, CustomStringConvertible {
    public let location: SourceLocation

    public init(_ location: SourceLocation) { self.location = location }

    public static func == (lhs: Origin, rhs: Origin) -> Bool { true }
    public func hash(into hasher: inout Hasher) {}
    public var description: String { location.description }
}
