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

/// Where each keyword of a block was last written (the one that takes effect), so a rule
/// about a value can point at its line rather than at the block. Like `Origin`, it takes
/// no part in equality: a dump may spell a block's keywords differently.
public struct KeywordOrigins: Hashable, Sendable {
    private var origins: [String: Origin] = [:]

    public init() {}

    public subscript(keyword: String) -> Origin? {
        get { origins[keyword] }
        set { origins[keyword] = newValue }
    }

    public static func == (lhs: KeywordOrigins, rhs: KeywordOrigins) -> Bool { true }
    public func hash(into hasher: inout Hasher) {}
}
