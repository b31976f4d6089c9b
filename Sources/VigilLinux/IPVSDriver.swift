#if canImport(Glibc)
import Glibc
#endif
import CNetlink
import LVS
import VRRP
import VigilTypes

/// The kernel's IPVS table over generic netlink (family "IPVS"), with libnl-genl-3: what
/// `ipvsadm` does, as typed calls. It applies `IPVSChange`s and reads the table back; the
/// reconciler decides what to change.
public final class IPVSDriver {
    /// The kernel has no IPVS (the module is not loaded and cannot be): said once at
    /// start, and the VRRP side runs on.
    public struct Unavailable: Error, CustomStringConvertible {
        public var reason: String
        public var description: String { "IPVS is not available in this kernel: \(reason)" }
    }

    private let command: OpaquePointer
    private let dump: OpaquePointer
    private let family: Int32

    public init() throws(Unavailable) {
        guard let command = nl_socket_alloc(), let dump = nl_socket_alloc() else {
            throw Unavailable(reason: "cannot allocate a netlink socket")
        }
        for s in [command, dump] where genl_connect(s) != 0 {
            nl_socket_free(command)
            nl_socket_free(dump)
            throw Unavailable(reason: "cannot open a generic netlink socket")
        }
        let id = "IPVS".withCString { genl_ctrl_resolve(command, $0) }
        guard id >= 0 else {
            nl_socket_free(command)
            nl_socket_free(dump)
            throw Unavailable(reason: "no generic netlink family \"IPVS\" (\(Self.text(id))); load the ip_vs module")
        }
        self.command = command
        self.dump = dump
        family = id
    }

    deinit {
        nl_socket_free(command)
        nl_socket_free(dump)
    }

    static func text(_ code: Int32) -> String { String(cString: nl_geterror(code)) }

    // MARK: - Changes

    /// Applies one change. Adding what is there, or deleting what is gone, is not an
    /// error: the table ends as asked either way.
    public func apply(_ change: IPVSChange) throws {
        let result: Int32
        switch change {
        case let .addService(s): result = try send(IPVS_CMD_NEW_SERVICE) { msg in try Self.putService(msg, s.key, settings: s) }
        case let .editService(s): result = try send(IPVS_CMD_SET_SERVICE) { msg in try Self.putService(msg, s.key, settings: s) }
        case let .deleteService(k): result = try send(IPVS_CMD_DEL_SERVICE) { msg in try Self.putService(msg, k, settings: nil) }
        case let .addDestination(k, d):
            result = try send(IPVS_CMD_NEW_DEST) { msg in
                try Self.putService(msg, k, settings: nil)
                try Self.putDestination(msg, d.key, settings: d)
            }
        case let .editDestination(k, d):
            result = try send(IPVS_CMD_SET_DEST) { msg in
                try Self.putService(msg, k, settings: nil)
                try Self.putDestination(msg, d.key, settings: d)
            }
        case let .deleteDestination(k, d):
            result = try send(IPVS_CMD_DEL_DEST) { msg in
                try Self.putService(msg, k, settings: nil)
                try Self.putDestination(msg, d, settings: nil)
            }
        }
        if result == 0 { return }
        switch change {
        case .addService where result == -NLE_EXIST, .addDestination where result == -NLE_EXIST: return
        case .deleteService where result == -NLE_OBJ_NOTFOUND, .deleteDestination where result == -NLE_OBJ_NOTFOUND: return
        default: throw NetlinkError("IPVS: \(change)", code: result)
        }
    }

    /// Removes every service (ipvsadm -C).
    public func flush() throws {
        let result = try send(IPVS_CMD_FLUSH) { _ in }
        if result < 0 { throw NetlinkError("IPVS flush", code: result) }
    }

    // MARK: - Sync daemons and timeouts

    /// Starts or stops one of the kernel's connection sync daemons (IPVS_CMD_NEW_DAEMON /
    /// IPVS_CMD_DEL_DAEMON); one already running, or already stopped, is as asked.
    public func apply(_ change: SyncDaemonChange) throws {
        let result: Int32
        switch change {
        case let .start(daemon): result = try send(IPVS_CMD_NEW_DAEMON) { msg in try Self.putDaemon(msg, daemon) }
        case let .stop(role): result = try send(IPVS_CMD_DEL_DAEMON) { msg in try Self.putDaemonRole(msg, role) }
        }
        if result == 0 { return }
        switch change {
        case .start where result == -NLE_EXIST: return
        // The kernel says ESRCH for a daemon that is not running.
        case .stop where result == -NLE_OBJ_NOTFOUND: return
        default: throw NetlinkError("IPVS: \(change)", code: result)
        }
    }

