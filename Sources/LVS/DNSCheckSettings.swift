/// keepalived's DNS_CHECK as configured: one query (recursion desired, class IN) over UDP;
/// the server is up when its answer — same ID, a response — says NOERROR.
public struct DNSCheckSettings: Sendable, Equatable {
    /// keepalived's record types, by name and number.
    public static let types: [(name: String, code: UInt16)] = [
        ("A", 1), ("NS", 2), ("CNAME", 5), ("SOA", 6), ("MX", 15), ("TXT", 16), ("AAAA", 28), ("RRSIG", 46), ("DNSKEY", 48),
    ]

    /// The record type (keepalived's default: SOA).
    public var type: UInt16
    /// The name asked for (keepalived's default: the root, "").
    public var name: String

    public init(type: UInt16 = 6, name: String = "") {
        self.type = type
        self.name = name
    }

    public var typeName: String { Self.types.first { $0.code == type }?.name ?? "\(type)" }

    /// The query with this ID: a 12-byte header (RD set, one question), the name as
    /// length-prefixed labels ending with the root's empty one, the type, class IN.
    public func query(id: UInt16) -> [UInt8] {
        var q: [UInt8] = [UInt8(id >> 8), UInt8(id & 0xff), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
        for label in name.split(separator: ".", omittingEmptySubsequences: true) {
            let bytes = Array(label.utf8.prefix(63))
            q.append(UInt8(bytes.count))
            q += bytes
        }
        q.append(0)
        q += [UInt8(type >> 8), UInt8(type & 0xff), 0, 1]
        return q
    }

    /// keepalived's reading of a datagram: nil when it is not the answer to query `id`
    /// (too short, another ID, not a response: keep waiting), up on NOERROR, else down
    /// with the code.
    public func judge(_ reply: [UInt8], id: UInt16) -> CheckOutcome? {
        guard reply.count >= 12, UInt16(reply[0]) << 8 | UInt16(reply[1]) == id, reply[2] & 0x80 != 0 else { return nil }
        let rcode = reply[3] & 0x0f
        guard rcode == 0 else {
            let names: [UInt8: String] = [1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"]
            return .down("DNS \(typeName) \(name.isEmpty ? "." : name): rcode \(rcode)\(names[rcode].map { " (\($0))" } ?? "")")
        }
        return .up
    }
}
