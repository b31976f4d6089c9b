import VRRP
import VigilTypes

/// keepalived's dump files, in keepalived 2.2.7's formats, for the tools that read them
/// (keepalived exporters, monitoring scripts): `keepalived.data` (SIGUSR1: the VRRP
/// topology and the scripts), `keepalived.stats` (SIGUSR2, and SIGRTMAX-1 before the
/// counters are cleared), `keepalived.json` (SIGRTMIN+2).
///
/// A value: the daemon fills it from its instances (`Daemon.keepalivedDump`), and these
/// functions only render it, so each format is unit-tested line by line. Indents, field
/// names and their order are keepalived's; what Vigil does not have (SNMP, IPsec-AH,
/// VRRP sockets pool internals) is left out rather than invented, and every line an
/// exporter parses is there.
struct KeepalivedDump {
    /// keepalived's per-instance counters, as `keepalived.stats` and the JSON's "stats"
    /// name them.
    struct Stats: Equatable {
        var advertReceived = 0
        var advertSent = 0
        var becameMaster = 0
        var releasedMaster = 0
        /// Packet errors, by keepalived's kinds.
        var length = 0
        var ttl = 0
        var invalidType = 0
        var advertInterval = 0
        var addressList = 0
        /// Authentication errors.
        var authInvalidType = 0
        var authTypeMismatch = 0
        var authFailure = 0
        var priorityZeroReceived = 0
        var priorityZeroSent = 0

        /// Counts a rejected advert under keepalived's kind for it (a rejection keepalived
        /// does not count — a checksum, an unknown unicast source — is only in Vigil's own
        /// per-reason counts).
        mutating func record(_ rejection: Rejection) {
            switch rejection {
            case .malformedIPHeader, .truncated, .tooShort, .countMismatch: length += 1
            case .ttl, .ttlOutOfRange: ttl += 1
            case .type, .version: invalidType += 1
            case .zeroAdvertInterval, .advertIntervalMismatch: advertInterval += 1
            case .addressList: addressList += 1
            case .authType(_, expected: nil): authInvalidType += 1
            case .authType: authTypeMismatch += 1
            case .authPassword: authFailure += 1
            case .unicastSource, .checksum, .unknownVirtualRouter, .ownAdvertisement: break
            }
        }
    }

    /// A tracked interface or script as an instance lists it.
    struct Tracked: Equatable {
        var name: String
        var weight: Int
        var reverse: Bool
    }

    struct Instance {
        var name: String
        var version: Int
        var syncGroup: String?
        var ipv6: Bool
        var state: VRRPState
        /// The master last heard, while BACKUP.
        var masterRouter: String?
        var masterPriority: Int?
        var masterAdvertInterval: Microseconds
        var unicast: Bool
        var faults: Int
        /// Tracked scripts with no verdict yet.
        var scriptsInit: Int
        /// Wall-clock microseconds since the epoch (0: none yet).
        var lastTransition: Int64
        /// The next timer, in wall-clock microseconds (nil: none).
        var readTimeout: Int64?
        var masterDownTimer: Microseconds
        /// The interface the adverts use, and with use_vmac the macvlan's name on it.
        var interface: String
        var vmac: (name: String, transmitBase: Bool)?
        var skipCheckAdvertAddresses: Bool
        var strict: Bool
        var sourceAddress: String?
        var multicastGroup: String?
        var interfaceIndex: Int32
        var garp: GratuitousARPPolicy
        var virtualRouterID: Int
        var basePriority: Int
        var effectivePriority: Int
        var totalPriority: Int
        var advertInterval: Microseconds
        var accept: Bool
        var preempt: Bool
        var preemptDelay: Microseconds
        var password: String?
        /// `ADDR[/LEN] dev IF scope SCOPE`, as keepalived prints a VIP (without " set").
        var virtualAddresses: [String]
        var excludedAddresses: [String]
        /// Whether the VIPs are on the box now (keepalived's " set").
        var addressesSet: Bool
        var unicastPeers: [String]
        var checkUnicastSource: Bool
        var socket: Int32?
        var trackedInterfaces: [Tracked]
        var trackedScripts: [Tracked]
        /// The scripts' command lines, for the JSON's track_script.
        var trackedScriptCommands: [String]
        /// (keepalived's label, command, uid, gid): Backup, Master, Fault, Stop, Generic.
        var notify: [(label: String, command: String, uid: UInt32, gid: UInt32)]
        var stats: Stats
        /// Its `smtp_alert` as keepalived settles it.
        var smtpAlert = false
    }

