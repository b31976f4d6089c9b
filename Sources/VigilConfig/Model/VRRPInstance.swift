import VigilTypes
/// `vrrp_instance NAME { }`: one virtual router.
public struct VRRPInstance: Hashable, Sendable {
    public enum InitialState: String, Hashable, Sendable { case master = "MASTER", backup = "BACKUP" }

    public enum Authentication: Hashable, Sendable {
        /// `auth_type PASS` with `auth_pass` (at most 8 characters go on the wire).
        case password(String)
    }

    public var name: String
    public var origin: Origin
    public var initialState: InitialState?
    public var interface: String?
    /// Where `interface` was written (diagnostics about the interface point there).
    public var interfaceOrigin: Origin?
    public var virtualRouterID: Int?
    /// 1…255; keepalived's default is 100.
    public var priority: Int?
    /// The priority keepalived runs: as written, else 255 (address owner) for `state
    /// MASTER` and 100 otherwise.
    public var basePriority: Int { priority ?? (initialState == .master ? 255 : 100) }
    /// `advert_int` in microseconds (keepalived's default 1 s).
    public var advertInterval: Microseconds?
    public var version: Int?
    public var authentication: Authentication?
    public var virtualIPAddresses: [VirtualIPAddress] = []
    /// Installed with the VIPs but not put in adverts.
    public var excludedVirtualIPAddresses: [VirtualIPAddress] = []
    /// `nopreempt` clears this; preemption is keepalived's default.
    public var preempt = true
    public var preemptDelay: Microseconds?
    public var unicastSourceIP: IPAddress?
    public var unicastPeers: [IPAddress] = []
    /// `unicast_peer { ADDR min_ttl N max_ttl M }`: the TTL (hop limit) a peer's adverts
    /// must arrive with; a bound not written is 0 or 255.
    public var unicastPeerTTL: [IPAddress: TTLBounds] = [:]
    /// `check_unicast_src` here, or `vrrp_check_unicast_src` in global_defs: unicast
    /// adverts are taken only from a `unicast_peer`.
    public var checkUnicastSource = false
    public var trackScripts: [TrackReference] = []
    public var trackInterfaces: [TrackReference] = []
    public var trackFiles: [TrackReference] = []
    public var trackProcesses: [TrackReference] = []
    public var notify = NotifyScripts()
    /// `smtp_alert [BOOL]`: mail on the instance's transitions (nil: global_defs decides).
    public var smtpAlert: Bool?
    /// `virtual_routes` / `virtual_rules`: installed and removed with the VIPs.
    public var virtualRoutes: [VirtualRoute] = []
    public var virtualRules: [VirtualRule] = []
    public var garp = GratuitousARPSettings()
    /// `use_vmac [NAME]`: the name, or "" for keepalived's default vrrp.VRID.
    public var useVMAC: String?
    public var vmacTransmitBase = false
    /// `accept` / `no_accept` (strict mode defaults to no_accept).
    public var accept: Bool?
    public var dontTrackPrimary = false
    public var skipCheckAdvertAddresses: Bool?
    public var strictMode: Bool?
    /// `no_virtual_ipaddress` (keepalived 2.2.8): an instance without VIPs on purpose (the
    /// addresses are moved by something else, a cloud's API from a notify script); no
    /// warning for having none. Strict mode clears it, as in keepalived.
    public var noVirtualIPAddress = false
    /// `v3_checksum_as_v2 [<BOOL>]` (keepalived 2.2.8): VRRPv3 over IPv4 checksummed
    /// without the pseudo-header; nil: global_defs' `v3_checksum_as_v2`.
    public var v3ChecksumAsV2: Bool?
    /// `old_unicast_checksum [never]`: the pre-1.3.6 unicast checksum; nil: detected.
    public var oldUnicastChecksum: OldUnicastChecksum?
    /// `garp_extra_if [all] SECONDS`; nil: global_defs' `vrrp_garp_extra_if`.
    public var garpExtraInterface: GarpExtraInterface?
    public var unsupported: [Statement] = []
    /// Where each keyword was written (strict-mode diagnostics point at the line).
    public var keywordOrigins = KeywordOrigins()

    public init(name: String, origin: Origin) {
        self.name = name
        self.origin = origin
    }
}

/// keepalived's `old_unicast_checksum` as written.
public enum OldUnicastChecksum: Hashable, Sendable {
    /// `old_unicast_checksum`: the old form, from the start.
    case always
    /// `old_unicast_checksum never`: never the old form, not even on hearing it.
    case never
}

/// A `track_script`, `track_interface` or `track_file` line: a name and an optional weight
/// overriding the tracked object's own (`weight 0` means "go to Fault when it fails").
public struct TrackReference: Hashable, Sendable {
    public var name: String
    public var weight: Int?
    /// `weight N reverse`
    public var reverse = false
    public var origin: Origin

    public init(name: String, weight: Int? = nil, reverse: Bool = false, origin: Origin) {
        self.name = name
        self.weight = weight
        self.reverse = reverse
        self.origin = origin
    }
}

/// `notify_master`, `notify_backup`, `notify_fault`, `notify_stop`, `notify`.
public struct NotifyScripts: Hashable, Sendable {
    public var master: String?
    public var backup: String?
    public var fault: String?
    public var stop: String?
    public var any: String?

    public init() {}
}

/// One line of `virtual_ipaddress { }` (or `static_ipaddress`):
/// `ADDR[/PREFIX] [brd ADDR] [dev IFNAME] [scope SCOPE] [label LABEL] …`
public struct VirtualIPAddress: Hashable, Sendable {
    public var prefix: IPPrefix
    public var broadcast: IPAddress?
    public var device: String?
    public var scope: Scope?
    public var label: String?
    public var peer: IPAddress?
    /// Flags written after the address (home, -nodad, noprefixroute, autojoin, no_track).
    public var flags: [String] = []
    public var origin: Origin

    public enum Scope: Hashable, Sendable, CustomStringConvertible {
        case site, link, host, nowhere, global
        case numeric(Int)

        public init?(_ text: String) {
            switch text {
            case "site": self = .site
            case "link": self = .link
            case "host": self = .host
            case "nowhere": self = .nowhere
            case "global": self = .global
            default:
                guard let n = Int(text), (0...255).contains(n) else { return nil }
                self = .numeric(n)
            }
        }

        public var description: String {
            switch self {
            case .site: return "site"
            case .link: return "link"
            case .host: return "host"
            case .nowhere: return "nowhere"
            case .global: return "global"
            case let .numeric(n): return String(n)
            }
        }
    }

    public init(prefix: IPPrefix, origin: Origin) {
        self.prefix = prefix
        self.origin = origin
    }
}

/// `min_ttl` / `max_ttl` of a unicast peer.
public struct TTLBounds: Hashable, Sendable {
    public var minimum: Int?
    public var maximum: Int?

    public init(minimum: Int? = nil, maximum: Int? = nil) {
        self.minimum = minimum
        self.maximum = maximum
    }
}
