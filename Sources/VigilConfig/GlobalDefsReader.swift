import VigilTypes
/// The global_defs keywords Vigil reads.
enum GlobalDefsKeyword: String, ImplementedKeyword {
    static let block = BlockKind.globalDefs
    case routerID = "router_id"
    case vrrpVersion = "vrrp_version"
    case vrrpStrict = "vrrp_strict"
    case vrrpSkipCheckAdvAddr = "vrrp_skip_check_adv_addr"
    case vrrpCheckUnicastSrc = "vrrp_check_unicast_src"
    case vrrpMcastGroup4 = "vrrp_mcast_group4"
    case vrrpMcastGroup6 = "vrrp_mcast_group6"
    case vrrpGarpInterval = "vrrp_garp_interval"
    case vrrpGnaInterval = "vrrp_gna_interval"
    case garpMasterDelay = "vrrp_garp_master_delay"
    case garpMasterRepeat = "vrrp_garp_master_repeat"
    case garpMasterRefresh = "vrrp_garp_master_refresh"
    case garpMasterRefreshRepeat = "vrrp_garp_master_refresh_repeat"
    case enableScriptSecurity = "enable_script_security"
    case dynamicInterfaces = "dynamic_interfaces"
    case scriptUser = "script_user"
    case notifyFIFO = "notify_fifo"
    case notifyFIFOScript = "notify_fifo_script"
    case vrrpNotifyFIFO = "vrrp_notify_fifo"
    case vrrpNotifyFIFOScript = "vrrp_notify_fifo_script"
    case lvsNotifyFIFO = "lvs_notify_fifo"
    case lvsNotifyFIFOScript = "lvs_notify_fifo_script"
    case notificationEmail = "notification_email"
    case notificationEmailFrom = "notification_email_from"
    case smtpServer = "smtp_server"
    case smtpHeloName = "smtp_helo_name"
    case smtpConnectTimeout = "smtp_connect_timeout"
    case smtpAlert = "smtp_alert"
    case smtpAlertVRRP = "smtp_alert_vrrp"
    case smtpAlertChecker = "smtp_alert_checker"
    case noEmailFaults = "no_email_faults"
    case noCheckerEmails = "no_checker_emails"
    case metricsListen = "metrics_listen"
    case lvsSyncDaemon = "lvs_sync_daemon"
    case lvsTimeouts = "lvs_timeouts"
    case lvsFlush = "lvs_flush"
    case lvsFlushOnStop = "lvs_flush_on_stop"
    /// The older spelling of `lvs_flush_on_stop`.
    case lvsFlushOnstop = "lvs_flush_onstop"
    case vrrpStartupDelay = "vrrp_startup_delay"
    case vrrpDelayAfterBoot = "vrrp_delay_after_boot"
    case v3ChecksumAsV2 = "v3_checksum_as_v2"
    case vrrpMinGarp = "vrrp_min_garp"
    case vrrpGarpExtraIf = "vrrp_garp_extra_if"
    /// keepalived's spelling before 2.2.2, read as vrrp_garp_extra_if.
    case vrrpVMACGarpIntvl = "vrrp_vmac_garp_intvl"
}

