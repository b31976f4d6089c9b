/// A word of keepalived.conf after lexing and preprocessing.
public struct Token: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        case word
        /// `{`
        case open
        /// `}`
        case close
        /// The end of a logical line.
        case newline
    }

    public var kind: Kind
    /// The word's text with quotes removed and escapes resolved.
    public var text: String
    /// The word was written in double quotes (it never splits, never opens a block).
    public var quoted: Bool
    /// Where the token was written; it takes no part in equality (see `Origin`).
    public var origin: Origin
    public var location: SourceLocation {
        get { origin.location }
        set { origin = Origin(newValue) }
    }

    /// Equal tokens say the same word: quoting is how it was written, like its location.
    /// (`--dump` quotes a kept word that would otherwise read as a directive.)
    public static func == (a: Token, b: Token) -> Bool { a.kind == b.kind && a.text == b.text }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(kind)
        hasher.combine(text)
    }

    public init(_ kind: Kind, _ text: String, quoted: Bool = false, at location: SourceLocation) {
        self.kind = kind
        self.text = text
        self.quoted = quoted
        self.origin = Origin(location)
    }
}
