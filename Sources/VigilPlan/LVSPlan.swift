import LVS
import VRRP
import VigilConfig
import VigilLinux
import VigilTypes

/// The IPVS table the configuration asks for, as pools whose members come and go with
/// their health checks: keepalived's defaults (scheduler wlc, forwarding NAT, weight 1,
/// delay_loop 60 s, connect_timeout 5 s, retry 1, delay_before_retry 1 s (3 s for
/// HTTP_GET and SSL_GET), warmup up to one delay_loop; a checker
/// connects to the real server's address and port unless connect_ip/connect_port say
/// otherwise), virtual_server_group expanded, the sorry server in when no member is.
///
/// A real server with a checker Vigil does not run yet (SMTP_CHECK, DNS_CHECK …) is kept
/// out of the pool, said at start: a dead server must not get traffic because Vigil could
/// not look.
public struct LVSPlan: Sendable {
    /// The pools are the LVS module's plain values, so that `PoolState` applies their rules
    /// without this module's configuration types.
    public typealias Pool = LVS.Pool
    public typealias Member = LVS.Pool.Member

    public var pools: [Pool] = []
    /// Every checker, `id` = its index; `owner[i]` = (pool, member).
    public var checks: [CheckSpec] = []
    public var owner: [(pool: Int, member: Int)] = []
    public var notes: [String] = []
    /// The top-level `SSL` block: SSL_GET's client certificate.
    public var ssl: SSLContextSettings?
    /// Remove the managed services at exit (keepalived's default; `--dont-release-ipvs`
    /// leaves them, so a restart carries on without a gap in the table).
    public var releaseAtExit = true
    /// `lvs_sync_daemon`: which IPVS sync daemons run, following which VRRP instance.
    public var sync: SyncDaemonPlan?
    /// `lvs_timeouts`, set at start and at each reload.
    public var timeouts: IPVSTimeouts?
    /// `lvs_flush`: the kernel's whole table emptied at start.
    public var flushAtStart = false
    /// `lvs_flush_on_stop`.
    public var flushOnStop: LVSFlushOnStop?
    /// FNAT services' source translations (nftables), in place before the services.
    public var fullNAT: [FullNATTable.Rule] = []

    public init(pools: [Pool] = [], notes: [String] = []) {
        self.pools = pools
        self.notes = notes
    }

    /// Whether the kernel's IPVS is needed at all: virtual servers, or a global IPVS setting.
    public var needsKernel: Bool {
        !pools.isEmpty || sync != nil || timeouts != nil || flushAtStart || flushOnStop != nil
    }

    /// The table before any check has reported.
    public var desired: IPVSTable { PoolState(pools).desiredTable }

