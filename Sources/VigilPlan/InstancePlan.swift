import VRRP
import VigilConfig
import VigilLinux
import VigilTypes

/// One `vrrp_instance` made concrete for this host: the core's configuration plus what the
/// edge needs (interface, addresses to install, unicast peers, notify scripts).
public struct InstancePlan: Sendable {
    public var router: VirtualRouter.Configuration
    public var interface: InterfaceTable.Interface
    /// `virtual_ipaddress` and `virtual_ipaddress_excluded`, as installed.
    public var addresses: [InterfaceAddress]
    /// Announced on takeover: IPv4 VIPs with gratuitous ARP, IPv6 VIPs with unsolicited
    /// neighbour advertisements, each on its interface.
    public var announced: [(address: InternetAddress, interface: InterfaceTable.Interface)]
    /// `garp_extra_if all`: the first address on each interface other than the instance's,
    /// announced again every `gratuitousARP.extraInterfaceInterval` while master.
    public var extraAnnounced: [(address: InternetAddress, interface: InterfaceTable.Interface)] = []
    /// Empty for multicast.
    public var unicastPeers: [InternetAddress]
    /// `virtual_routes` and `virtual_rules`, installed after the VIPs and removed before.
    public var routes = RoutePlan()
    /// `use_vmac`: the macvlan the daemon creates for this instance.
    public var vmac: VirtualMACPlan?
    /// Where `use_vmac` is written (for an error about the link it names; not a setting).
    public var vmacLocation: SourceLocation?
    /// IPv6 instance (VRRPv3 over IPv6, ff02::12).
    public var isIPv6: Bool { router.primaryAddress.isIPv6 }
    public var notify: NotifyScripts
    /// Interfaces the instance tracks (its own among them), by index: link events name
    /// an index, the core tracks names.
    public var trackedInterfaces: [Int32: String] = [:]
    /// `no_accept` in effect (strict mode's default): traffic to `addresses` is dropped while master.
    public var dropsTrafficWhileMaster = false
    /// `dynamic_interfaces` and the interface does not exist (yet): the instance runs in
    /// FAULT with nothing opened (`interface.index` is 0) until a link event brings the
    /// interface and the daemon plans it again.
    public var awaitsInterface: Bool { interface.index == 0 }

    public struct VirtualMACPlan: Sendable, Equatable {
        /// `use_vmac NAME`, or keepalived's default `vrrp.VRID`.
        public var name: String
        public var hardwareAddress: [UInt8]
        /// `vmac_xmit_base`: adverts leave through the parent, not the macvlan.
        public var transmitBase: Bool
        /// Positions in `addresses` (and `announced`) that live on the macvlan: the VIPs
        /// without a `dev` of their own.
        public var addressIndices: [Int]
    }

    /// Whether a live reload may leave this instance running as it is: every setting the
    /// core or the edge acts on is the same (an interface's up/down state is not a setting).
    public func sameSettings(as other: InstancePlan) -> Bool {
        // The link as the instance uses it: its name, index and MAC, not whether it is up
        // now (that is tracking's business, not a new setting).
        func sameLink(_ a: InterfaceTable.Interface, _ b: InterfaceTable.Interface) -> Bool {
            a.name == b.name && a.index == b.index && a.hardwareAddress == b.hardwareAddress
        }
        return router == other.router && sameLink(interface, other.interface) && addresses == other.addresses
            && announced.count == other.announced.count
            && zip(announced, other.announced).allSatisfy { $0.address == $1.address && sameLink($0.interface, $1.interface) }
            && extraAnnounced.count == other.extraAnnounced.count
            && zip(extraAnnounced, other.extraAnnounced).allSatisfy { $0.address == $1.address && sameLink($0.interface, $1.interface) }
            && unicastPeers == other.unicastPeers && routes == other.routes && vmac == other.vmac
            && notify == other.notify && trackedInterfaces == other.trackedInterfaces
            && dropsTrafficWhileMaster == other.dropsTrafficWhileMaster
    }

    /// A virtual address line's kernel options (keepalived's words): `home`,
    /// `noprefixroute`, `autojoin`, `mngtmpaddr` as IFA_F_* flags, `-nodad` (IPv6 with
    /// Duplicate Address Detection), `preferred_lft N|forever` (IPv6 only, as keepalived).
    /// `no_track` and `brd +/-` are the daemon's and the reader's.
    static func applyOptions(_ words: [String], to address: inout InterfaceAddress) {
        var i = 0
        while i < words.count {
            switch words[i] {
            case "home": address.flags |= InterfaceAddress.homeAddress
            case "noprefixroute": address.flags |= InterfaceAddress.noPrefixRoute
            case "autojoin": address.flags |= InterfaceAddress.multicastAutoJoin
            case "mngtmpaddr": address.flags |= InterfaceAddress.manageTemporaryAddress
            case "-nodad": address.noDAD = false
            case "preferred_lft":
                if i + 1 < words.count {
                    i += 1
                    address.preferredLifetime = words[i] == "forever" ? nil : UInt32(words[i])
                }
            default: break
            }
            i += 1
        }
    }

