/// Vigil's own `announce ADDRESS { … }` block: a host route for ADDRESS that FRR (or any
/// routing daemon redistributing kernel routes) announces while this director serves the
/// address — every virtual server named has its quorum here, every VRRP instance named is
/// MASTER here. The way several directors share one service address behind a router's
/// ECMP; keepalived has nothing like it, so a portable configuration writes these lines
/// with `@vigil` (see the README's "Scaling out").
public struct Announcement: Hashable, Sendable {
    /// What must hold for the route to be announced.
    public enum Condition: Hashable, Sendable {
        /// Every `virtual_server` with this key has its quorum.
        case virtualServer(VirtualServiceKey, Origin)
        /// The instance is MASTER.
        case vrrpInstance(String, Origin)
    }

    public var origin: Origin
    public var address: IPAddress
    public var conditions: [Condition] = []
    /// Keywords recognised in the block but not implemented (none yet), as written.
    public var unsupported: [Statement] = []

    public init(address: IPAddress, origin: Origin) {
        self.address = address
        self.origin = origin
    }
}
