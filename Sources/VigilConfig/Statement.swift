/// One line of keepalived.conf: a keyword, its arguments, and the block it opens, if any.
///
/// This is the syntax tree before interpretation. Blocks that Vigil implements become typed
/// model values; blocks it only recognises are kept as statements, so that nothing the
/// operator wrote is lost (`--dump` prints them back).
public struct Statement: Hashable, Sendable {
    public var keyword: Token
    public var arguments: [Token]
    /// The statements inside `{ }`, or nil when the keyword opens no block.
    public var block: [Statement]?

    public init(keyword: Token, arguments: [Token] = [], block: [Statement]? = nil) {
        self.keyword = keyword
        self.arguments = arguments
        self.block = block
    }

    public var name: String { keyword.text }
    public var location: SourceLocation { keyword.location }
    /// The words after the keyword.
    public var values: [String] { arguments.map(\.text) }
}