    /// The SMTP alert settings as keepalived holds them after its defaults (the server,
    /// its HELO name, timeout and sender only with a server), for `keepalived.data`.
    struct SMTP {
        var server: (address: String, port: Int)?
        var heloName: String?
        /// Seconds.
        var connectTimeout: Int?
        var from: String?
        var to: [String] = []
        /// `smtp_alert`, `smtp_alert_vrrp`, `smtp_alert_checker` as written (nil: unset).
        var alert: Bool?
        var alertVRRP: Bool?
        var alertChecker: Bool?
    }

    struct Script {
        var name: String
        var command: String
        var interval: Microseconds
        var timeout: Microseconds
        var weight: Int
        var reverse: Bool
        var rise: Int
        var fall: Int
        /// keepalived's running result: counts up to rise+fall-1 on successes.
        var result: Int
        var good: Bool
        var uid: UInt32
        var gid: UInt32
        var trackingInstances: [Tracked]
        var running: Bool
    }

    var routerID: String
    var dynamicInterfaces: Bool
    var defaultVersion: Int
    var strict: Bool
    var scriptSecurity: Bool
    var garp: GratuitousARPPolicy
    var instances: [Instance]
    var scripts: [Script]
    var smtp = SMTP()

    // MARK: - keepalived.data

    /// global_data.c's SMTP lines: server, port, HELO name, timeout, sender and
    /// addresses (each only when set), then the three defaults.
    private func smtpLines() -> [String] {
        var l: [String] = []
        if let server = smtp.server { l += [" Smtp server = \(server.address)", " Smtp server port = \(server.port)"] }
        if let helo = smtp.heloName { l.append(" Smtp HELO name = \(helo)") }
        if let timeout = smtp.connectTimeout { l.append(" Smtp server connection timeout = \(timeout)") }
        if let from = smtp.from {
            l += [" Email notification from = \(from)", " Email notification to:"]
            l += smtp.to.map { "   \($0)" }
        }
        func word(_ b: Bool?) -> String { b.map { $0 ? "on" : "off" } ?? "unset" }
        return l + [" Default smtp_alert = \(word(smtp.alert))", " Default smtp_alert_vrrp = \(word(smtp.alertVRRP))",
                    " Default smtp_alert_checker = \(word(smtp.alertChecker))"]
    }

