import VigilTypes

/// The kernel's IPVS connection synchronisation (`ipvsadm --start-daemon`): a master
/// daemon multicasts the director's connection entries, a backup daemon on the other
/// director receives them into its own table, so that when it takes over, established
/// connections find their real server there instead of being reset.
///
/// Plain values and the rule of which daemons run; `VigilLinux.IPVSDriver` starts and
/// stops them.
public struct IPVSSyncDaemon: Hashable, Sendable, CustomStringConvertible {
    /// The kernel's two daemons (IP_VS_STATE_MASTER = 1, IP_VS_STATE_BACKUP = 2); both may
    /// run at once.
    public enum Role: UInt32, Hashable, Sendable, CaseIterable, CustomStringConvertible {
        case master = 1
        case backup = 2
        public var description: String { self == .master ? "master" : "backup" }
    }

    public var role: Role
    public var settings: SyncDaemonSettings

    public init(_ role: Role, _ settings: SyncDaemonSettings) {
        self.role = role
        self.settings = settings
    }

    public var description: String { "\(role) sync daemon (\(settings))" }
}

/// What `lvs_sync_daemon` says, as the kernel takes it. Unset options are the kernel's
/// defaults: group 224.0.0.81, port 8848, ttl 1, maxlen from the interface's MTU.
public struct SyncDaemonSettings: Hashable, Sendable, CustomStringConvertible {
    /// The interface the sync messages are sent on and received from.
    public var interface: String
    /// Directors of one pair share it; messages with another id are ignored.
    public var syncID: UInt8
    public var maxLength: UInt16?
    public var port: UInt16?
    public var ttl: UInt8?
    public var group: InternetAddress?

    public init(interface: String, syncID: UInt8, maxLength: UInt16? = nil, port: UInt16? = nil, ttl: UInt8? = nil,
                group: InternetAddress? = nil) {
        self.interface = interface
        self.syncID = syncID
        self.maxLength = maxLength
        self.port = port
        self.ttl = ttl
        self.group = group
    }

    /// A daemon the kernel reports runs as `wanted` says: same interface and id, and each
    /// option `wanted` sets has that value (an unset one takes the kernel's default, which
    /// the kernel then reports).
    public func satisfies(_ wanted: SyncDaemonSettings) -> Bool {
        interface == wanted.interface && syncID == wanted.syncID
            && (wanted.maxLength == nil || maxLength == wanted.maxLength) && (wanted.port == nil || port == wanted.port)
            && (wanted.ttl == nil || ttl == wanted.ttl) && (wanted.group == nil || group == wanted.group)
    }

    public var description: String {
        var parts = ["mcast=\(interface)", "syncid=\(syncID)"]
        if let maxLength { parts.append("maxlen=\(maxLength)") }
        if let group { parts.append("group=\(group)") }
        if let port { parts.append("port=\(port)") }
        if let ttl { parts.append("ttl=\(ttl)") }
        return parts.joined(separator: ", ")
    }
}

/// Which sync daemons run, as keepalived decides: following a VRRP instance, the master
/// daemon while it is MASTER and the backup daemon otherwise; following none, both, from
/// start to stop.
public struct SyncDaemonPlan: Hashable, Sendable {
    public var settings: SyncDaemonSettings
    /// The VRRP instance whose state decides (nil: both daemons always).
    public var instance: String?

    public init(_ settings: SyncDaemonSettings, following instance: String?) {
        self.settings = settings
        self.instance = instance
    }

    /// The daemons wanted while the followed instance is MASTER or not.
    public func wanted(master: Bool) -> Set<IPVSSyncDaemon.Role> {
        guard instance != nil else { return [.master, .backup] }
        return master ? [.master] : [.backup]
    }

    /// How to go from the daemons running to those wanted: stops first (a director
    /// becoming master stops its backup daemon, then starts its master daemon, as
    /// keepalived does), then starts, each in the kernel's role order.
    public static func changes(running: Set<IPVSSyncDaemon.Role>, wanted: Set<IPVSSyncDaemon.Role>,
                               settings: SyncDaemonSettings) -> [SyncDaemonChange] {
        let roles = IPVSSyncDaemon.Role.allCases
        return roles.filter { running.contains($0) && !wanted.contains($0) }.map { .stop($0) }
            + roles.filter { wanted.contains($0) && !running.contains($0) }.map { .start(IPVSSyncDaemon($0, settings)) }
    }
}

/// One step on the kernel's sync daemons.
public enum SyncDaemonChange: Hashable, Sendable, CustomStringConvertible {
    case start(IPVSSyncDaemon)
    case stop(IPVSSyncDaemon.Role)

    public var description: String {
        switch self {
        case let .start(d): return "start the \(d)"
        case let .stop(role): return "stop the \(role) sync daemon"
        }
    }
}

/// `lvs_timeouts`: the kernel's IPVS connection timeouts in seconds (`ipvsadm --set`);
/// an unset one, or 0, leaves the kernel's value.
public struct IPVSTimeouts: Hashable, Sendable, CustomStringConvertible {
    public var tcp: UInt32?
    public var tcpFin: UInt32?
    public var udp: UInt32?

    public init(tcp: UInt32? = nil, tcpFin: UInt32? = nil, udp: UInt32? = nil) {
        self.tcp = tcp
        self.tcpFin = tcpFin
        self.udp = udp
    }

    public var description: String {
        [("tcp", tcp), ("tcpfin", tcpFin), ("udp", udp)].compactMap { name, value in value.map { "\(name) \($0)" } }
            .joined(separator: " ")
    }
}

/// `lvs_flush_on_stop`: what leaves the kernel's IPVS table at exit besides what this run
/// manages (keepalived's default removes only its own virtual servers).
public enum LVSFlushOnStop: String, Hashable, Sendable {
    /// Every service, this run's or not (`ipvsadm -C`).
    case full
    /// Every virtual server the configuration names, whether this run programmed it or found it.
    case virtualServers = "VS"
}