    /// The sync daemons the kernel runs (`ipvsadm -L --daemon`).
    public func syncDaemons() throws -> [IPVSSyncDaemon] {
        try runDump(IPVS_CMD_GET_DAEMON, service: nil).daemons
    }

    /// IPVS_CMD_SET_CONFIG with the timeouts given; the kernel keeps the others (and a 0).
    public func setTimeouts(_ timeouts: IPVSTimeouts) throws {
        let result = try send(IPVS_CMD_SET_CONFIG) { msg in
            if let t = timeouts.tcp { try Self.check(nla_put_u32(msg, Int32(IPVS_CMD_ATTR_TIMEOUT_TCP), t), "tcp timeout") }
            if let t = timeouts.tcpFin { try Self.check(nla_put_u32(msg, Int32(IPVS_CMD_ATTR_TIMEOUT_TCP_FIN), t), "tcpfin timeout") }
            if let t = timeouts.udp { try Self.check(nla_put_u32(msg, Int32(IPVS_CMD_ATTR_TIMEOUT_UDP), t), "udp timeout") }
        }
        if result < 0 { throw NetlinkError("IPVS timeouts (\(timeouts))", code: result) }
    }

    /// IPVS_CMD_ATTR_DAEMON for a start: the role, the interface, the sync id, and the
    /// options set (the kernel's defaults otherwise).
    static func putDaemon(_ msg: OpaquePointer, _ daemon: IPVSSyncDaemon) throws {
        guard let nest = nla_nest_start(msg, Int32(IPVS_CMD_ATTR_DAEMON)) else { throw NetlinkError("nest", code: -NLE_NOMEM) }
        let s = daemon.settings
        try check(nla_put_u32(msg, Int32(IPVS_DAEMON_ATTR_STATE), daemon.role.rawValue), "state")
        try check(s.interface.withCString { nla_put_string(msg, Int32(IPVS_DAEMON_ATTR_MCAST_IFN), $0) }, "interface")
        try check(nla_put_u32(msg, Int32(IPVS_DAEMON_ATTR_SYNC_ID), UInt32(s.syncID)), "sync id")
        if let m = s.maxLength { try check(nla_put_u16(msg, Int32(IPVS_DAEMON_ATTR_SYNC_MAXLEN), m), "maxlen") }
        if let p = s.port { try check(nla_put_u16(msg, Int32(IPVS_DAEMON_ATTR_MCAST_PORT), p), "port") }
        if let t = s.ttl { try check(nla_put_u8(msg, Int32(IPVS_DAEMON_ATTR_MCAST_TTL), t), "ttl") }
        if let group = s.group {
            // The group's bytes as they are on the wire: network order.
            let bytes = group.bytes
            let attribute = group.isIPv6 ? IPVS_DAEMON_ATTR_MCAST_GROUP6 : IPVS_DAEMON_ATTR_MCAST_GROUP
            try check(bytes.withUnsafeBytes { nla_put(msg, Int32(attribute), Int32($0.count), $0.baseAddress) }, "group")
        }
        try check(nla_nest_end(msg, nest), "daemon")
    }

    /// IPVS_CMD_ATTR_DAEMON for a stop: the kernel needs only the role.
    static func putDaemonRole(_ msg: OpaquePointer, _ role: IPVSSyncDaemon.Role) throws {
        guard let nest = nla_nest_start(msg, Int32(IPVS_CMD_ATTR_DAEMON)) else { throw NetlinkError("nest", code: -NLE_NOMEM) }
        try check(nla_put_u32(msg, Int32(IPVS_DAEMON_ATTR_STATE), role.rawValue), "state")
        try check(nla_nest_end(msg, nest), "daemon")
    }