    /// `keepalived.data`: the global definitions Vigil has, the VRRP topology (one block per
    /// instance, 1/3/5-space indents), the VRRP scripts. `localTime` renders a wall-clock
    /// instant as keepalived's ctime with microseconds.
    func data(localTime: (Int64) -> String) -> String {
        var out: [String] = ["------< Global definitions >------"]
        out += [" Network namespace = (default)", " Network namespace ipvs = (main namespace)",
                " Router ID = \(routerID)"]
        out += smtpLines()
        out += [" Checkers log all failures = false", " No test config before reload",
                " Dynamic interfaces = \(dynamicInterfaces)", " Default interface = eth0", " Disable local IGMP = no",
                " LVS flush = false", " LVS flush on stop = disabled", " FIFO write vrrp states on reload = false",
                " VRRP notify priority changes = false",
                " VRRP IPv4 mcast group = 224.0.0.18", " VRRP IPv6 mcast group = ff02::12",
                " Gratuitous ARP delay = \(garp.masterDelay / 1_000_000)", " Gratuitous ARP repeat = \(garp.masterRepeat)",
                " Gratuitous ARP refresh timer = \(garp.masterRefresh / 1_000_000)",
                " Gratuitous ARP refresh repeat = \(garp.masterRefreshRepeat)",
                " Num adverts before down = 3",
                " Send advert after receive lower priority advert = true",
                " Send advert after receive higher priority advert = false",
                " VRRP default protocol version = \(defaultVersion)",
                " VRRP strict mode = \(strict)",
                " Script security \(scriptSecurity ? "enabled" : "disabled")"]
        if !instances.isEmpty {
            out.append("------< VRRP Topology >------")
            for i in instances { out += topology(i, localTime: localTime) }
        }
        if !scripts.isEmpty {
            out.append("------< VRRP Scripts >------")
            for s in scripts { out += script(s) }
        }
        return out.joined(separator: "\n") + "\n"
    }

    private func topology(_ i: Instance, localTime: (Int64) -> String) -> [String] {
        var l = [" VRRP Instance = \(i.name)", "   VRRP Version = \(i.version)"]
        if let g = i.syncGroup { l.append("   Sync group = \(g)") }
        if i.ipv6 { l.append("   Using Native IPv6") }
        l.append("   State = \(i.state.rawValue)")
        if i.state == .backup {
            if let m = i.masterRouter { l.append("   Master router = \(m)") }
            if let p = i.masterPriority { l.append("   Master priority = \(p)") }
            if i.version == 3 { l.append("   Master advert int = \(Self.fixed(i.masterAdvertInterval, places: 2)) sec") }
        }
        l += i.unicast ? ["   Flags:", "     Using unicast"] : ["   Flags: none"]
        l += ["   Wantstate = \(i.state.rawValue)", "   Number of config faults = 0",
              "   Number of interface and track script faults = \(i.faults)",
              "   Number of track scripts init = \(i.scriptsInit)",
              "   Last transition = \(Self.epoch(i.lastTransition)) (\(localTime(i.lastTransition)))",
              i.readTimeout.map { "   Read timeout = \(Self.epoch($0)) (\(localTime($0)))" } ?? "   Read timeout = DISABLED",
              "   Master down timer = \(i.masterDownTimer) usecs"]
        if let v = i.vmac {
            l.append("   Use VMAC, i/f name \(v.name), is_up = true, xmit_base = \(v.transmitBase)")
            l.append("   Interface = \(v.name), vmac on \(i.interface)\(v.transmitBase ? ", xmit base i/f" : "")")
            l.append("   Configured interface = \(i.interface)")
        } else {
            l.append("   Interface = \(i.interface)")
        }
        if i.skipCheckAdvertAddresses { l.append("   Skip checking advert IP addresses") }
        if i.strict { l.append("   Enforcing strict VRRP compliance") }
        l.append("   Using src_ip = \(i.sourceAddress ?? "(none)")")
        if let group = i.multicastGroup {
            l.append(i.ipv6 ? "   Multicast address \(group), ifindex \(i.interfaceIndex)" : "   Multicast address \(group)")
        }
        l += ["   Gratuitous ARP delay = \(i.garp.masterDelay / 1_000_000)",
              "   Gratuitous ARP repeat = \(i.garp.masterRepeat)",
              "   Gratuitous ARP refresh = \(i.garp.masterRefresh / 1_000_000)",
              "   Gratuitous ARP refresh repeat = \(i.garp.masterRefreshRepeat)",
              "   Gratuitous ARP lower priority delay = \(i.garp.masterDelay / 1_000_000)",
              "   Gratuitous ARP lower priority repeat = \(i.garp.masterRepeat)",
              "   Down timer adverts = 3",
              "   Send advert after receive lower priority advert = true",
              "   Send advert after receive higher priority advert = false",
              "   Virtual Router ID = \(i.virtualRouterID)",
              "   Priority = \(i.basePriority)",
              "   Effective priority = \(i.effectivePriority)",
              "   Total priority = \(i.totalPriority)",
              i.version == 2 ? "   Advert interval = \(i.advertInterval / 1_000_000) sec"
                  : "   Advert interval = \(i.advertInterval / 1000) milli-sec"]
        if i.state == .backup && i.version == 3 { l.append("   Master advert interval = \(i.masterAdvertInterval / 1000) milli-sec") }
        l += ["   Accept = \(i.accept ? "enabled" : "disabled")", "   Preempt = \(i.preempt ? "enabled" : "disabled")"]
        if i.preemptDelay > 0 { l.append("   Preempt delay = \(formatSeconds(i.preemptDelay)) secs") }
        l.append("   Promote_secondaries = disabled")
        if let password = i.password {
            l += ["   Authentication type = SIMPLE_PASSWORD", "   Password = \(password)"]
        } else if i.version == 2 {
            l.append("   Authentication type = none")
        }
        let set = i.addressesSet ? " set" : ""
        if !i.virtualAddresses.isEmpty {
            l.append("   Virtual IP (\(i.virtualAddresses.count)):")
            l += i.virtualAddresses.map { "     \($0)\(set)" }
        }
        if !i.excludedAddresses.isEmpty {
            l.append("   Virtual IP Excluded :")
            l += i.excludedAddresses.map { "     \($0)\(set)" }
        }
        if i.unicast {
            l.append("   Check unicast src : \(i.checkUnicastSource ? "yes" : "no")")
            l.append("   Unicast Peer :")
            l += i.unicastPeers.map { "     \($0) min_ttl 0 max_ttl 255" }
        }
        l.append(i.socket.map { "   fd_in \($0), fd_out \($0)" } ?? "   No sockets allocated")
        if !i.trackedInterfaces.isEmpty {
            l.append("   Tracked interfaces :")
            l += i.trackedInterfaces.map { "     \($0.name) weight \($0.weight)\($0.reverse ? " reverse" : "")" }
        }
        if !i.trackedScripts.isEmpty {
            l.append("   Tracked scripts :")
            l += i.trackedScripts.map { "     \($0.name) weight \($0.weight)\($0.reverse ? " reverse" : "")" }
        }
        l += ["   Using smtp notification = \(i.smtpAlert ? "yes" : "no")", "   Notify deleted = Fault"]
        l += i.notify.map { "   \($0.label) state transition script = \(Self.commandLine($0.command)), uid:gid \($0.uid):\($0.gid)" }
        l.append("   Notify priority changes = false")
        return l
    }