extension ModelBuilder {
    func readGlobalDefs(_ block: [Statement], into g: inout GlobalDefs) {
        var unsupported = g.unsupported
        each(block, GlobalDefsKeyword.self, path: "global_defs", unsupported: &unsupported) { keyword, s in
            g.keywordOrigins[s.name] = Origin(s.location)
            switch keyword {
            case .routerID: g.routerID = word(s, "a name")
            case .vrrpVersion: g.vrrpVersion = integer(s, 2...3)
            case .vrrpStrict: g.vrrpStrict = flag(s)
            case .vrrpSkipCheckAdvAddr: g.skipCheckAdvertAddresses = flag(s)
            case .vrrpCheckUnicastSrc: g.vrrpCheckUnicastSource = flag(s)
            case .vrrpMcastGroup4, .vrrpMcastGroup6:
                guard let args = arguments(s, 1...1, "a multicast address"),
                      let address = address(args[0], what: s.name) else { break }
                let wanted: IPAddress.Family = keyword == .vrrpMcastGroup4 ? .inet : .inet6
                guard address.family == wanted, address.isMulticast else {
                    diagnostics.error("bad-address", at: args[0].location, "\(s.name) '\(args[0].text)' is not an \(wanted.rawValue) multicast address")
                    break
                }
                // Vigil sends to and listens on the RFCs' groups only: writing one of them
                // changes nothing, any other group is recognised, not supported.
                if address != IPAddress(wanted == .inet ? "224.0.0.18" : "ff02::12") { return false }
            case .vrrpGarpInterval: g.garpInterval = announcementInterval(s)
            case .vrrpGnaInterval: g.gnaInterval = announcementInterval(s)
            case .garpMasterDelay: g.garp.masterDelay = seconds(s, 0...1000)
            case .garpMasterRepeat: g.garp.masterRepeat = integer(s, 0...65535)
            case .garpMasterRefresh: g.garp.masterRefresh = seconds(s, 0...Double(UInt32.max))
            case .garpMasterRefreshRepeat: g.garp.masterRefreshRepeat = integer(s, 0...65535)
            case .enableScriptSecurity: g.enableScriptSecurity = flag(s)
            case .dynamicInterfaces:
                // keepalived's optional word allows an interface to come back as another
                // kind; Vigil follows a re-created interface whatever its kind anyway.
                if s.block != nil { blockNotExpected(s) }
                if let word = s.arguments.first, word.text != "allow_if_changes" || s.arguments.count > 1 {
                    diagnostics.error("bad-value", at: word.location, "'dynamic_interfaces \(word.text)': expected nothing or allow_if_changes")
                    break
                }
                g.dynamicInterfaces = true
            case .scriptUser: g.scriptUser = scriptUser(s)
            case .notifyFIFO: g.notifyFIFO = word(s, "a FIFO path")
            case .notifyFIFOScript: g.notifyFIFOScript = command(s)
            case .vrrpNotifyFIFO: g.vrrpNotifyFIFO = word(s, "a FIFO path")
            case .vrrpNotifyFIFOScript: g.vrrpNotifyFIFOScript = command(s)
            case .lvsNotifyFIFO: g.lvsNotifyFIFO = word(s, "a FIFO path")
            case .lvsNotifyFIFOScript: g.lvsNotifyFIFOScript = command(s)
            case .lvsSyncDaemon: g.lvsSyncDaemon = lvsSyncDaemon(s, existing: g.lvsSyncDaemon)
            case .lvsTimeouts: g.lvsTimeouts = lvsTimeouts(s)
            case .lvsFlush: g.lvsFlush = flag(s)
            case .lvsFlushOnStop, .lvsFlushOnstop: g.lvsFlushOnStop = lvsFlushOnStop(s)
            case .vrrpStartupDelay:
                // keepalived reads milliseconds and keeps the longer of this and
                // vrrp_delay_after_boot; its timer holds at most 2^32-1 µs.
                if let delay = seconds(s, 0...4294.967295) { g.vrrpStartupDelay = max(g.vrrpStartupDelay ?? 0, delay / 1000 * 1000) }
            case .vrrpDelayAfterBoot:
                // Read as vrrp_startup_delay; the time since boot is the planner's (the host's).
                if let delay = seconds(s, 0...4294.967295) { g.vrrpDelayAfterBoot = max(g.vrrpDelayAfterBoot ?? 0, delay / 1000 * 1000) }
            case .v3ChecksumAsV2:
                // keepalived's global form takes no <BOOL>: written, it is on.
                arguments(s, 0...0, "no argument")
                g.v3ChecksumAsV2 = flag(s)
            case .vrrpMinGarp:
                // keepalived: one gratuitous ARP/NA on takeover, no second burst, none on
                // refresh — each setting only where it still holds keepalived's default
                // when this is read (one written before it equal to the default changes
                // too; one written after it wins). The refresh period's default is
                // already none.
                guard let on = optionalBool(s) else { break }
                if on {
                    if (g.garp.masterRepeat ?? 5) == 5 { g.garp.masterRepeat = 1 }
                    if (g.garp.masterRefreshRepeat ?? 1) == 1 { g.garp.masterRefreshRepeat = 0 }
                    if (g.garp.masterDelay ?? 5_000_000) == 5_000_000 { g.garp.masterDelay = 0 }
                }
            case .vrrpGarpExtraIf, .vrrpVMACGarpIntvl:
                if let extra = garpExtraInterface(s, minimum: 1) { g.garpExtraInterface = extra }
            case .notificationEmail:
                guard let block = blockExpected(s) else { break }
                // keepalived takes every word of every line as an address, in order.
                let addresses = block.flatMap { [$0.keyword] + $0.arguments }.map(\.text)
                if addresses.isEmpty {
                    diagnostics.warning("empty-block", at: s.location, "empty notification_email block: no SMTP alert is sent")
                }
                g.notificationEmail += addresses
            case .notificationEmailFrom: g.notificationEmailFrom = word(s, "an e-mail address")
            case .smtpServer: return readSMTPServer(s, into: &g)
            case .smtpHeloName: g.smtpHeloName = word(s, "a host name")
            case .smtpConnectTimeout:
                // keepalived: whole seconds up to UINT_MAX / TIMER_HZ; 0 is taken as 1.
                guard let value = integer(s, 0...4294) else { break }
                if value == 0 {
                    diagnostics.warning("zero-interval", at: s.arguments[0].location, "smtp_connect_timeout 0 is taken as 1 second, as keepalived does")
                }
                g.smtpConnectTimeout = max(1, value)
            case .smtpAlert: g.smtpAlert = optionalBool(s)
            case .smtpAlertVRRP: g.smtpAlertVRRP = optionalBool(s)
            case .smtpAlertChecker: g.smtpAlertChecker = optionalBool(s)
            case .noEmailFaults: g.noEmailFaults = flag(s)
            case .noCheckerEmails: g.noCheckerEmails = optionalBool(s) ?? g.noCheckerEmails
            case .metricsListen:
                guard let text = word(s, "ADDRESS:PORT") else { break }
                if Self.parseListenAddress(text) == nil {
                    diagnostics.error("bad-address", at: s.arguments[0].location, "metrics_listen '\(text)' is not ADDRESS:PORT (IPv6 as [ADDRESS]:PORT)")
                } else {
                    g.metricsListen = text
                }
            }
            return true
        }
        g.unsupported = unsupported
    }

