import VigilTypes
/// Rules that need the whole configuration: cross-references, uniqueness, and the
/// combinations keepalived either rejects or quietly rewrites.
///
/// The policy: an error when the configuration cannot run as written (keepalived would
/// drop, clamp or rewrite it), a warning when it runs but is probably not what was meant.
struct Validator {
    let config: Configuration
    let diagnostics: DiagnosticEngine
    let host: HostFacts?
    /// `--host`: a missing interface is an error.
    let strictHost: Bool

    func run() {
        checkInstances()
        checkSyncGroups()
        checkScripts()
        checkScriptSecurity()
        checkVirtualServers()
        checkSyncDaemon()
        checkAnnouncements()
        checkSMTPAlerts()
        checkRouteInterfaces(config.staticRoutes, config.staticRules, "static")
        StrictModeRules(config: config, diagnostics: diagnostics).run()
    }

    /// lvs_sync_daemon: its interface exists, its followed instance too (keepalived drops
    /// the whole setting, and starts no daemon, when the instance is not there).
    private func checkSyncDaemon() {
        guard let d = config.globalDefs.lvsSyncDaemon else { return }
        checkInterface(d.interface, d.origin, "lvs_sync_daemon interface")
        if let name = d.instance, !config.vrrpInstances.contains(where: { $0.name == name }) {
            warning("no-such-instance", d.origin, "lvs_sync_daemon follows vrrp_instance '\(name)', which is not defined: no sync daemon is started")
        }
    }

    /// announce: a host address once; each virtual server and instance it follows exists.
    private func checkAnnouncements() {
        var seen: [IPAddress: Origin] = [:]
        for a in config.announcements {
            if let first = seen[a.address] {
                error("duplicate", a.origin, "announce \(a.address) is already written at line \(first.location.line)")
            }
            seen[a.address] = seen[a.address] ?? a.origin
            for condition in a.conditions {
                switch condition {
                case let .virtualServer(key, origin):
                    if !config.virtualServers.contains(where: { $0.key == key }) {
                        error("no-such-virtual-server", origin, "announce \(a.address) follows virtual_server \(key), which is not defined")
                    }
                case let .vrrpInstance(name, origin):
                    if !config.vrrpInstances.contains(where: { $0.name == name }) {
                        error("no-such-instance", origin, "announce \(a.address) follows vrrp_instance '\(name)', which is not defined")
                    }
                }
            }
        }
    }

    private func error(_ id: String, _ origin: Origin, _ message: String) {
        diagnostics.error(id, at: origin.location, message)
    }

    private func warning(_ id: String, _ origin: Origin, _ message: String) {
        diagnostics.warning(id, at: origin.location, message)
    }

    /// `waits`: an instance's own interface under `dynamic_interfaces`, which may appear
    /// after the start (the instance waits in FAULT), so even `--host` only warns.
    private func checkInterface(_ name: String, _ origin: Origin, _ what: String, waits: Bool = false) {
        guard let host, host.addresses(ofInterface: name) == nil else { return }
        let message = "\(what) '\(name)' does not exist on this host"
        if waits {
            warning("no-such-interface", origin, message + " (dynamic_interfaces: the instance waits in FAULT until it appears)")
        } else if strictHost {
            error("no-such-interface", origin, message)
        } else {
            warning("no-such-interface", origin, message + " (an error with --host)")
        }
    }

    /// keepalived sends an SMTP alert only with both a server and an address; with one of
    /// them alone nothing is ever sent, and it says nothing. (A host name as the server is
    /// reported where it is written.)
    private func checkSMTPAlerts() {
        let g = config.globalDefs
        let named = g.unsupported.contains { $0.name == GlobalDefsKeyword.smtpServer.rawValue }
        if !g.notificationEmail.isEmpty, g.smtpServer == nil, !named, let o = g.keywordOrigins[GlobalDefsKeyword.notificationEmail.rawValue] {
            warning("no-smtp-server", o, "notification_email without smtp_server: no SMTP alert is sent")
        }
        if g.smtpServer != nil, g.notificationEmail.isEmpty, let o = g.keywordOrigins[GlobalDefsKeyword.smtpServer.rawValue] {
            warning("no-recipient", o, "smtp_server without notification_email: no SMTP alert is sent")
        }
    }