    private func script(_ s: Script) -> [String] {
        var l = [" VRRP Script = \(s.name)", "   Command = \(Self.commandLine(s.command))",
                 "   Interval = \(s.interval / 1_000_000) sec", "   Timeout = \(s.timeout / 1_000_000) sec",
                 "   Weight = \(s.weight)\(s.reverse ? " reverse" : "")", "   Rise = \(s.rise)", "   Fall = \(s.fall)",
                 "   Result = \(s.result)", "   Insecure = no", "   Init state = unknown",
                 "   Status = \(s.good ? "GOOD" : "BAD")", "   Script uid:gid = \(s.uid):\(s.gid)", "   VRRP instances :"]
        if !s.trackingInstances.isEmpty {
            l.append("   Tracking instances :")
            l += s.trackingInstances.map { "     \($0.name), weight \($0.weight)\($0.reverse ? " reverse" : "")" }
        }
        l.append("   State = \(s.running ? "running" : "idle")")
        return l
    }

    // MARK: - keepalived.stats

    /// `keepalived.stats`: one block per instance in configuration order, 0/2/4-space
    /// indents, no header and no blank line between blocks (empty with no instance).
    func stats() -> String {
        var l: [String] = []
        for i in instances {
            let s = i.stats
            l += ["VRRP Instance: \(i.name)", "  Advertisements:", "    Received: \(s.advertReceived)", "    Sent: \(s.advertSent)",
                  "  Became master: \(s.becameMaster)", "  Released master: \(s.releasedMaster)",
                  "  Packet Errors:", "    Length: \(s.length)", "    TTL: \(s.ttl)", "    Invalid Type: \(s.invalidType)",
                  "    Advertisement Interval: \(s.advertInterval)", "    Address List: \(s.addressList)",
                  "  Authentication Errors:", "    Invalid Type: \(s.authInvalidType)",
                  "    Type Mismatch: \(s.authTypeMismatch)", "    Failure: \(s.authFailure)",
                  "  Priority Zero:", "    Received: \(s.priorityZeroReceived)", "    Sent: \(s.priorityZeroSent)"]
        }
        return l.isEmpty ? "" : l.joined(separator: "\n") + "\n"
    }

