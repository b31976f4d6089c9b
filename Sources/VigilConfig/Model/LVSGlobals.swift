/// `lvs_sync_daemon INTERFACE [VRRP_INSTANCE | inst NAME] [id N] [maxlen N] [port N]
/// [ttl N] [group ADDRESS]`: the kernel's IPVS connection synchronisation, so that a
/// backup director taking over finds the master's established connections in its table.
public struct LVSSyncDaemonConfig: Hashable, Sendable {
    public var interface: String
    /// The VRRP instance whose state decides which daemon runs (master while it is
    /// MASTER, backup otherwise); nil: both run.
    public var instance: String?
    /// `id` (0–255); nil: the followed instance's virtual_router_id, else 0.
    public var syncID: Int?
    public var maxLength: Int?
    public var port: Int?
    public var ttl: Int?
    public var group: IPAddress?
    /// Where it was written: a followed instance that does not exist is reported there.
    public var origin: Origin

    public init(interface: String, origin: Origin) {
        self.interface = interface
        self.origin = origin
    }
}

/// `lvs_timeouts [tcp S] [tcpfin S] [udp S]`: the kernel's IPVS connection timeouts.
public struct LVSTimeoutsConfig: Hashable, Sendable {
    public var tcp: Int?
    public var tcpFin: Int?
    public var udp: Int?
    public init() {}
}

/// `lvs_flush_on_stop [VS]`: what leaves the IPVS table at exit.
public enum LVSFlushOnStopConfig: String, Hashable, Sendable {
    /// Written bare: every service in the kernel's table (`ipvsadm -C`).
    case full
    /// `VS`: the virtual servers the configuration names.
    case virtualServers = "VS"
}