    /// One IPVS_CMD_ATTR_DAEMON as the kernel reports it.
    static func decodeDaemon(_ attr: UnsafeMutablePointer<nlattr>) -> IPVSSyncDaemon? {
        guard let a = nested(attr, max: Int32(__IPVS_DAEMON_ATTR_MAX - 1)),
              let stateAttr = a[Int(IPVS_DAEMON_ATTR_STATE)], let role = IPVSSyncDaemon.Role(rawValue: nla_get_u32(stateAttr)),
              let nameAttr = a[Int(IPVS_DAEMON_ATTR_MCAST_IFN)], let name = nla_get_string(nameAttr),
              let idAttr = a[Int(IPVS_DAEMON_ATTR_SYNC_ID)] else { return nil }
        var settings = SyncDaemonSettings(interface: String(cString: name), syncID: UInt8(truncatingIfNeeded: nla_get_u32(idAttr)))
        if let m = a[Int(IPVS_DAEMON_ATTR_SYNC_MAXLEN)] { settings.maxLength = nla_get_u16(m) }
        if let p = a[Int(IPVS_DAEMON_ATTR_MCAST_PORT)] { settings.port = nla_get_u16(p) }
        if let t = a[Int(IPVS_DAEMON_ATTR_MCAST_TTL)] { settings.ttl = nla_get_u8(t) }
        settings.group = address(a[Int(IPVS_DAEMON_ATTR_MCAST_GROUP6)], ipv6: true) ?? address(a[Int(IPVS_DAEMON_ATTR_MCAST_GROUP)], ipv6: false)
        return IPVSSyncDaemon(role, settings)
    }

    /// A start message encoded and decoded as the kernel would report it: the unit tests'
    /// proof that what is sent is what `syncDaemons()` reads back.
    static func daemonRoundTrip(_ daemon: IPVSSyncDaemon) throws -> IPVSSyncDaemon? {
        guard let msg = nlmsg_alloc() else { throw NetlinkError("nlmsg_alloc", code: -NLE_NOMEM) }
        defer { nlmsg_free(msg) }
        _ = genlmsg_put(msg, 0, 0, 0x20, 0, 0, UInt8(IPVS_CMD_NEW_DAEMON), UInt8(IPVS_GENL_VERSION))
        try putDaemon(msg, daemon)
        let c = Collector()
        collect(msg, into: c)
        return c.daemons.first
    }

    private func send(_ cmd: Int, _ fill: (OpaquePointer) throws -> Void) throws -> Int32 {
        guard let msg = nlmsg_alloc() else { throw NetlinkError("nlmsg_alloc", code: -NLE_NOMEM) }
        defer { nlmsg_free(msg) }
        guard genlmsg_put(msg, UInt32(NL_AUTO_PORT), UInt32(NL_AUTO_SEQ), family, 0, NLM_F_ACK, UInt8(cmd),
                          UInt8(IPVS_GENL_VERSION)) != nil else { throw NetlinkError("genlmsg_put", code: -NLE_NOMEM) }
        try fill(msg)
        // nl_send_sync frees the message; keep ours alive with a reference.
        nlmsg_get(msg)
        return nl_send_sync(command, msg)
    }

    // MARK: - Encoding (IPVS_CMD_ATTR_SERVICE / IPVS_CMD_ATTR_DEST)

    /// 16 bytes as the kernel's union nf_inet_addr: an IPv4 address in the first four.
    static func addressBytes(_ a: InternetAddress) -> [UInt8] {
        let b = a.bytes
        return b + [UInt8](repeating: 0, count: 16 - b.count)
    }

    static func check(_ result: Int32, _ what: String) throws {
        if result < 0 { throw NetlinkError("IPVS message: \(what)", code: result) }
    }

    /// The service's identity, and with `settings` also what NEW/SET_SERVICE carry.
    static func putService(_ msg: OpaquePointer, _ key: IPVSService.Key, settings: IPVSService?) throws {
        guard let nest = nla_nest_start(msg, Int32(IPVS_CMD_ATTR_SERVICE)) else { throw NetlinkError("nest", code: -NLE_NOMEM) }
        try check(nla_put_u16(msg, Int32(IPVS_SVC_ATTR_AF), UInt16(key.isIPv6 ? AF_INET6 : AF_INET)), "af")
        switch key {
        case let .endpoint(address, port, proto):
            try check(nla_put_u16(msg, Int32(IPVS_SVC_ATTR_PROTOCOL), proto.rawValue), "protocol")
            var bytes = addressBytes(address)
            try check(nla_put(msg, Int32(IPVS_SVC_ATTR_ADDR), 16, &bytes), "address")
            try check(nla_put_u16(msg, Int32(IPVS_SVC_ATTR_PORT), port.bigEndian), "port")
        case let .firewallMark(mark, _):
            try check(nla_put_u32(msg, Int32(IPVS_SVC_ATTR_FWMARK), mark), "fwmark")
        }
        if let s = settings {
            try check(s.scheduler.withCString { nla_put_string(msg, Int32(IPVS_SVC_ATTR_SCHED_NAME), $0) }, "scheduler")
            var flags: (UInt32, UInt32) = (s.flags.rawValue, 0xffff_ffff)  // struct ip_vs_flags { flags; mask }
            try check(nla_put(msg, Int32(IPVS_SVC_ATTR_FLAGS), 8, &flags), "flags")
            try check(nla_put_u32(msg, Int32(IPVS_SVC_ATTR_TIMEOUT), s.timeout), "timeout")
            try check(nla_put_u32(msg, Int32(IPVS_SVC_ATTR_NETMASK), s.netmask), "netmask")
        }
        try check(nla_nest_end(msg, nest), "nest end")
    }