    /// keepalived refuses a route or rule naming an interface it cannot find.
    private func checkRouteInterfaces(_ routes: [VirtualRoute], _ rules: [VirtualRule], _ what: String) {
        for r in routes {
            if let d = r.device { checkInterface(d, r.origin, "\(what)_routes \(r.destination): dev") }
        }
        for r in rules {
            if let i = r.inputInterface { checkInterface(i, r.origin, "\(what)_rules: iif") }
            if let o = r.outputInterface { checkInterface(o, r.origin, "\(what)_rules: oif") }
        }
    }

    // MARK: - vrrp_instance

    private func checkInstances() {
        var names: [String: Origin] = [:]
        var vrids: [String: String] = [:]
        let scripts = Set(config.vrrpScripts.map(\.name))
        let files = Set(config.trackFiles.map(\.name))
        let processes = Set(config.trackProcesses.map(\.name))
        for v in config.vrrpInstances {
            let path = "vrrp_instance \(v.name)"
            if let first = names[v.name] {
                error("duplicate-instance", v.origin, "\(path) is already defined at \(first.location)")
            } else {
                names[v.name] = v.origin
            }
            if v.interface == nil && v.unicastSourceIP == nil {
                error("missing-interface", v.origin, "\(path) has no 'interface'")
            }
            if let interface = v.interface {
                checkInterface(interface, v.interfaceOrigin ?? v.origin, "\(path): interface", waits: config.globalDefs.dynamicInterfaces)
            }
            guard let vrid = v.virtualRouterID else {
                error("missing-vrid", v.origin, "\(path) has no 'virtual_router_id'")
                continue
            }

            // As keepalived: as written, else 3 for an IPv6 instance, else vrrp_version.
            let version = StrictMode.version(v, config.globalDefs)
            let families = Set(v.virtualIPAddresses.map(\.prefix.address.family))
            if families.count > 1 {
                error("mixed-families", v.origin, "\(path) mixes IPv4 and IPv6 virtual addresses; use one instance per family (or virtual_ipaddress_excluded)")
            }
            // The first VIP decides the family, as in keepalived (a Set has no order).
            let family = v.virtualIPAddresses.first?.prefix.address.family ?? .inet
            if family == .inet6 && version == 2 {
                error("ipv6-with-v2", v.origin, "\(path) has IPv6 virtual addresses, which VRRP version 2 cannot carry; set 'version 3'")
            }
            if let interface = v.interface {
                let key = "\(interface)/\(family.rawValue)/\(vrid)"
                if let other = vrids[key] {
                    error("duplicate-vrid", v.origin, "\(path) uses virtual_router_id \(vrid) on \(interface) (\(family.rawValue)), as vrrp_instance \(other) does")
                } else {
                    vrids[key] = v.name
                }
            }
            // no_virtual_ipaddress says it is on purpose (strict mode refuses it elsewhere).
            // keepalived refuses a VRRPv3 instance without one (RFC 5798 §5.2.5: at least
            // one address) and only warns for VRRPv2.
            if v.virtualIPAddresses.isEmpty && !v.noVirtualIPAddress && version == 3 {
                error("no-vip", v.origin, "\(path) has no virtual_ipaddress, which VRRPv3 requires (keepalived refuses the instance); add one, or 'no_virtual_ipaddress' if the addresses are moved otherwise")
            } else if v.virtualIPAddresses.isEmpty && !v.noVirtualIPAddress {
                warning("no-vip", v.origin, "\(path) has no virtual_ipaddress")
            }
            // keepalived: a unicast keyword without a peer leaves the instance multicast
            // (it says so, as deprecated); there both checksum forms are one.
            if v.oldUnicastChecksum != nil && v.unicastPeers.isEmpty {
                warning("unicast-keyword-without-peer", v.keywordOrigins["old_unicast_checksum"] ?? v.origin,
                        "\(path): old_unicast_checksum without unicast_peer has no effect: the adverts are multicast, where the old checksum and the RFC's are the same")
            }
            checkAdvertInterval(v, version: version, path: path)
            checkPriority(v, path: path)
            if case .password = v.authentication, version == 3 {
                warning("auth-with-v3", v.origin, "\(path): VRRP version 3 has no authentication; keepalived ignores auth_pass with version 3, and so does vigil")
            }
            if v.initialState == .master && !v.preempt {
                warning("nopreempt-master", v.origin, "\(path): nopreempt has no effect with 'state MASTER' (keepalived clears it); use 'state BACKUP'")
            }
            if v.preemptDelay != nil && !v.preempt {
                warning("preempt-delay-nopreempt", v.origin, "\(path): preempt_delay has no effect with nopreempt")
            }
            for vip in v.virtualIPAddresses + v.excludedVirtualIPAddresses {
                if let device = vip.device { checkInterface(device, vip.origin, "virtual address \(vip.prefix): dev") }
            }
            for ref in v.trackInterfaces { checkInterface(ref.name, ref.origin, "\(path): track_interface") }
            checkRouteInterfaces(v.virtualRoutes, v.virtualRules, "\(path): virtual")
            for ref in v.trackScripts where !scripts.contains(ref.name) {
                error("undefined-script", ref.origin, "\(path): track_script '\(ref.name)' is not defined by any vrrp_script")
            }
            for ref in v.trackProcesses where !processes.contains(ref.name) {
                error("undefined-track-process", ref.origin, "\(path): track_process '\(ref.name)' is not defined by any vrrp_track_process")
            }
            for ref in v.trackFiles where !files.contains(ref.name) {
                error("undefined-track-file", ref.origin, "\(path): track_file '\(ref.name)' is not defined by any track_file block")
            }
            for peer in v.unicastPeers where peer.family != family {
                error("family-mismatch", v.origin, "\(path): unicast peer \(peer) is not \(family.rawValue) like the virtual addresses")
            }
        }
    }

