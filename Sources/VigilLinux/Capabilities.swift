#if canImport(Glibc)
import Glibc
#endif

/// A Linux capability Vigil may need, with its number from <linux/capability.h>.
public enum Capability: Int, CaseIterable, Sendable, Comparable {
    /// A hanging script that runs as another user is killed at its timeout.
    case kill = 5
    /// A script's child process switches group (setgid, setgroups) before exec.
    case setgid = 6
    /// A script's child process switches user before exec.
    case setuid = 7
    /// Addresses, routes, rules, macvlans, IPVS, nftables, the /proc/sys/net settings.
    case netAdmin = 12
    /// Protocol-112 sockets, gratuitous ARP and unsolicited NA on packet sockets.
    case netRaw = 13

    /// The name systemd and capabilities(7) use, e.g. `CAP_NET_RAW`.
    public var name: String {
        switch self {
        case .kill: "CAP_KILL"
        case .setgid: "CAP_SETGID"
        case .setuid: "CAP_SETUID"
        case .netAdmin: "CAP_NET_ADMIN"
        case .netRaw: "CAP_NET_RAW"
        }
    }

    public var bit: UInt64 { 1 << UInt64(rawValue) }

    public static func < (a: Capability, b: Capability) -> Bool { a.rawValue < b.rawValue }
}

/// The calling process's effective capabilities, from /proc/self/status (CapEff).
public enum Capabilities {
    public static func effective() -> UInt64? {
        guard let f = fopen("/proc/self/status", "r") else { return nil }
        defer { fclose(f) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), f) != nil {
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if text.hasPrefix("CapEff:") {
                return UInt64(text.dropFirst(7).filter { !$0.isWhitespace }, radix: 16)
            }
        }
        return nil
    }
}
