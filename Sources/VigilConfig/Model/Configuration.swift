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
    public var staticAddresses: [VirtualIPAddress] = []
    /// `static_routes` / `static_rules`: installed at start whatever the instances' states,
    /// removed at exit.
    public var staticRoutes: [VirtualRoute] = []
    public var staticRules: [VirtualRule] = []
    /// Top-level blocks Vigil recognises but does not implement yet, as written.
    public var unsupported: [Statement] = []

    public init() {}

    public var realServerCount: Int { virtualServers.reduce(0) { $0 + $1.realServers.count } }
}