    /// `smtp_server ADDRESS [PORT]`. keepalived also resolves a host name here, once, when
    /// it reads the file; Vigil takes an address only and reports a name as not supported
    /// (no alert is sent), rather than mail a server the name pointed at long ago.
    private func readSMTPServer(_ s: Statement, into g: inout GlobalDefs) -> Bool {
        guard let args = arguments(s, 1...2, "an address and optionally a port") else { return true }
        guard let address = IPAddress(args[0].text) else {
            if args[0].text.contains(where: { $0.isLetter }) && !args[0].text.contains(":") { return false }
            diagnostics.error("bad-address", at: args[0].location, "smtp_server '\(args[0].text)' is not an IPv4 or IPv6 address")
            return true
        }
        var port = 25
        if args.count > 1 {
            guard let p = integer(args[1], 1...65535, what: "smtp_server port") else { return true }
            port = p
        }
        g.smtpServer = SMTPServer(address: address, port: port)
        return true
    }

    /// The pause between gratuitous ARPs / unsolicited NAs, 0…1 s. 0 is valid and runs
    /// (back to back), but `keepalived -t` calls it invalid, so it is worth a warning.
    private func announcementInterval(_ s: Statement) -> Microseconds? {
        let value = seconds(s, 0...1)
        if value == 0 {
            diagnostics.warning("zero-interval", at: s.arguments[0].location,
                                "\(s.name) 0 sends the announcements back to back (keepalived -t calls 0 invalid, yet runs it the same way)")
        }
        return value
    }

    /// `[all] SECONDS` of `garp_extra_if` and `vrrp_garp_extra_if` (keepalived takes the
    /// words in any order; `minimum` 1 globally, 0 in an instance, where it turns the
    /// global setting off). The old spellings are read too, with keepalived's advice.
    func garpExtraInterface(_ s: Statement, minimum: Int) -> GarpExtraInterface? {
        if s.block != nil { blockNotExpected(s) }
        if s.name == "vmac_garp_intvl" || s.name == "vrrp_vmac_garp_intvl" {
            diagnostics.warning("old-spelling", at: s.location,
                                "'\(s.name)' is keepalived's spelling before 2.2.2; write '\(s.name == "vmac_garp_intvl" ? "garp_extra_if" : "vrrp_garp_extra_if")'")
        }
        var all = false
        var interval: Int?
        for word in s.arguments {
            if word.text == "all" {
                all = true
            } else if let n = Int(word.text), (minimum...86400).contains(n) {
                interval = n
            } else {
                diagnostics.error("bad-value", at: word.location, "\(s.name) '\(word.text)' is neither 'all' nor seconds from \(minimum) to 86400")
                return nil
            }
        }
        guard let interval else {
            diagnostics.error("missing-argument", at: s.location, "'\(s.name)' needs a time in seconds (and optionally 'all')")
            return nil
        }
        return GarpExtraInterface(interval: interval, all: all)
    }

    /// `192.0.2.1:9650` or `[2001:db8::1]:9650`.
    static func parseListenAddress(_ text: String) -> (IPAddress, Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
              (1...65535).contains(port) else { return nil }
        var host = text[..<colon]
        if host.hasPrefix("["), host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        guard let address = IPAddress(String(host)) else { return nil }
        return (address, port)
    }
}