    static func putDestination(_ msg: OpaquePointer, _ key: IPVSDestination.Key, settings: IPVSDestination?) throws {
        guard let nest = nla_nest_start(msg, Int32(IPVS_CMD_ATTR_DEST)) else { throw NetlinkError("nest", code: -NLE_NOMEM) }
        var bytes = addressBytes(key.address)
        try check(nla_put(msg, Int32(IPVS_DEST_ATTR_ADDR), 16, &bytes), "address")
        try check(nla_put_u16(msg, Int32(IPVS_DEST_ATTR_PORT), key.port.bigEndian), "port")
        try check(nla_put_u16(msg, Int32(IPVS_DEST_ATTR_ADDR_FAMILY), UInt16(key.address.isIPv6 ? AF_INET6 : AF_INET)), "family")
        if let d = settings {
            try check(nla_put_u32(msg, Int32(IPVS_DEST_ATTR_FWD_METHOD), d.forwarding.rawValue), "forwarding")
            try check(nla_put_u32(msg, Int32(IPVS_DEST_ATTR_WEIGHT), UInt32(bitPattern: d.weight)), "weight")
            try check(nla_put_u32(msg, Int32(IPVS_DEST_ATTR_U_THRESH), d.upperThreshold), "uthreshold")
            try check(nla_put_u32(msg, Int32(IPVS_DEST_ATTR_L_THRESH), d.lowerThreshold), "lthreshold")
            // Only for a tunnel other than IPIP, so kernels before 5.2 (no tunnel
            // attributes) still take IPIP tunnels.
            if d.forwarding == .tunnel && d.tunnelType != 0 {
                try check(nla_put_u8(msg, Int32(IPVS_DEST_ATTR_TUN_TYPE), d.tunnelType), "tunnel type")
                try check(nla_put_u16(msg, Int32(IPVS_DEST_ATTR_TUN_PORT), d.tunnelPort.bigEndian), "tunnel port")
                try check(nla_put_u16(msg, Int32(IPVS_DEST_ATTR_TUN_FLAGS), d.tunnelFlags), "tunnel flags")
            }
        }
        try check(nla_nest_end(msg, nest), "nest end")
    }

    /// A GET_DEST answer carrying `counters` (STATS64 and the connection counts, as the
    /// kernel sends them), read back through the dump decoder.
    static func countersRoundTrip(_ service: IPVSService.Key, _ destination: IPVSDestination, _ counters: IPVSCounters) throws -> [IPVSCounters] {
        guard let msg = nlmsg_alloc() else { throw NetlinkError("nlmsg_alloc", code: -NLE_NOMEM) }
        defer { nlmsg_free(msg) }
        _ = genlmsg_put(msg, 0, 0, 0x20, 0, 0, UInt8(IPVS_CMD_NEW_DEST), UInt8(IPVS_GENL_VERSION))
        guard let nest = nla_nest_start(msg, Int32(IPVS_CMD_ATTR_DEST)) else { throw NetlinkError("nest", code: -NLE_NOMEM) }
        var address = [UInt8](repeating: 0, count: 16)
        for (i, b) in destination.key.address.bytes.enumerated() { address[i] = b }
        _ = nla_put(msg, Int32(IPVS_DEST_ATTR_ADDR), 16, address)
        _ = nla_put_u16(msg, Int32(IPVS_DEST_ATTR_PORT), destination.key.port.bigEndian)
        _ = nla_put_u16(msg, Int32(IPVS_DEST_ATTR_ADDR_FAMILY), UInt16(destination.key.address.isIPv6 ? AF_INET6 : AF_INET))
        _ = nla_put_u32(msg, Int32(IPVS_DEST_ATTR_ACTIVE_CONNS), counters.activeConnections ?? 0)
        _ = nla_put_u32(msg, Int32(IPVS_DEST_ATTR_INACT_CONNS), counters.inactiveConnections ?? 0)
        guard let stats = nla_nest_start(msg, Int32(IPVS_DEST_ATTR_STATS64)) else { throw NetlinkError("nest", code: -NLE_NOMEM) }
        _ = nla_put_u64(msg, Int32(IPVS_STATS_ATTR_CONNS), counters.connections)
        _ = nla_put_u64(msg, Int32(IPVS_STATS_ATTR_INPKTS), counters.inPackets)
        _ = nla_put_u64(msg, Int32(IPVS_STATS_ATTR_OUTPKTS), counters.outPackets)
        _ = nla_put_u64(msg, Int32(IPVS_STATS_ATTR_INBYTES), counters.inBytes)
        _ = nla_put_u64(msg, Int32(IPVS_STATS_ATTR_OUTBYTES), counters.outBytes)
        nla_nest_end(msg, stats)
        nla_nest_end(msg, nest)
        let c = Collector()
        c.service = service
        collect(msg, into: c)
        return c.counters
    }