    private func checkAdvertInterval(_ v: VRRPInstance, version: Int, path: String) {
        guard let interval = v.advertInterval else { return }
        if version == 2 {
            if interval % 1_000_000 != 0 || interval < 1_000_000 || interval > 255_000_000 {
                error("advert-int-v2", v.origin, "\(path): advert_int \(Self.seconds(interval)) s is not a whole number of seconds from 1 to 255, as VRRP version 2 requires (use 'version 3' for sub-second adverts)")
            }
        } else if interval % 10_000 != 0 || interval < 10_000 || interval > 40_950_000 {
            error("advert-int-v3", v.origin, "\(path): advert_int \(Self.seconds(interval)) s is not a multiple of 0.01 s from 0.01 to 40.95, as VRRP version 3 requires")
        }
    }

    private func checkPriority(_ v: VRRPInstance, path: String) {
        guard v.priority == 255 else { return }
        if !v.preempt {
            warning("owner-nopreempt", v.origin, "\(path): an address owner (priority 255) always preempts; nopreempt is ignored")
        }
        guard let interface = v.interface, let addresses = host?.addresses(ofInterface: interface) else { return }
        let own = Set(addresses)
        if !v.virtualIPAddresses.contains(where: { own.contains($0.prefix.address) }) {
            warning("priority-255-not-owner", v.origin, "\(path): priority 255 is reserved for the address owner, but no virtual address is an address of \(interface)")
        }
    }

    static func seconds(_ micro: Microseconds) -> String { formatSeconds(micro) }

    // MARK: - vrrp_sync_group

