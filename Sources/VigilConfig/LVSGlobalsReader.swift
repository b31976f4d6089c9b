/// global_defs' IPVS settings: lvs_sync_daemon, lvs_timeouts, lvs_flush_on_stop, read
/// with keepalived's words and limits.
extension ModelBuilder {
    /// `lvs_sync_daemon INTERFACE [VRRP_INSTANCE [SYNC_ID]] [inst NAME] [id N] [maxlen N]
    /// [port N] [ttl N] [group ADDRESS]` (the two bare words are keepalived's older form).
    func lvsSyncDaemon(_ s: Statement, existing: LVSSyncDaemonConfig?) -> LVSSyncDaemonConfig? {
        if s.block != nil { blockNotExpected(s) }
        guard let args = arguments(s, 1...Int.max, "an interface name") else { return nil }
        if let existing {
            diagnostics.error("duplicate", at: s.location, "lvs_sync_daemon is already given at \(existing.origin.location) (one sync daemon per box)")
            return existing
        }
        guard args[0].text.utf8.count < 16 else {
            diagnostics.error("bad-value", at: args[0].location, "lvs_sync_daemon interface name '\(args[0].text)' is longer than 15 characters")
            return nil
        }
        var config = LVSSyncDaemonConfig(interface: args[0].text, origin: Origin(s.location))
        var i = 1
        while i < args.count {
            let option = args[i]
            let value = i + 1 < args.count ? args[i + 1] : nil
            func need() -> Token? {
                if value == nil { diagnostics.error("missing-argument", at: option.location, "lvs_sync_daemon '\(option.text)' needs a value") }
                return value
            }
            switch option.text {
            case "inst":
                guard let v = need() else { return config }
                if let first = config.instance {
                    diagnostics.error("duplicate", at: v.location, "lvs_sync_daemon already follows the VRRP instance '\(first)'")
                } else {
                    config.instance = v.text
                }
            case "id": guard let v = need() else { return config }; config.syncID = integer(v, 0...255, what: "lvs_sync_daemon id")
            // The UDP payload of one sync message: at most an IPv4 datagram less its headers.
            case "maxlen": guard let v = need() else { return config }; config.maxLength = integer(v, 1...(65535 - 20 - 8), what: "lvs_sync_daemon maxlen")
            case "port": guard let v = need() else { return config }; config.port = integer(v, 1...65535, what: "lvs_sync_daemon port")
            case "ttl": guard let v = need() else { return config }; config.ttl = integer(v, 1...255, what: "lvs_sync_daemon ttl")
            case "group":
                guard let v = need() else { return config }
                guard let group = address(v, what: "lvs_sync_daemon group") else { break }
                guard group.isMulticast else {
                    diagnostics.error("bad-address", at: v.location, "lvs_sync_daemon group '\(v.text)' is not a multicast address")
                    break
                }
                config.group = group
            default:
                // keepalived's older form: INTERFACE VRRP_INSTANCE [SYNC_ID].
                if i == 1, config.instance == nil {
                    config.instance = option.text
                    i += 1
                    continue
                }
                if i == 2, config.syncID == nil, Int(option.text) != nil {
                    diagnostics.warning("deprecated", at: option.location, "a bare sync id is keepalived's older form; write 'id \(option.text)'")
                    config.syncID = integer(option, 0...255, what: "lvs_sync_daemon id")
                    i += 1
                    continue
                }
                diagnostics.error("bad-value", at: option.location,
                                  "unknown lvs_sync_daemon option '\(option.text)' (expected inst, id, maxlen, port, ttl or group)")
                i += 1
                continue
            }
            i += 2
        }
        return config
    }

    /// `lvs_timeouts [tcp S] [tcpfin S] [udp S]`, each 0 (the kernel's own) to 31 days.
    func lvsTimeouts(_ s: Statement) -> LVSTimeoutsConfig? {
        if s.block != nil { blockNotExpected(s) }
        guard let args = arguments(s, 2...6, "at least one of tcp, tcpfin or udp with a time in seconds") else { return nil }
        var timeouts = LVSTimeoutsConfig()
        var i = 0
        while i < args.count {
            let option = args[i]
            guard ["tcp", "tcpfin", "udp"].contains(option.text) else {
                diagnostics.error("bad-value", at: option.location, "unknown lvs_timeouts option '\(option.text)' (expected tcp, tcpfin or udp)")
                i += 1
                continue
            }
            guard i + 1 < args.count else {
                diagnostics.error("missing-argument", at: option.location, "lvs_timeouts '\(option.text)' needs a time in seconds")
                break
            }
            let value = integer(args[i + 1], 0...Self.lvsMaxTimeout, what: "lvs_timeouts \(option.text)")
            switch option.text {
            case "tcp": timeouts.tcp = value
            case "tcpfin": timeouts.tcpFin = value
            default: timeouts.udp = value
            }
            i += 2
        }
        return timeouts == LVSTimeoutsConfig() ? nil : timeouts
    }

    /// keepalived's limit on an IPVS timeout: 31 days.
    static let lvsMaxTimeout = 86400 * 31

    /// `lvs_flush_on_stop` (every service) or `lvs_flush_on_stop VS` (the configured ones).
    func lvsFlushOnStop(_ s: Statement) -> LVSFlushOnStopConfig? {
        if s.block != nil { blockNotExpected(s) }
        guard let word = s.arguments.first else { return .full }
        arguments(s, 0...1, "nothing or VS")
        guard word.text == "VS" else {
            diagnostics.error("bad-value", at: word.location, "'\(s.name) \(word.text)': expected nothing (flush every service) or VS")
            return nil
        }
        return .virtualServers
    }
}