    /// A NEW_DEST message for `destination` of `service` (with the service's settings too,
    /// which NEW_SERVICE would carry) as bytes, and what reading it back gives: the
    /// encoder and decoder checked against each other without a kernel.
    static func roundTrip(_ service: IPVSService, _ destination: IPVSDestination) throws
        -> (bytes: [UInt8], service: IPVSService?, destination: IPVSDestination?) {
        guard let msg = nlmsg_alloc() else { throw NetlinkError("nlmsg_alloc", code: -NLE_NOMEM) }
        defer { nlmsg_free(msg) }
        _ = genlmsg_put(msg, 0, 0, 0x20, 0, 0, UInt8(IPVS_CMD_NEW_DEST), UInt8(IPVS_GENL_VERSION))
        try putService(msg, service.key, settings: service)
        try putDestination(msg, destination.key, settings: destination)
        let header = nlmsg_hdr(msg)!
        let bytes = Array(UnsafeRawBufferPointer(start: UnsafeRawPointer(header), count: Int(header.pointee.nlmsg_len)))
        let c = Collector()
        collect(msg, into: c)
        return (bytes, c.services.first, c.destinations.first)
    }

    // MARK: - Reading the table

    /// Every service and its destinations, as the kernel holds them now.
    public func read() throws -> IPVSTable {
        var table = IPVSTable()
        for service in try dumpServices() {
            var s = service
            for d in try dumpDestinations(of: s.key) { s.destinations[d.key] = d }
            table.services[s.key] = s
        }
        return table
    }

    final class Collector {
        var services: [IPVSService] = []
        var destinations: [IPVSDestination] = []
        var service: IPVSService.Key?
        var counters: [IPVSCounters] = []
        var daemons: [IPVSSyncDaemon] = []
    }

    /// The traffic counters of every service and destination (`ipvsadm -Ln --stats`).
    public func readCounters() throws -> [IPVSCounters] {
        var all: [IPVSCounters] = []
        let services = try runDump(IPVS_CMD_GET_SERVICE, service: nil)
        all += services.counters
        for service in services.services {
            all += try runDump(IPVS_CMD_GET_DEST, service: service.key).counters
        }
        return all
    }

    private func dumpServices() throws -> [IPVSService] {
        try runDump(IPVS_CMD_GET_SERVICE, service: nil).services
    }

    private func dumpDestinations(of key: IPVSService.Key) throws -> [IPVSDestination] {
        try runDump(IPVS_CMD_GET_DEST, service: key).destinations
    }

