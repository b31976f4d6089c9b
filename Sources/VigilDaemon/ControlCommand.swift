/// A request on the control socket: one line, words separated by spaces. `vigil status`,
/// `vigil reload` … send these; an operator can also type them into `socat`.
public enum ControlCommand: Equatable, Sendable {
    /// Every instance and virtual server, as JSON (`StatusReport`).
    case status
    /// Re-read the configuration (as SIGHUP), and answer with the outcome.
    case reload
    /// Weight 0 for a real server: no new connections, established ones finish.
    case drain(virtualServer: String, realServer: String)
    case undrain(virtualServer: String, realServer: String)
    /// A temporary priority (nil: back to the configured one).
    case priority(instance: String, value: UInt8?)
    /// Hand over to the peer: priority 1 until `priority INSTANCE reset`.
    case resign(instance: String)

    public struct ParseError: Error, CustomStringConvertible, Equatable {
        public var description: String
    }

    public static let usage = """
        status | reload | drain VS RS | undrain VS RS | priority INSTANCE 1-254|reset | resign INSTANCE
        """

    public init(parsing line: String) throws(ParseError) {
        let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).map(String.init)
        func expect(_ n: Int) throws(ParseError) {
            guard words.count == n else {
                throw ParseError(description: "'\(words.first ?? "")' takes \(n - 1) argument(s); usage: \(Self.usage)")
            }
        }
        switch words.first {
        case "status"?:
            try expect(1)
            self = .status
        case "reload"?:
            try expect(1)
            self = .reload
        case "drain"?:
            try expect(3)
            self = .drain(virtualServer: words[1], realServer: words[2])
        case "undrain"?:
            try expect(3)
            self = .undrain(virtualServer: words[1], realServer: words[2])
        case "priority"?:
            try expect(3)
            if words[2] == "reset" {
                self = .priority(instance: words[1], value: nil)
            } else if let n = UInt8(words[2]), (1...254).contains(n) {
                self = .priority(instance: words[1], value: n)
            } else {
                throw ParseError(description: "priority '\(words[2])' is not 1-254 or 'reset' (255 belongs to the address owner, 0 to a leaving master)")
            }
        case "resign"?:
            try expect(2)
            self = .resign(instance: words[1])
        default:
            throw ParseError(description: "unknown request '\(words.first ?? "")'; usage: \(Self.usage)")
        }
    }

    /// The line a client sends.
    public var line: String {
        switch self {
        case .status: return "status"
        case .reload: return "reload"
        case let .drain(vs, rs): return "drain \(vs) \(rs)"
        case let .undrain(vs, rs): return "undrain \(vs) \(rs)"
        case let .priority(i, v): return "priority \(i) \(v.map(String.init) ?? "reset")"
        case let .resign(i): return "resign \(i)"
        }
    }
}
