/// The whole configuration as a typed value: what every later stage (VRRP engine, health
/// checks, IPVS reconciler) reads. No string dictionaries: keywords Vigil implements are
/// fields; keywords it only recognises are kept as `Statement`s in `unsupported` so that
/// nothing is dropped.
public struct Configuration: Hashable, Sendable {
    public var globalDefs = GlobalDefs()
    public var vrrpScripts: [VRRPScript] = []
    public var trackFiles: [TrackFile] = []
    public var trackProcesses: [TrackProcess] = []
    public var vrrpInstances: [VRRPInstance] = []
    public var syncGroups: [SyncGroup] = []
    public var virtualServerGroups: [VirtualServerGroup] = []
    public var virtualServers: [VirtualServer] = []
    /// Vigil's own (DPVS's word): the source addresses of FNAT services on this director.
    public var localAddressGroups: [LocalAddressGroup] = []
    /// `static_routes` / `static_rules`: installed at start whatever the instances' states,
    /// removed at exit.
    public var staticRoutes: [VirtualRoute] = []
    public var staticRules: [VirtualRule] = []
    /// `SSL { … }`: the client identity of every SSL_GET.
    public var ssl: SSLContextSettings?
    /// Vigil's own `announce` blocks: host routes for FRR to announce.
    public var announcements: [Announcement] = []
    /// Top-level blocks Vigil recognises but does not implement yet, as written.
    public var unsupported: [Statement] = []

    public init() {}

    public var realServerCount: Int { virtualServers.reduce(0) { $0 + $1.realServers.count } }
}

/// keepalived's top-level `SSL` block: a client certificate and key (PEM, the key possibly
/// protected by `password`) that SSL_GET presents, and a `ca` file. keepalived loads the
/// CA but never asks for the server's certificate to be verified; Vigil does the same
/// (health checks reach real servers by address, rarely by the name in their certificate).
public struct SSLContextSettings: Hashable, Sendable {
    public var origin: Origin
    public var password: String?
    public var ca: String?
    public var certificate: String?
    public var key: String?

    public init(origin: Origin) { self.origin = origin }
}