    private func runDump(_ cmd: Int, service: IPVSService.Key?) throws -> Collector {
        guard let msg = nlmsg_alloc() else { throw NetlinkError("nlmsg_alloc", code: -NLE_NOMEM) }
        defer { nlmsg_free(msg) }
        guard genlmsg_put(msg, UInt32(NL_AUTO_PORT), UInt32(NL_AUTO_SEQ), family, 0, NLM_F_DUMP, UInt8(cmd),
                          UInt8(IPVS_GENL_VERSION)) != nil else { throw NetlinkError("genlmsg_put", code: -NLE_NOMEM) }
        if let service { try Self.putService(msg, service, settings: nil) }
        let collector = Collector()
        collector.service = service
        let context = Unmanaged.passRetained(collector)
        defer { context.release() }
        let callback: nl_recvmsg_msg_cb_t = { message, arg in
            guard let message, let arg else { return Int32(NL_SKIP.rawValue) }
            let c = Unmanaged<Collector>.fromOpaque(arg).takeUnretainedValue()
            IPVSDriver.collect(message, into: c)
            return Int32(NL_OK.rawValue)
        }
        var result = nl_socket_modify_cb(dump, NL_CB_VALID, NL_CB_CUSTOM, callback, context.toOpaque())
        guard result == 0 else { throw NetlinkError("IPVS dump callback", code: result) }
        result = nl_send_auto(dump, msg)
        guard result >= 0 else { throw NetlinkError("IPVS dump request", code: result) }
        result = nl_recvmsgs_default(dump)
        guard result >= 0 else { throw NetlinkError("IPVS dump", code: result) }
        return collector
    }

    static func collect(_ message: OpaquePointer, into c: Collector) {
        guard let header = nlmsg_hdr(message) else { return }
        var top = [UnsafeMutablePointer<nlattr>?](repeating: nil, count: Int(__IPVS_CMD_ATTR_MAX - 1) + 1)
        guard genlmsg_parse(header, 0, &top, Int32(__IPVS_CMD_ATTR_MAX - 1), nil) == 0 else { return }
        if let s = top[Int(IPVS_CMD_ATTR_SERVICE)], let service = decodeService(s) {
            c.services.append(service)
            if let counters = decodeCounters(s, service: service.key, destination: nil) { c.counters.append(counters) }
        }
        if let d = top[Int(IPVS_CMD_ATTR_DAEMON)], let daemon = decodeDaemon(d) { c.daemons.append(daemon) }
        if let d = top[Int(IPVS_CMD_ATTR_DEST)], let destination = decodeDestination(d) {
            c.destinations.append(destination)
            if let service = c.service, let counters = decodeCounters(d, service: service, destination: destination.key) {
                c.counters.append(counters)
            }
        }
    }

    static func nested(_ attr: UnsafeMutablePointer<nlattr>, max: Int32) -> [UnsafeMutablePointer<nlattr>?]? {
        var attrs = [UnsafeMutablePointer<nlattr>?](repeating: nil, count: Int(max) + 1)
        guard nla_parse_nested(&attrs, max, attr, nil) == 0 else { return nil }
        return attrs
    }

    static func address(_ attr: UnsafeMutablePointer<nlattr>?, ipv6: Bool) -> InternetAddress? {
        guard let attr, let data = nla_data(attr), nla_len(attr) >= (ipv6 ? 16 : 4) else { return nil }
        let bytes = UnsafeRawBufferPointer(start: data, count: ipv6 ? 16 : 4)
        return ipv6 ? .v6(IPv6Address(bytes: bytes)) : .v4(IPv4Address(bytes: bytes))
    }

    /// One IPVS_CMD_ATTR_SERVICE as the kernel reports it.
    static func decodeService(_ attr: UnsafeMutablePointer<nlattr>) -> IPVSService? {
        guard let a = nested(attr, max: Int32(__IPVS_SVC_ATTR_MAX - 1)), let afAttr = a[Int(IPVS_SVC_ATTR_AF)] else { return nil }
        let ipv6 = Int32(nla_get_u16(afAttr)) == AF_INET6
        let key: IPVSService.Key
        if let mark = a[Int(IPVS_SVC_ATTR_FWMARK)], nla_get_u32(mark) != 0 {
            key = .firewallMark(nla_get_u32(mark), ipv6: ipv6)
        } else {
            guard let p = a[Int(IPVS_SVC_ATTR_PROTOCOL)], let proto = IPVSService.IPProtocol(rawValue: nla_get_u16(p)),
                  let addr = address(a[Int(IPVS_SVC_ATTR_ADDR)], ipv6: ipv6), let port = a[Int(IPVS_SVC_ATTR_PORT)] else { return nil }
            key = .endpoint(addr, port: UInt16(bigEndian: nla_get_u16(port)), protocol: proto)
        }
        var service = IPVSService(key: key)
        if let name = a[Int(IPVS_SVC_ATTR_SCHED_NAME)], let text = nla_get_string(name) { service.scheduler = String(cString: text) }
        if let f = a[Int(IPVS_SVC_ATTR_FLAGS)], nla_len(f) >= 8, let data = nla_data(f) {
            service.flags = IPVSServiceFlags(rawValue: data.loadUnaligned(as: UInt32.self))
        }
        if let t = a[Int(IPVS_SVC_ATTR_TIMEOUT)] { service.timeout = nla_get_u32(t) }
        if let n = a[Int(IPVS_SVC_ATTR_NETMASK)] { service.netmask = nla_get_u32(n) }
        return service
    }