    // MARK: - keepalived.json

    /// `keepalived.json`: one compact line, an array of `{"data":…,"stats":…}` per
    /// instance, keepalived's keys in keepalived's order; nil with no instance (keepalived
    /// writes no file then).
    func json() -> String? {
        guard !instances.isEmpty else { return nil }
        return "[" + instances.map { i in "{\"data\":\(jsonData(i)),\"stats\":\(jsonStats(i.stats))}" }.joined(separator: ",") + "]\n"
    }

    private func jsonData(_ i: Instance) -> String {
        var o = JSONObject()
        o.string("iname", i.name)
        o.number("dont_track_primary", 0)
        o.number("skip_check_adv_addr", i.skipCheckAdvertAddresses ? 1 : 0)
        o.number("strict_mode", i.strict ? 1 : 0)
        o.string("vmac_ifname", i.vmac?.name ?? "")
        o.string("ifp_ifname", i.interface)
        o.number("master_priority", i.masterPriority ?? 0)
        o.raw("last_transition", Self.epoch(i.lastTransition))
        o.raw("garp_delay", formatSeconds(i.garp.masterDelay))
        o.number("garp_refresh", Int(i.garp.masterRefresh / 1_000_000))
        o.number("garp_rep", i.garp.masterRepeat)
        o.number("garp_refresh_rep", i.garp.masterRefreshRepeat)
        o.number("garp_lower_prio_delay", Int(i.garp.masterDelay / 1_000_000))
        o.number("garp_lower_prio_rep", i.garp.masterRepeat)
        o.number("lower_prio_no_advert", 0)
        o.number("higher_prio_send_advert", 0)
        o.number("vrid", i.virtualRouterID)
        o.number("base_priority", i.basePriority)
        o.number("effective_priority", i.effectivePriority)
        o.raw("vipset", "\(i.addressesSet)")
        o.raw("promote_secondaries", "false")
        o.raw("adver_int", formatSeconds(i.advertInterval))
        o.raw("master_adver_int", formatSeconds(i.masterAdvertInterval))
        o.number("accept", i.accept ? 1 : 0)
        o.raw("nopreempt", "\(!i.preempt)")
        o.number("preempt_delay", Int(i.preemptDelay / 1_000_000))
        o.number("state", Self.stateCode(i.state))
        o.number("wantstate", Self.stateCode(i.state))
        o.number("version", i.version)
        o.raw("smtp_alert", "\(i.smtpAlert)")
        o.raw("notify_deleted", "false")
        let keys = ["Backup": "script_backup", "Master": "script_master", "Fault": "script_fault", "Stop": "script_stop",
                    "Generic": "script"]
        for n in i.notify { if let key = keys[n.label] { o.string(key, Self.commandLine(n.command)) } }
        let set = i.addressesSet ? " set" : ""
        if !i.virtualAddresses.isEmpty { o.strings("vips", i.virtualAddresses.map { $0 + set }) }
        if !i.excludedAddresses.isEmpty { o.strings("evips", i.excludedAddresses.map { $0 + set }) }
        if !i.trackedInterfaces.isEmpty { o.strings("track_ifp", i.trackedInterfaces.map(\.name)) }
        if !i.trackedScriptCommands.isEmpty { o.strings("track_script", i.trackedScriptCommands.map(Self.commandLine)) }
        o.number("auth_type", i.password == nil ? 0 : 1)
        if let password = i.password { o.string("auth_data", password) }
        return o.text
    }