    private func checkSyncGroups() {
        let instances = Set(config.vrrpInstances.map(\.name))
        let scripts = Set(config.vrrpScripts.map(\.name))
        var owner: [String: String] = [:]
        var names: [String: Origin] = [:]
        for g in config.syncGroups {
            let path = "vrrp_sync_group \(g.name)"
            if let first = names[g.name] {
                error("duplicate-sync-group", g.origin, "\(path) is already defined at \(first.location)")
            }
            names[g.name] = g.origin
            if g.members.isEmpty {
                error("empty-sync-group", g.origin, "\(path) has no members (group { … })")
            }
            for member in g.members {
                if !instances.contains(member.name) {
                    error("undefined-instance", member.origin, "\(path): member '\(member.name)' is not a vrrp_instance")
                } else if let other = owner[member.name], other != g.name {
                    error("instance-in-two-groups", member.origin, "\(path): vrrp_instance \(member.name) is already a member of vrrp_sync_group \(other)")
                } else {
                    owner[member.name] = g.name
                }
            }
            if g.members.count == 1 {
                warning("single-member-group", g.origin, "\(path) has a single member; a sync group only matters with two or more")
            }
            for ref in g.trackScripts where !scripts.contains(ref.name) {
                error("undefined-script", ref.origin, "\(path): track_script '\(ref.name)' is not defined by any vrrp_script")
            }
            for ref in g.trackInterfaces { checkInterface(ref.name, ref.origin, "\(path): track_interface") }
            let files = Set(config.trackFiles.map(\.name))
            for ref in g.trackFiles where !files.contains(ref.name) {
                error("undefined-track-file", ref.origin, "\(path): track_file '\(ref.name)' is not defined by any track_file block")
            }
            let processes = Set(config.trackProcesses.map(\.name))
            for ref in g.trackProcesses where !processes.contains(ref.name) {
                error("undefined-track-process", ref.origin, "\(path): track_process '\(ref.name)' is not defined by any vrrp_track_process")
            }
            checkWeightsInSyncGroup(g)
        }
    }

