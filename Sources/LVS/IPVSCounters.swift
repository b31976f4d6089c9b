/// The kernel's traffic counters for one IPVS service or one of its destinations, as
/// `ipvsadm -Ln --stats` shows them. Kept apart from `IPVSService`/`IPVSDestination`,
/// which describe what the table should hold and are compared by the reconciler.
public struct IPVSCounters: Hashable, Sendable {
    public var service: IPVSService.Key
    /// nil: the service's own totals.
    public var destination: IPVSDestination.Key?
    /// Connections scheduled since the entry was created.
    public var connections: UInt64 = 0
    public var inPackets: UInt64 = 0
    public var outPackets: UInt64 = 0
    public var inBytes: UInt64 = 0
    public var outBytes: UInt64 = 0
    /// A destination's connections now (ESTABLISHED, and the others).
    public var activeConnections: UInt32?
    public var inactiveConnections: UInt32?

    public init(service: IPVSService.Key, destination: IPVSDestination.Key? = nil) {
        self.service = service
        self.destination = destination
    }
}