    /// The STATS64 nest of a service or destination (STATS on kernels before 4.1, where
    /// the packet and connection counts are 32 bits), and a destination's connection counts.
    static func decodeCounters(_ attr: UnsafeMutablePointer<nlattr>, service: IPVSService.Key,
                               destination: IPVSDestination.Key?) -> IPVSCounters? {
        let isDestination = destination != nil
        let max = Int32(isDestination ? __IPVS_DEST_ATTR_MAX - 1 : __IPVS_SVC_ATTR_MAX - 1)
        guard let a = nested(attr, max: max) else { return nil }
        let stats64 = a[Int(isDestination ? IPVS_DEST_ATTR_STATS64 : IPVS_SVC_ATTR_STATS64)]
        let stats32 = a[Int(isDestination ? IPVS_DEST_ATTR_STATS : IPVS_SVC_ATTR_STATS)]
        guard let nest = stats64 ?? stats32, let s = nested(nest, max: Int32(__IPVS_STATS_ATTR_MAX - 1)) else { return nil }
        func value(_ id: Int) -> UInt64 {
            guard let v = s[Int(id)] else { return 0 }
            return nla_len(v) >= 8 ? nla_get_u64(v) : UInt64(nla_get_u32(v))
        }
        var c = IPVSCounters(service: service, destination: destination)
        c.connections = value(IPVS_STATS_ATTR_CONNS)
        c.inPackets = value(IPVS_STATS_ATTR_INPKTS)
        c.outPackets = value(IPVS_STATS_ATTR_OUTPKTS)
        c.inBytes = value(IPVS_STATS_ATTR_INBYTES)
        c.outBytes = value(IPVS_STATS_ATTR_OUTBYTES)
        if isDestination {
            c.activeConnections = a[Int(IPVS_DEST_ATTR_ACTIVE_CONNS)].map { nla_get_u32($0) }
            c.inactiveConnections = a[Int(IPVS_DEST_ATTR_INACT_CONNS)].map { nla_get_u32($0) }
        }
        return c
    }

    static func decodeDestination(_ attr: UnsafeMutablePointer<nlattr>) -> IPVSDestination? {
        guard let a = nested(attr, max: Int32(__IPVS_DEST_ATTR_MAX - 1)) else { return nil }
        let family = a[Int(IPVS_DEST_ATTR_ADDR_FAMILY)].map { Int32(nla_get_u16($0)) }
        guard let addr = address(a[Int(IPVS_DEST_ATTR_ADDR)], ipv6: family == AF_INET6),
              let port = a[Int(IPVS_DEST_ATTR_PORT)] else { return nil }
        var d = IPVSDestination(key: .init(address: addr, port: UInt16(bigEndian: nla_get_u16(port))))
        if let f = a[Int(IPVS_DEST_ATTR_FWD_METHOD)] {
            d.forwarding = IPVSDestination.Forwarding(rawValue: nla_get_u32(f) & 0x7) ?? .masquerade
        }
        if let w = a[Int(IPVS_DEST_ATTR_WEIGHT)] { d.weight = Int32(bitPattern: nla_get_u32(w)) }
        if let u = a[Int(IPVS_DEST_ATTR_U_THRESH)] { d.upperThreshold = nla_get_u32(u) }
        if let l = a[Int(IPVS_DEST_ATTR_L_THRESH)] { d.lowerThreshold = nla_get_u32(l) }
        if let t = a[Int(IPVS_DEST_ATTR_TUN_TYPE)] { d.tunnelType = nla_get_u8(t) }
        if let p = a[Int(IPVS_DEST_ATTR_TUN_PORT)] { d.tunnelPort = UInt16(bigEndian: nla_get_u16(p)) }
        if let f = a[Int(IPVS_DEST_ATTR_TUN_FLAGS)] { d.tunnelFlags = nla_get_u16(f) }
        return d
    }
}
