#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import VigilTypes

/// An IPv4 or IPv6 address, held as its network-order bytes.
public enum IPAddress: Hashable, Sendable, CustomStringConvertible {
    case v4(UInt8, UInt8, UInt8, UInt8)
    case v6([UInt8])

    public enum Family: String, Sendable, Hashable { case inet = "IPv4", inet6 = "IPv6" }

    public var family: Family {
        if case .v4 = self { return .inet }
        return .inet6
    }

    public var bytes: [UInt8] {
        switch self {
        case let .v4(a, b, c, d): return [a, b, c, d]
        case let .v6(bytes): return bytes
        }
    }

    public var maximumPrefixLength: Int { family == .inet ? 32 : 128 }

    /// Parses dotted-quad IPv4 or any textual IPv6 form (inet_pton's rules).
    public init?(_ text: String) {
        if text.utf8.contains(UInt8(ascii: ":")) {
            var storage = in6_addr()
            guard inet_pton(AF_INET6, text, &storage) == 1 else { return nil }
            self = .v6(withUnsafeBytes(of: &storage) { Array($0) })
        } else {
            var storage = in_addr()
            guard inet_pton(AF_INET, text, &storage) == 1 else { return nil }
            self = withUnsafeBytes(of: &storage) { .v4($0[0], $0[1], $0[2], $0[3]) }
        }
    }

    public var description: String {
        switch self {
        case let .v4(a, b, c, d):
            return "\(a).\(b).\(c).\(d)"
        case let .v6(bytes):
            var storage = in6_addr()
            withUnsafeMutableBytes(of: &storage) { $0.copyBytes(from: bytes) }
            var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            _ = inet_ntop(AF_INET6, &storage, &buffer, socklen_t(buffer.count))
            return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    public var isMulticast: Bool {
        switch self {
        case let .v4(a, _, _, _): return a >= 224 && a <= 239
        case let .v6(bytes): return bytes[0] == 0xff
        }
    }

    public var isUnspecified: Bool { bytes.allSatisfy { $0 == 0 } }
}

/// An address with an optional prefix length, as written `192.0.2.100/24`.
public struct IPPrefix: Hashable, Sendable, CustomStringConvertible {
    public var address: IPAddress
    /// nil when no `/N` was written (keepalived then uses /32 or /128).
    public var prefixLength: Int?

    public init(address: IPAddress, prefixLength: Int?) {
        self.address = address
        self.prefixLength = prefixLength
    }

    public enum ParseError: Error, Equatable, CustomStringConvertible {
        case badAddress(String)
        case badPrefix(String, maximum: Int)

        public var description: String {
            switch self {
            case let .badAddress(text): return "'\(text)' is not an IPv4 or IPv6 address"
            case let .badPrefix(text, maximum): return "prefix length '\(text)' is not a number from 0 to \(maximum)"
            }
        }
    }

    public static func parse(_ text: String) -> Result<IPPrefix, ParseError> {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(String(parts[0])) else { return .failure(.badAddress(String(parts[0]))) }
        guard parts.count == 2 else { return .success(IPPrefix(address: address, prefixLength: nil)) }
        guard let length = Int(parts[1]), length >= 0, length <= address.maximumPrefixLength else {
            return .failure(.badPrefix(String(parts[1]), maximum: address.maximumPrefixLength))
        }
        return .success(IPPrefix(address: address, prefixLength: length))
    }

    public var description: String {
        prefixLength.map { "\(address)/\($0)" } ?? address.description
    }
}

extension IPAddress {
    /// The same address as the core, the pool and the edge hold it.
    public var internetAddress: InternetAddress {
        switch self {
        case let .v4(a, b, c, d): return .v4(IPv4Address(a, b, c, d))
        case let .v6(bytes): return .v6(IPv6Address(bytes: bytes))
        }
    }
}