    public static func make(_ config: Configuration) -> LVSPlan {
        var plan = LVSPlan()
        plan.ssl = config.ssl
        plan.sync = syncDaemon(config)
        if let t = config.globalDefs.lvsTimeouts {
            plan.timeouts = IPVSTimeouts(tcp: t.tcp.map(UInt32.init), tcpFin: t.tcpFin.map(UInt32.init), udp: t.udp.map(UInt32.init))
        }
        plan.flushAtStart = config.globalDefs.lvsFlush
        plan.flushOnStop = config.globalDefs.lvsFlushOnStop.map { $0 == .full ? .full : .virtualServers }
        let groups = Dictionary(config.virtualServerGroups.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let trackFiles = Dictionary(config.trackFiles.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for vs in config.virtualServers {
            let keys = serviceKeys(vs, groups)
            let port = keys.first.flatMap { key -> UInt16? in
                if case let .endpoint(_, p, _) = key { return p }
                return nil
            } ?? 0
            var members: [Member] = []
            for rs in vs.realServers {
                let destination = destination(rs.endpoint, vs: vs, rs: rs, servicePort: port)
                var specs: [CheckSpec] = []
                var unsupported: [String] = []
                let alpha = rs.checkerDefaults.alpha ?? vs.checkerDefaults.alpha ?? vs.alpha
                for checker in rs.checkers {
                    let made = checkSpecs(checker, vs: vs, rs: rs, destination: destination, trackFiles: trackFiles)
                    if made.isEmpty { unsupported.append(checkerName(checker)) }
                    for var spec in made {
                        spec.startsDown = alpha
                        specs.append(spec)
                    }
                }
                if !unsupported.isEmpty {
                    plan.notes.append("virtual_server \(vs.key): real server \(rs.endpoint) has \(unsupported.joined(separator: ", ")), which Vigil does not run yet; it is kept out of the pool")
                    continue
                }
                var ids: [Int] = []
                for var spec in specs {
                    spec.id = plan.checks.count
                    ids.append(spec.id)
                    plan.checks.append(spec)
                    plan.owner.append((plan.pools.count, members.count))
                }
                var member = Member(name: "\(vs.key) real server \(rs.endpoint)", destination: destination, checks: ids,
                                     inhibitOnFailure: rs.inhibitOnFailure ?? vs.inhibitOnFailure, alpha: alpha && !ids.isEmpty,
                                     notifyUp: rs.notifyUp, notifyDown: rs.notifyDown)
                // keepalived's default for a real server is on, unlike every other smtp_alert.
                member.smtpAlert = rs.smtpAlert ?? config.globalDefs.smtpAlertChecker ?? config.globalDefs.smtpAlert ?? true
                members.append(member)
            }
            let sorry = vs.sorryServer.map {
                destination($0, vs: vs, rs: nil, servicePort: port, forwarding: vs.sorryServerForwardingMethod,
                            tunnel: vs.sorryServerTunnel)
            }
            var services: [IPVSService] = []
            for key in keys {
                var flags: IPVSServiceFlags = []
                for f in vs.schedulerFlags {
                    switch f {
                    case "ops": flags.insert(.onePacket)
                    case "flag-1", "sh-fallback", "mh-fallback": flags.insert(.scheduler1)
                    case "flag-2", "sh-port", "mh-port": flags.insert(.scheduler2)
                    case "flag-3": flags.insert(.scheduler3)
                    default: break
                    }
                }
                var timeout: UInt32 = 0
                if let t = vs.persistenceTimeout {
                    flags.insert(.persistent)
                    timeout = UInt32(t)
                }
                var netmask: UInt32?
                if let g = vs.persistenceGranularity {
                    let b = g.bytes
                    // The kernel takes an IPv4 mask in network order, an IPv6 one as a prefix length.
                    netmask = b.count == 4 ? b.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
                        : UInt32(b.reduce(0) { $0 + $1.nonzeroBitCount })
                }
                services.append(IPVSService(key: key, scheduler: vs.scheduler?.rawValue ?? "wlc", flags: flags,
                                            timeout: timeout, netmask: netmask))
            }
            var pool = Pool(name: "virtual_server \(vs.key)", key: vs.key.description, services: services, members: members, sorry: sorry,
                            quorum: vs.quorum ?? 1, hysteresis: vs.hysteresis ?? 0,
                            quorumUp: vs.quorumUp, quorumDown: vs.quorumDown)
            pool.omega = vs.omega
            pool.smtpAlert = vs.smtpAlert ?? config.globalDefs.smtpAlertChecker ?? config.globalDefs.smtpAlert ?? false
            // keepalived's FMT_VS and FMT_RS: the address in brackets, the protocol, the port.
            let protocolName = proto(vs.effectiveProtocol).description.lowercased()
            switch vs.key {
            case let .endpoint(address, port): pool.fifoName = "[\(address)]:\(protocolName):\(port)"
            case let .firewallMark(mark): pool.fifoName = "FWM \(mark)"
            case let .group(name): pool.fifoName = "[\(name)]:0"
            }
            for m in pool.members.indices {
                let key = pool.members[m].destination.key
                pool.members[m].fifoName = "[\(key.address)]:\(protocolName):\(key.port)"
            }
            if vs.haSuspend {
                // keepalived: a firewall-mark service has no address to watch; it clears ha_suspend.
                pool.haSuspendAddresses = keys.compactMap { key in
                    if case let .endpoint(address, _, _) = key { return address }
                    return nil
                }
                if pool.haSuspendAddresses.isEmpty {
                    plan.notes.append("virtual_server \(vs.key): ha_suspend needs an address (not a firewall mark); its checkers always run")
                }
            }
            plan.pools.append(pool)
            plan.fullNAT += fullNATRules(vs, keys: keys, config.localAddressGroups)
        }
        return plan
    }

    /// A FNAT virtual server's source translations: one per IPVS service, to the first
    /// entry of its family in the named local_address_group (the validator wants exactly
    /// one per family).
    static func fullNATRules(_ vs: VirtualServer, keys: [IPVSService.Key], _ groups: [LocalAddressGroup]) -> [FullNATTable.Rule] {
        guard vs.forwardingMethod == .fnat, let name = vs.localAddressGroup?.name,
              let group = groups.first(where: { $0.name == name }) else { return [] }
        return keys.compactMap { key in
            guard let entry = group.entries.first(where: { ($0.address.family == .inet6) == key.isIPv6 }) else { return nil }
            return FullNATTable.Rule(service: key, pool: entry.range)
        }
    }

    /// keepalived's rules: the sync id defaults to the followed instance's VRID (0 when no
    /// instance is followed); an instance that is not defined means no daemon at all.
    static func syncDaemon(_ config: Configuration) -> SyncDaemonPlan? {
        guard let d = config.globalDefs.lvsSyncDaemon else { return nil }
        var syncID = d.syncID ?? 0
        if let name = d.instance {
            guard let instance = config.vrrpInstances.first(where: { $0.name == name }) else { return nil }
            if d.syncID == nil { syncID = instance.virtualRouterID ?? 0 }
        }
        let settings = SyncDaemonSettings(interface: d.interface, syncID: UInt8(clamping: syncID),
                                          maxLength: d.maxLength.map(UInt16.init), port: d.port.map(UInt16.init),
                                          ttl: d.ttl.map(UInt8.init), group: d.group?.internetAddress)
        return SyncDaemonPlan(settings, following: d.instance)
    }

    static func checkerName(_ c: HealthChecker) -> String {
        switch c {
        case .tcp: return "TCP_CHECK"
        case let .http(h): return h.tls ? "SSL_GET" : "HTTP_GET"
        case .misc: return "MISC_CHECK"
        case .udp: return "UDP_CHECK"
        case .dns: return "DNS_CHECK"
        case .smtp: return "SMTP_CHECK"
        case .ping: return "PING_CHECK"
        case .file: return "FILE_CHECK"
        case let .unsupported(s): return s.name
        }
    }

    /// keepalived's inheritance: the checker's own options, then the real server's, then
    /// the virtual server's, then the defaults.
    /// The checks one checker block makes: one, or for SMTP_CHECK one per deprecated
    /// `host { }` (plus its own when it sets a connection option or has no host, as
    /// keepalived); none for a checker Vigil does not run.
    static func checkSpecs(_ checker: HealthChecker, vs: VirtualServer, rs: RealServer,
                           destination: IPVSDestination, trackFiles: [String: TrackFile]) -> [CheckSpec] {
        guard case let .smtp(c) = checker else {
            return checkSpec(checker, vs: vs, rs: rs, destination: destination, trackFiles: trackFiles).map { [$0] } ?? []
        }
        let o = c.options
        let ownConnection = o.connectIP != nil || o.connectPort != nil || o.bindTo != nil || o.bindPort != nil
            || o.bindInterface != nil || o.connectTimeout != nil || o.fwmark != nil
        var blocks = ownConnection || c.hosts.isEmpty ? [c.options] : []
        for host in c.hosts {
            var merged = host.options
            merged.retry = merged.retry ?? o.retry
            merged.delayBeforeRetry = merged.delayBeforeRetry ?? o.delayBeforeRetry
            merged.warmup = merged.warmup ?? o.warmup
            merged.delayLoop = merged.delayLoop ?? o.delayLoop
            blocks.append(merged)
        }
        return blocks.compactMap { options in
            var one = c
            one.options = options
            one.hosts = []
            return checkSpec(.smtp(one), vs: vs, rs: rs, destination: destination, trackFiles: trackFiles)
        }
    }

    static func checkSpec(_ checker: HealthChecker, vs: VirtualServer, rs: RealServer,
                          destination: IPVSDestination, trackFiles: [String: TrackFile]) -> CheckSpec? {
        func merged(_ o: CheckerOptions) -> CheckerOptions {
            var m = o
            for d in [rs.checkerDefaults, vs.checkerDefaults] {
                m.connectIP = m.connectIP ?? d.connectIP
                m.connectPort = m.connectPort ?? d.connectPort
                m.bindTo = m.bindTo ?? d.bindTo
                m.bindPort = m.bindPort ?? d.bindPort
                m.bindInterface = m.bindInterface ?? d.bindInterface
                m.connectTimeout = m.connectTimeout ?? d.connectTimeout
                m.fwmark = m.fwmark ?? d.fwmark
                m.retry = m.retry ?? d.retry
                m.delayBeforeRetry = m.delayBeforeRetry ?? d.delayBeforeRetry
                m.warmup = m.warmup ?? d.warmup
                m.delayLoop = m.delayLoop ?? d.delayLoop
            }
            return m
        }
        func target(_ o: CheckerOptions) -> CheckTarget {
            CheckTarget(host: (o.connectIP.map { "\($0)" }) ?? destination.key.address.description,
                        port: o.connectPort ?? Int(destination.key.port), bindAddress: o.bindTo.map { "\($0)" },
                        bindPort: o.bindPort, bindInterface: o.bindInterface, timeout: o.connectTimeout ?? 5_000_000,
                        fwmark: o.fwmark.flatMap { $0 == 0 ? nil : $0 })
        }
        func spec(_ kind: CheckSpec.Kind, _ o: CheckerOptions, delayBeforeRetry: Int64 = 1_000_000, retry: Int = 1) -> CheckSpec {
            // keepalived 2.2.7: warmup defaults to the delay_loop (first checks spread over
            // one period), delay_before_retry to 3 s for HTTP_GET/SSL_GET and 1 s otherwise.
            let delayLoop = o.delayLoop ?? vs.delayLoop ?? 60_000_000
            return CheckSpec(id: 0, kind: kind, delayLoop: delayLoop, retry: o.retry ?? retry,
                             delayBeforeRetry: o.delayBeforeRetry ?? delayBeforeRetry, warmup: o.warmup ?? delayLoop)
        }
        switch checker {
        case let .tcp(t):
            let o = merged(t.options)
            return spec(.tcp(target(o)), o)
        case let .http(h):
            let o = merged(h.options)
            // keepalived's virtualhost order: the url's, the checker's, the real server's, the virtual server's.
            let virtualhost = h.virtualhost ?? rs.virtualhost ?? vs.virtualhost
            let urls = h.urls.map { u in
                HTTPGetSettings.URL(path: u.path ?? "/", statusCodes: u.statusCodes, digest: u.digest,
                                   virtualhost: u.virtualhost ?? virtualhost, regex: u.regex, regexNoMatch: u.regexNoMatch,
                                   regexOptions: u.regexOptions,
                                   matchStart: (u.regexMinOffset ?? 0)...max(u.regexMinOffset ?? 0, u.regexMaxOffset ?? Int.max))
            }
            let settings = HTTPGetSettings(
                urls: urls.isEmpty ? [HTTPGetSettings.URL(path: "/", virtualhost: virtualhost)] : urls,
                httpProtocol: h.httpProtocol.flatMap(HTTPGetSettings.HTTPProtocol.init(rawValue:)) ?? .http10,
                tls: h.tls, sni: h.enableSNI, fastRecovery: h.fastRecovery)
            return spec(.http(target(o), settings), o, delayBeforeRetry: 3_000_000)
        case let .misc(m):
            guard let command = m.path else { return nil }
            let o = merged(m.options)
            return spec(.misc(command: command, timeout: m.timeout ?? o.delayLoop ?? vs.delayLoop ?? 60_000_000,
                              dynamic: m.dynamic, user: m.user?.user, group: m.user?.group), o)
        case let .udp(u):
            let o = merged(u.options)
            let settings = UDPCheckSettings(payload: u.payload ?? UDPCheckSettings.defaultPayload, requireReply: u.requireReply,
                                            replyData: u.replyData, mask: u.replyMask, minLength: u.minReplyLength ?? 0,
                                            maxLength: u.maxReplyLength ?? 255)
            return spec(.udp(target(o), settings), o)
        case let .dns(d):
            let o = merged(d.options)
            let type = DNSCheckSettings.types.first { $0.name == d.type }?.code ?? 6
            // keepalived: DNS_CHECK retries 3 times by default (its DNS_DEFAULT_RETRY).
            return spec(.dns(target(o), DNSCheckSettings(type: type, name: d.name == "." ? "" : d.name ?? "")), o, retry: 3)
        case let .smtp(c):
            let o = merged(c.options)
            return spec(.smtp(target(o), SMTPCheckSettings(heloName: c.heloName ?? SMTPCheckSettings.defaultHeloName)), o)
        case let .ping(p):
            let o = merged(p.options)
            return spec(.ping(target(o)), o)
        case let .file(f):
            // keepalived: the FILE_CHECK's weight, else the track_file block's.
            guard let name = f.trackFile else { return nil }
            let file = trackFiles[name]
            let weight = f.weight ?? file?.weight ?? 0
            let reverse = f.weight != nil ? f.reverse : file?.weightReverse ?? false
            return CheckSpec(id: 0, kind: .file(name: name, weight: weight, reverse: reverse), delayLoop: 0, retry: 0,
                             delayBeforeRetry: 0, warmup: 0)
        case .unsupported:
            return nil
        }
    }

    static func proto(_ p: ServiceProtocol?) -> IPVSService.IPProtocol {
        switch p {
        case .tcp?: return .tcp
        case .sctp?: return .sctp
        case .udp?, nil: return .udp
        }
    }

    static func serviceKeys(_ vs: VirtualServer, _ groups: [String: VirtualServerGroup]) -> [IPVSService.Key] {
        let ipv6RealServers = vs.realServers.first?.endpoint.address.family == .inet6
        switch vs.key {
        case let .endpoint(address, port):
            return [.endpoint(address.internetAddress, port: UInt16(port), protocol: proto(vs.effectiveProtocol))]
        case let .firewallMark(mark):
            return [.firewallMark(mark, ipv6: ipv6RealServers)]
        case let .group(name):
            guard let g = groups[name] else { return [] }
            return g.members.flatMap { member -> [IPVSService.Key] in
                switch member {
                case let .firewallMark(mark):
                    return [.firewallMark(mark, ipv6: ipv6RealServers)]
                case let .endpoint(address, rangeEnd, port):
                    return AddressRange(first: address.internetAddress, end: rangeEnd).addresses.prefix(256).map {
                        .endpoint($0, port: UInt16(port), protocol: proto(vs.effectiveProtocol))
                    }
                }
            }
        }
    }

    /// `forwarding`/`tunnel`: the sorry server's own `sorry_server_lvs_method`.
    static func destination(_ endpoint: RealServerAddress, vs: VirtualServer, rs: RealServer?, servicePort: UInt16,
                            forwarding: ForwardingMethod? = nil, tunnel ownTunnel: TunnelOptions? = nil) -> IPVSDestination {
        let method = forwarding ?? rs?.forwardingMethod ?? vs.forwardingMethod ?? .nat
        let fwd: IPVSDestination.Forwarding
        switch method {
        // FNAT is IPVS NAT; the source translation is the FullNATPlan's nftables table.
        case .nat, .fnat: fwd = .masquerade
        case .dr: fwd = .route
        case .tun: fwd = .tunnel
        }
        // keepalived: a real server's (or the sorry server's) own `lvs_method` sets its
        // tunnel (plain TUN: IPIP); without one it takes the virtual server's.
        let own = forwarding != nil || rs?.forwardingMethod != nil
        let tunnel = fwd != .tunnel ? nil : (own ? (forwarding != nil ? ownTunnel : rs?.tunnel) : vs.tunnel)
        return IPVSDestination(key: .init(address: endpoint.address.internetAddress, port: endpoint.port.map { UInt16($0) } ?? servicePort),
                               forwarding: fwd, weight: Int32(rs?.weight ?? 1),
                               upperThreshold: UInt32(rs?.upperThreshold ?? 0), lowerThreshold: UInt32(rs?.lowerThreshold ?? 0),
                               tunnelType: tunnel?.kind.kernelValue ?? 0, tunnelPort: UInt16(tunnel?.port ?? 0),
                               tunnelFlags: tunnel?.checksum.kernelValue ?? 0)
    }
}
