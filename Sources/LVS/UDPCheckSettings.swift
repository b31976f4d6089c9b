/// keepalived's UDP_CHECK as configured: what is sent and what reply, if any, must come.
public struct UDPCheckSettings: Sendable, Equatable {
    /// keepalived's datagram when no payload is configured: 32 bytes of its
    /// "keepalived check - " text repeated.
    public static let defaultPayload: [UInt8] = Array(String(repeating: "keepalived check - ", count: 2).utf8.prefix(32))

    public var payload: [UInt8]
    /// A reply must come within the timeout (without, silence counts as up).
    public var requireReply: Bool
    /// The reply's first bytes (the shorter of the two) must match, bits set in `mask`
    /// excepted; and only then its length must be within `minLength...maxLength`.
    public var replyData: [UInt8]?
    public var mask: [UInt8]?
    public var minLength: Int
    public var maxLength: Int

    public init(payload: [UInt8] = defaultPayload, requireReply: Bool = false, replyData: [UInt8]? = nil,
                mask: [UInt8]? = nil, minLength: Int = 0, maxLength: Int = 255) {
        self.payload = payload
        self.requireReply = requireReply
        self.replyData = replyData
        self.mask = mask
        self.minLength = minLength
        self.maxLength = maxLength
    }

    /// keepalived's verdict on a reply: up, or down with the reason.
    public func judge(_ reply: [UInt8]) -> CheckOutcome {
        guard let replyData else { return .up }
        guard reply.count >= minLength, reply.count <= maxLength else {
            return .down("UDP reply of \(reply.count) bytes, expected \(minLength) to \(maxLength)")
        }
        for i in 0..<min(reply.count, replyData.count) {
            let care = ~(mask?[i] ?? 0)
            if (reply[i] ^ replyData[i]) & care != 0 { return .down("UDP reply data mismatch at byte \(i)") }
        }
        return .up
    }
}
