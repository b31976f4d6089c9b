import VigilConfig
import VigilTypes

/// What one check of a real server found: up, or down with the reason an operator reads
/// in the log ("HTTP 503", "timeout after 3 s", "connection refused", "digest mismatch").
public enum CheckOutcome: Sendable, Equatable, CustomStringConvertible {
    case up
    case down(String)
    /// MISC_CHECK with `misc_dynamic`: up, with this weight (exit status − 2).
    case upWithWeight(Int32)

    public var isUp: Bool {
        switch self {
        case .up, .upWithWeight: return true
        case .down: return false
        }
    }

    public var description: String {
        switch self {
        case .up: return "up"
        case let .upWithWeight(w): return "up with weight \(w)"
        case let .down(reason): return "down: \(reason)"
        }
    }
}

/// Where a checker connects, and how long it may take (keepalived's connect_ip,
/// connect_port, bindto, bind_port, connect_timeout).
public struct CheckTarget: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var bindAddress: String?
    public var bindPort: Int?
    /// `bind_if`: the connection leaves by this interface whatever the routing table says
    /// (a link-local `bindto` needs it).
    public var bindInterface: String?
    /// Microseconds for the whole exchange (keepalived's connect_timeout, default 5 s).
    public var timeout: Int64

    public init(host: String, port: Int, bindAddress: String? = nil, bindPort: Int? = nil, bindInterface: String? = nil,
                timeout: Int64 = 5_000_000) {
        self.host = host
        self.port = port
        self.bindAddress = bindAddress
        self.bindPort = bindPort
        self.bindInterface = bindInterface
        self.timeout = timeout
    }

    var timeoutText: String { "\(formatSeconds(timeout)) s" }
}