    private func jsonStats(_ s: Stats) -> String {
        var o = JSONObject()
        for (key, value) in [("advert_rcvd", s.advertReceived), ("advert_sent", s.advertSent), ("become_master", s.becameMaster),
                             ("release_master", s.releasedMaster), ("packet_len_err", s.length),
                             ("advert_interval_err", s.advertInterval), ("ip_ttl_err", s.ttl),
                             ("invalid_type_rcvd", s.invalidType), ("addr_list_err", s.addressList),
                             ("invalid_authtype", s.authInvalidType), ("authtype_mismatch", s.authTypeMismatch),
                             ("auth_failure", s.authFailure), ("pri_zero_rcvd", s.priorityZeroReceived),
                             ("pri_zero_sent", s.priorityZeroSent)] {
            o.number(key, value)
        }
        return o.text
    }

    /// keepalived's JSON writer: `"key":value` pairs without spaces; strings escape
    /// `\t \n \r \f \b " /` (so `/` is `\/`) and nothing else.
    private struct JSONObject {
        private var pairs: [String] = []
        var text: String { "{" + pairs.joined(separator: ",") + "}" }
        mutating func raw(_ key: String, _ value: String) { pairs.append("\"\(key)\":\(value)") }
        mutating func number(_ key: String, _ value: Int) { raw(key, "\(value)") }
        mutating func string(_ key: String, _ value: String) { raw(key, Self.quoted(value)) }
        mutating func strings(_ key: String, _ values: [String]) { raw(key, "[" + values.map(Self.quoted).joined(separator: ",") + "]") }

        static func quoted(_ s: String) -> String {
            var out = "\""
            for c in s.unicodeScalars {
                switch c {
                case "\t": out += "\\t"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\u{0C}": out += "\\f"
                case "\u{08}": out += "\\b"
                case "\"": out += "\\\""
                case "/": out += "\\/"
                case "\\": out += "\\\\"
                default: out.unicodeScalars.append(c)
                }
            }
            return out + "\""
        }
    }

    // MARK: - Formats

    static func stateCode(_ s: VRRPState) -> Int {
        switch s {
        case .initialize: return 0
        case .backup: return 1
        case .master: return 2
        case .fault: return 3
        }
    }

    /// `SECONDS.MICROS`, six digits: keepalived's `%ld.%6.6ld` and the JSON's `%f`.
    static func epoch(_ micro: Int64) -> String {
        let fraction = String(micro % 1_000_000)
        return "\(micro / 1_000_000).\(String(repeating: "0", count: 6 - fraction.count))\(fraction)"
    }

    /// Seconds with `places` decimals (`%.2f`).
    static func fixed(_ micro: Microseconds, places: Int) -> String {
        var scale: Int64 = 1
        for _ in 0..<places { scale *= 10 }
        let rounded = (micro * scale + 500_000) / 1_000_000
        let whole = rounded / scale, fraction = String(rounded % scale)
        return "\(whole).\(String(repeating: "0", count: places - fraction.count))\(fraction)"
    }

    /// A command as keepalived prints one: each word in single quotes, joined by spaces.
    static func commandLine(_ command: String) -> String {
        command.split(separator: " ", omittingEmptySubsequences: true).map { "'\($0)'" }.joined(separator: " ")
    }
}