    /// keepalived drops weights in a sync group's members (they would let one member lose
    /// its election while another wins, splitting the group), unless the group says
    /// `sync_group_tracking_weight`: an interface, or a file or process at its default
    /// weight, becomes weight 0 (a failure is a FAULT); anything else weighted is not
    /// tracked at all. Vigil does the same and says so here.
    private func checkWeightsInSyncGroup(_ g: SyncGroup) {
        if g.trackingWeight { return }
        let scripts = Dictionary(config.vrrpScripts.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let files = Dictionary(config.trackFiles.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let processes = Dictionary(config.trackProcesses.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for member in g.members {
            guard let v = config.vrrpInstances.first(where: { $0.name == member.name }), v.basePriority != 255 else { continue }
            func note(_ ref: TrackReference, _ kind: String, weight: Int, fault: Bool) {
                guard weight != 0 else { return }
                let what = fault ? "it counts as weight 0: a failure puts the group in FAULT" : "it is not tracked at all"
                warning("sync-group-weight", ref.origin,
                        "vrrp_instance \(v.name) is in vrrp_sync_group \(g.name): the weight \(weight) of \(kind) '\(ref.name)' is ignored, as keepalived ignores it (\(what)); add sync_group_tracking_weight to the group to keep weights")
            }
            for ref in v.trackInterfaces { note(ref, "track_interface", weight: ref.weight ?? 0, fault: true) }
            for ref in v.trackScripts { note(ref, "track_script", weight: ref.weight ?? scripts[ref.name]?.weight ?? 0, fault: false) }
            for ref in v.trackFiles {
                let byDefault = ref.weight == nil && files[ref.name]?.weight == nil
                note(ref, "track_file", weight: ref.weight ?? files[ref.name]?.weight ?? 1, fault: byDefault)
            }
            for ref in v.trackProcesses {
                let byDefault = ref.weight == nil && processes[ref.name]?.weight == nil
                note(ref, "track_process", weight: ref.weight ?? processes[ref.name]?.weight ?? 1, fault: byDefault)
            }
        }
    }

    // MARK: - vrrp_script, track_file

    private func checkScripts() {
        var names: [String: Origin] = [:]
        var used = Set<String>()
        for v in config.vrrpInstances { used.formUnion(v.trackScripts.map(\.name)) }
        for g in config.syncGroups { used.formUnion(g.trackScripts.map(\.name)) }
        for s in config.vrrpScripts {
            if let first = names[s.name] {
                error("duplicate-script", s.origin, "vrrp_script \(s.name) is already defined at \(first.location)")
            }
            names[s.name] = s.origin
            if !used.contains(s.name) {
                warning("unused-script", s.origin, "vrrp_script \(s.name) is not used by any track_script")
            }
        }
        var files: [String: Origin] = [:]
        for t in config.trackFiles {
            if let first = files[t.name] {
                error("duplicate-track-file", t.origin, "track_file \(t.name) is already defined at \(first.location)")
            }
            files[t.name] = t.origin
        }
    }

    /// keepalived runs scripts without `enable_script_security` but reports a security
    /// violation (and `keepalived -t` exits 6): scripts then run as root even when a
    /// non-root user could write them. One warning, at the first script.
    private func checkScriptSecurity() {
        guard !config.globalDefs.enableScriptSecurity else { return }
        var users: [SourceLocation] = []
        users += config.vrrpScripts.filter { $0.script != nil }.map(\.origin.location)
        users += config.vrrpInstances.filter { $0.notify != NotifyScripts() }.map(\.origin.location)
        users += config.syncGroups.filter { $0.notify != NotifyScripts() }.map(\.origin.location)
        for vs in config.virtualServers {
            if vs.quorumUp != nil || vs.quorumDown != nil { users.append(vs.origin.location) }
            for rs in vs.realServers {
                if rs.notifyUp != nil || rs.notifyDown != nil { users.append(rs.origin.location) }
                for case let .misc(check) in rs.checkers { users.append(check.origin.location) }
            }
        }
        guard let first = diagnostics.earliest(users) else { return }
        diagnostics.warning("script-security", at: first,
                            "scripts will run as root because global_defs has no 'enable_script_security' (keepalived reports this as a security violation); add it, with 'script_user' if needed")
    }

    // MARK: - virtual_server

    private func checkVirtualServers() {
        var groups: [String: Origin] = [:]
        for g in config.virtualServerGroups {
            if let first = groups[g.name] {
                error("duplicate-group", g.origin, "virtual_server_group \(g.name) is already defined at \(first.location)")
            }
            groups[g.name] = g.origin
            if g.members.isEmpty { warning("empty-group", g.origin, "virtual_server_group \(g.name) has no members") }
        }
        var pools: [String: LocalAddressGroup] = [:]
        for g in config.localAddressGroups {
            if let first = pools[g.name] {
                error("duplicate-group", g.origin, "local_address_group \(g.name) is already defined at \(first.origin.location)")
            }
            pools[g.name] = pools[g.name] ?? g
            for family in [IPAddress.Family.inet, .inet6] {
                let entries = g.entries.filter { $0.address.family == family }
                guard entries.count > 1 else { continue }
                error("fnat-pool-ranges", entries[1].origin, "local_address_group \(g.name): a second \(family.rawValue) entry (\(entries[1].text)); this director's \(family.rawValue) pool is one address or one range, as nftables translates to one (write \(entries[0].text) wider)")
            }
        }
        var seen: [String: Origin] = [:]
        let trackFiles = Set(config.trackFiles.map(\.name))
        for vs in config.virtualServers {
            let path = "virtual_server \(vs.key)"
            checkFullNAT(vs, path: path, pools: pools)
            for rs in vs.realServers {
                for case let .file(check) in rs.checkers {
                    guard let name = check.trackFile, !trackFiles.contains(name) else { continue }
                    diagnostics.error("undefined-track-file", at: (check.trackFileOrigin ?? check.origin).location,
                                      "\(path): FILE_CHECK track_file '\(name)' is not defined by any track_file block")
                }
            }
            let proto = vs.effectiveProtocol.map { " (\($0.rawValue))" } ?? ""
            let key = "\(vs.key)\(proto)"
            if let first = seen[key] {
                error("duplicate-virtual-server", vs.origin, "\(path)\(proto) is already defined at \(first.location)")
            }
            seen[key] = vs.origin
            if vs.serviceProtocol == nil, vs.effectiveProtocol == .udp {
                warning("no-protocol", vs.origin, "\(path) has no 'protocol': it runs as UDP, as in keepalived (write 'protocol TCP' for a TCP service)")
            }
            if case let .group(name) = vs.key, groups[name] == nil {
                // keepalived runs without this virtual server and says nothing: warn.
                warning("undefined-group", vs.origin, "\(path): virtual_server_group '\(name)' is not defined; this virtual server is ignored")
            }
            var realServers: [RealServerAddress: Origin] = [:]
            for rs in vs.realServers {
                if let first = realServers[rs.endpoint] {
                    error("duplicate-real-server", rs.origin, "real_server \(rs.endpoint) is already in \(path) at \(first.location)")
                }
                realServers[rs.endpoint] = rs.origin
                let method = rs.forwardingMethod ?? vs.forwardingMethod ?? .nat
                if method != .nat, method != .fnat, case let .endpoint(_, port) = vs.key, let rsPort = rs.endpoint.port, rsPort != port {
                    error("port-mapping", rs.origin, "real_server \(rs.endpoint) in \(path): lb_kind \(method.rawValue) cannot map port \(port) to \(rsPort) (only NAT and FNAT rewrite ports); use port \(port) or lb_kind NAT")
                }
                if case .endpoint = vs.key, rs.endpoint.port == nil {
                    error("missing-port", rs.origin, "real_server \(rs.endpoint.address) in \(path) needs a port")
                }
            }
            if let quorum = vs.quorum, let hysteresis = vs.hysteresis, hysteresis >= quorum {
                warning("hysteresis", vs.origin, "\(path): hysteresis \(hysteresis) is not below quorum \(quorum), so the quorum can never be lost")
            }
        }
    }

    /// FNAT's rules: a FNAT service names its local_address_group and only FNAT does; the
    /// group exists and has addresses of the service's family; its real servers are all
    /// FNAT (the source translation covers the whole service); no pool address is a
    /// virtual or real server's.
    private func checkFullNAT(_ vs: VirtualServer, path: String, pools: [String: LocalAddressGroup]) {
        let fnat = vs.forwardingMethod == .fnat
        for rs in vs.realServers {
            guard let own = rs.forwardingMethod, (own == .fnat) != fnat else { continue }
            error("fnat-mixed", rs.origin, fnat
                ? "real_server \(rs.endpoint) in \(path): lvs_method \(own.rawValue) under lb_kind FNAT (the source translation covers the whole service: its real servers are all FNAT)"
                : "real_server \(rs.endpoint) in \(path): lvs_method FNAT needs the virtual server's lb_kind FNAT")
        }
        guard let reference = vs.localAddressGroup else {
            if fnat {
                error("fnat-no-pool", vs.origin, "\(path): lb_kind FNAT needs 'laddr_group_name NAME' (the local_address_group its connections leave from)")
            }
            return
        }
        guard fnat else {
            error("fnat-pool-unused", reference.origin, "\(path): laddr_group_name applies to lb_kind FNAT only (this virtual server is \(vs.forwardingMethod?.rawValue ?? "NAT"))")
            return
        }
        guard let pool = pools[reference.name] else {
            let hint = Suggestion.nearest(to: reference.name, among: Array(pools.keys)).map { " (did you mean '\($0)'?)" } ?? ""
            error("undefined-group", reference.origin, "\(path): local_address_group '\(reference.name)' is not defined\(hint)")
            return
        }
        var families = Set<IPAddress.Family>()
        switch vs.key {
        case let .endpoint(address, _): families.insert(address.family)
        case let .group(name):
            for g in config.virtualServerGroups where g.name == name {
                for case let .endpoint(address, _, _) in g.members { families.insert(address.family) }
            }
        case .firewallMark: break
        }
        families.formUnion(vs.realServers.map(\.endpoint.address.family))
        for family in families.sorted(by: { $0.rawValue < $1.rawValue }) where !pool.entries.contains(where: { $0.address.family == family }) {
            error("fnat-pool-family", reference.origin, "\(path): local_address_group \(pool.name) has no \(family.rawValue) address for this \(family.rawValue) service")
        }

        var taken = Set(vs.realServers.map(\.endpoint.address))
        if case let .endpoint(address, _) = vs.key { taken.insert(address) }
        for entry in pool.entries {
            for address in taken.sorted(by: { $0.bytes.lexicographicallyPrecedes($1.bytes) }) where entry.contains(address) {
                error("fnat-pool-overlap", entry.origin, "local_address_group \(pool.name): \(entry.text) includes \(address), an address of \(path)")
            }
        }
    }
}