    /// A reason the configuration cannot run on this host, said with its location.
    public struct Problem: Error, CustomStringConvertible {
        public var location: SourceLocation
        public var message: String
        public var description: String { "\(location): error: \(message)" }

        public init(location: SourceLocation, message: String) {
            self.location = location
            self.message = message
        }
    }

    /// Plans every instance of a valid configuration against the host's interfaces.
    public static func make(_ config: Configuration, interfaces: InterfaceTable) throws(Problem) -> [InstancePlan] {
        try config.vrrpInstances.map { instance throws(Problem) in try make(instance, config.globalDefs, interfaces) }
    }

    static func make(_ v: VRRPInstance, _ g: GlobalDefs, _ table: InterfaceTable) throws(Problem) -> InstancePlan {
        let at = v.origin.location
        guard let name = v.interface else {
            throw Problem(location: v.interfaceOrigin?.location ?? at, message: "\(v.name) has no interface")
        }
        let interface: InterfaceTable.Interface
        if let present = table.interfaces[name] {
            interface = present
        } else if g.dynamicInterfaces {
            interface = .absent(name)
        } else {
            throw Problem(location: v.interfaceOrigin?.location ?? at,
                          message: "interface '\(name)' of \(v.name) does not exist (with dynamic_interfaces in global_defs the instance would wait for it in FAULT)")
        }
        // The first VIP decides the family, as in keepalived.
        let ipv6 = v.virtualIPAddresses.first?.prefix.address.family == .inet6
        func sameFamily(_ a: IPAddress, _ what: String) throws(Problem) -> InternetAddress {
            guard (a.family == .inet6) == ipv6 else {
                throw Problem(location: at, message: "\(v.name): \(what) \(a) is not \(ipv6 ? "IPv6" : "IPv4") like its virtual addresses")
            }
            return a.internetAddress
        }
        let primary: InternetAddress
        if let source = v.unicastSourceIP {
            primary = try sameFamily(source, "unicast_src_ip")
        } else if interface.index == 0 {
            // Nothing is sent from an interface that does not exist; the real source is
            // read when it appears.
            primary = ipv6 ? .v6(IPv6Address(bytes: [UInt8](repeating: 0, count: 16))) : .v4(IPv4Address(0))
        } else if ipv6 {
            guard let bytes = interface.linkLocalIPv6 else {
                throw Problem(location: v.interfaceOrigin?.location ?? at,
                              message: "interface \(name) has no IPv6 link-local address to send \(v.name)'s adverts from")
            }
            primary = .v6(IPv6Address(bytes: bytes))
        } else if let bytes = interface.primaryIPv4 {
            primary = .v4(IPv4Address(bytes: bytes))
        } else {
            throw Problem(location: v.interfaceOrigin?.location ?? at,
                          message: "interface \(name) has no IPv4 address to send \(v.name)'s adverts from")
        }
        var addresses: [InterfaceAddress] = []
        var announced: [(InternetAddress, InterfaceTable.Interface)] = []
        var advertised: [InternetAddress] = []
        var onVMAC: [Int] = []
        for (vip, excluded) in v.virtualIPAddresses.map({ ($0, false) }) + v.excludedVirtualIPAddresses.map({ ($0, true) }) {
            let address = vip.prefix.address.internetAddress
            let device = vip.device ?? name
            guard let link = device == name ? interface : table.interfaces[device] else {
                throw Problem(location: vip.origin.location, message: "dev '\(device)' of \(vip.prefix) does not exist")
            }
            var installed = InterfaceAddress(interfaceIndex: link.index, address: address,
                                             prefixLength: vip.prefix.prefixLength ?? (address.isIPv6 ? 128 : 32),
                                             label: vip.label, scope: vip.scope.map(Self.scope))
            if let brd = vip.broadcast?.bytes, brd.count == 4 { installed.broadcast = IPv4Address(bytes: brd) }
            Self.applyOptions(vip.flags, to: &installed)
            if vip.device == nil { onVMAC.append(addresses.count) }
            addresses.append(installed)
            announced.append((address, link))
            if !excluded { advertised.append(address) }
        }
        // IPv6 is VRRPv3 only (RFC 3768 is IPv4's).
        let version: VRRPVersion = ipv6 || (v.version ?? g.vrrpVersion ?? 2) == 3 ? .v3 : .v2
        var authentication = Advertisement.Authentication.none
        if version == .v2, case let .password(password)? = v.authentication {
            authentication = .simple(password: Array(password.utf8.prefix(8)))
        }
        let garp = v.garp, global = g.garp
        var policy = GratuitousARPPolicy(
            masterDelay: garp.masterDelay ?? global.masterDelay ?? 5_000_000,
            masterRepeat: garp.masterRepeat ?? global.masterRepeat ?? 5,
            masterRefresh: garp.masterRefresh ?? global.masterRefresh ?? 0,
            masterRefreshRepeat: garp.masterRefreshRepeat ?? global.masterRefreshRepeat ?? 1,
            interval: (ipv6 ? g.gnaInterval : g.garpInterval) ?? 0)
        // garp_extra_if (the instance's, else global_defs'): keepalived sends on the other
        // interfaces of the VIPs only with `all` (without it, only on macvlans it made for
        // single addresses, which Vigil does not make), once per interface; with none
        // there is nothing to send and the timer is off, as in keepalived.
        let extra = v.garpExtraInterface ?? g.garpExtraInterface
        var extraAnnounced: [(address: InternetAddress, interface: InterfaceTable.Interface)] = []
        if let extra, extra.interval > 0, extra.all {
            for (address, link) in announced where link.index != interface.index
                && !extraAnnounced.contains(where: { $0.interface.index == link.index }) {
                extraAnnounced.append((address, link))
            }
        }
        policy.extraInterfaceInterval = extraAnnounced.isEmpty ? 0 : Microseconds(extra?.interval ?? 0) * 1_000_000
        var peers: [InternetAddress] = []
        for peer in v.unicastPeers { peers.append(try sameFamily(peer, "unicast_peer")) }
        var router = VirtualRouter.Configuration(
            name: v.name, version: version, virtualRouterID: UInt8(v.virtualRouterID ?? 0),
            priority: UInt8(v.basePriority), advertisementInterval: v.advertInterval ?? 1_000_000,
            initialState: v.initialState == .master ? .master : .backup, preempt: v.preempt,
            preemptDelay: v.preemptDelay ?? 0, authentication: authentication, virtualAddresses: advertised,
            primaryAddress: primary, skipCheckAdvertAddresses: v.skipCheckAdvertAddresses ?? g.skipCheckAdvertAddresses,
            unicast: !peers.isEmpty, gratuitousARP: policy)
        if !peers.isEmpty && (v.checkUnicastSource || g.vrrpCheckUnicastSource) { router.unicastSources = peers }
        router.v3Checksum = V3ChecksumPolicy(
            asV2: v.v3ChecksumAsV2 ?? g.v3ChecksumAsV2,
            unicastCompatibility: v.oldUnicastChecksum.map { $0 == .always ? .always : .never } ?? .automatic)
        for (peer, bounds) in v.unicastPeerTTL {
            router.unicastPeerTTL[peer.internetAddress] = UInt8(bounds.minimum ?? 0)...UInt8(bounds.maximum ?? 255)
        }
        var vmac: VirtualMACPlan?
        if let requested = v.useVMAC {
            let vrid = UInt8(v.virtualRouterID ?? 0)
            // keepalived's default name; an IPv6 instance gets vrrp6.VRID so that IPv4
            // and IPv6 routers with the same VRID can both have one.
            vmac = VirtualMACPlan(name: requested.isEmpty ? "vrrp\(ipv6 ? "6" : "").\(vrid)" : requested,
                                  hardwareAddress: VirtualMAC.address(vrid: vrid, ipv6: ipv6),
                                  transmitBase: v.vmacTransmitBase, addressIndices: onVMAC)
        }
        var plan = InstancePlan(router: router, interface: interface, addresses: addresses, announced: announced,
                                unicastPeers: peers, notify: v.notify)
        plan.vmac = vmac
        plan.extraAnnounced = extraAnnounced
        plan.vmacLocation = v.keywordOrigins["use_vmac"]?.location ?? at
        plan.routes = try RoutePlan.make(routes: v.virtualRoutes, rules: v.virtualRules, block: "virtual", interfaces: table)
        plan.dropsTrafficWhileMaster = StrictMode.dropsTrafficToVirtualAddresses(v, g)
        return plan
    }

    static func scope(_ s: VirtualIPAddress.Scope) -> UInt8 {
        switch s {
        case .global: return 0
        case .site: return 200
        case .link: return 253
        case .host: return 254
        case .nowhere: return 255
        case let .numeric(n): return UInt8(n)
        }
    }
}
