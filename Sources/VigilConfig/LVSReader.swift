import VigilTypes

/// The virtual_server keywords Vigil reads.
enum VirtualServerKeyword: String, ImplementedKeyword {
    static let block = BlockKind.virtualServer
    /// Defaults for its checkers; keepalived takes none of the other connection options here.
    static let checkerOptions: [CheckerOptionKeyword] = [.retry, .delayBeforeRetry, .warmup, .connectTimeout, .delayLoop]
    case lbAlgo = "lb_algo"
    case lvsSched = "lvs_sched"
    case lbKind = "lb_kind"
    case lvsMethod = "lvs_method"
    case `protocol`
    case persistenceTimeout = "persistence_timeout"
    case persistenceGranularity = "persistence_granularity"
    case virtualhost
    case sorryServer = "sorry_server"
    case sorryServerLvsMethod = "sorry_server_lvs_method"
    case quorum
    case hysteresis
    case quorumUp = "quorum_up"
    case smtpAlert = "smtp_alert"
    case quorumDown = "quorum_down"
    case alpha
    case omega
    case inhibitOnFailure = "inhibit_on_failure"
    case haSuspend = "ha_suspend"
    case shPort = "sh-port"
    case shFallback = "sh-fallback"
    case mhPort = "mh-port"
    case mhFallback = "mh-fallback"
    case flag1 = "flag-1"
    case flag2 = "flag-2"
    case flag3 = "flag-3"
    /// Vigil's own (DPVS's word): the `local_address_group` of a FNAT service.
    case laddrGroupName = "laddr_group_name"
    case realServer = "real_server"
}

/// The real_server keywords Vigil reads.
enum RealServerKeyword: String, ImplementedKeyword {
    static let block = BlockKind.realServer
    /// Defaults for its checkers, as in a virtual_server, and `alpha` for the whole server.
    static let checkerOptions: [CheckerOptionKeyword] = [.retry, .delayBeforeRetry, .warmup, .connectTimeout, .delayLoop, .alpha]
    /// The checkers Vigil does not implement: their blocks are only checked for misspellings.
    static let reportedUnsupported: [RealServerKeyword] = [.bfdCheck]
    case weight
    case lvsMethod = "lvs_method"
    case inhibitOnFailure = "inhibit_on_failure"
    case notifyUp = "notify_up"
    case smtpAlert = "smtp_alert"
    case notifyDown = "notify_down"
    case uthreshold
    case lthreshold
    case virtualhost
    case tcpCheck = "TCP_CHECK"
    case httpGet = "HTTP_GET"
    case sslGet = "SSL_GET"
    case miscCheck = "MISC_CHECK"
    case smtpCheck = "SMTP_CHECK"
    case dnsCheck = "DNS_CHECK"
    case udpCheck = "UDP_CHECK"
    case pingCheck = "PING_CHECK"
    case fileCheck = "FILE_CHECK"
    case bfdCheck = "BFD_CHECK"
}

/// TCP_CHECK has no keywords of its own: it takes the checker options only.
enum TCPCheckKeyword: ImplementedKeyword {
    static let block = BlockKind.tcpCheck
    static let checkerOptions = CheckerOptionKeyword.connection + CheckerOptionKeyword.common
    static let allCases: [TCPCheckKeyword] = []
    init?(rawValue: String) { nil }
    var rawValue: String { switch self {} }
}

/// The HTTP_GET and SSL_GET keywords Vigil reads.
enum HTTPGetKeyword: String, ImplementedKeyword {
    static let block = BlockKind.httpGetCheck
    /// `nb_get_retry` is keepalived's older spelling of `retry`, taken in these two checkers only.
    static let checkerOptions = CheckerOptionKeyword.connection + CheckerOptionKeyword.common + [.nbGetRetry]
    case url
    case virtualhost
    case httpProtocol = "http_protocol"
    case fastRecovery = "fast_recovery"
    case enableSNI = "enable_sni"
}

/// The keywords of an HTTP_GET's or SSL_GET's url block.
enum URLKeyword: String, ImplementedKeyword {
    static let block = BlockKind.url
    case path
    case digest
    case statusCode = "status_code"
    case virtualhost
    case regex
    case regexNoMatch = "regex_no_match"
    case regexOptions = "regex_options"
    case regexMinOffset = "regex_min_offset"
    case regexMaxOffset = "regex_max_offset"
}

/// The UDP_CHECK keywords Vigil reads.
enum UDPCheckKeyword: String, ImplementedKeyword {
    static let block = BlockKind.udpCheck
    static let checkerOptions = CheckerOptionKeyword.connection + CheckerOptionKeyword.common
    case payload
    case requireReply = "require_reply"
    case minReplyLength = "min_reply_length"
    case maxReplyLength = "max_reply_length"
}

/// The DNS_CHECK keywords Vigil reads.
enum DNSCheckKeyword: String, ImplementedKeyword {
    static let block = BlockKind.dnsCheck
    static let checkerOptions = CheckerOptionKeyword.connection + CheckerOptionKeyword.common
    case type
    case name
}

/// The SMTP_CHECK keywords Vigil reads.
enum SMTPCheckKeyword: String, ImplementedKeyword {
    static let block = BlockKind.smtpCheck
    static let checkerOptions = CheckerOptionKeyword.connection + CheckerOptionKeyword.common
    case heloName = "helo_name"
    case host
}

/// SMTP_CHECK's deprecated `host { }` block: a check's connection and timing options.
enum SMTPHostKeyword: ImplementedKeyword {
    static let block = BlockKind.smtpHost
    static let checkerOptions = CheckerOptionKeyword.connection + CheckerOptionKeyword.common
    static let allCases: [SMTPHostKeyword] = []
    init?(rawValue: String) { nil }
    var rawValue: String { switch self {} }
}

/// PING_CHECK: the checkers' options only.
enum PingCheckKeyword: ImplementedKeyword {
    static let block = BlockKind.pingCheck
    static let checkerOptions = CheckerOptionKeyword.connection + CheckerOptionKeyword.common
    static let allCases: [PingCheckKeyword] = []
    init?(rawValue: String) { nil }
    var rawValue: String { switch self {} }
}

/// The FILE_CHECK keywords Vigil reads.
enum FileCheckKeyword: String, ImplementedKeyword {
    static let block = BlockKind.fileCheck
    case trackFile = "track_file"
    case weight
}

/// The MISC_CHECK keywords Vigil reads.
enum MiscCheckKeyword: String, ImplementedKeyword {
    static let block = BlockKind.miscCheck
    /// It opens no connection, so it takes none of the connection options.
    static let checkerOptions = CheckerOptionKeyword.common
    case miscPath = "misc_path"
    case miscTimeout = "misc_timeout"
    case miscDynamic = "misc_dynamic"
    case user
}

extension ModelBuilder {
    /// `virtual_server ADDR PORT`, `virtual_server fwmark N`, `virtual_server group NAME`.
    func readVirtualServer(_ s: Statement) -> VirtualServer? {
        guard let key = readServiceKey(s), let block = blockExpected(s) else { return nil }
        var v = VirtualServer(key: key, origin: Origin(s.location))
        let path = "virtual_server \(key)"
        var unsupported: [Statement] = []
        var defaults = CheckerOptions()
        each(block, VirtualServerKeyword.self, path: path, unsupported: &unsupported, checkerOptions: &defaults) { keyword, s in
            switch keyword {
            case .lbAlgo, .lvsSched:
                guard let word = word(s, "a scheduler") else { break }
                v.scheduler = Scheduler(rawValue: word)
                if v.scheduler == nil {
                    diagnostics.error("bad-scheduler", at: s.arguments[0].location,
                                      "\(s.name) '\(word)' is not an IPVS scheduler (\(Scheduler.allCases.map(\.rawValue).joined(separator: " ")))")
                }
            case .lbKind, .lvsMethod:
                (v.forwardingMethod, v.tunnel) = readForwarding(s)
            case .protocol:
                guard let word = word(s, "TCP, UDP or SCTP") else { break }
                v.serviceProtocol = ServiceProtocol(rawValue: word.uppercased())
                if v.serviceProtocol == nil {
                    diagnostics.error("bad-value", at: s.arguments[0].location, "protocol '\(word)' is not TCP, UDP or SCTP")
                }
            case .persistenceTimeout:
                v.persistenceTimeout = s.arguments.isEmpty ? 360 : integer(s, 1...Int(UInt32.max))
            case .persistenceGranularity:
                if let args = arguments(s, 1...1, "a netmask") { v.persistenceGranularity = address(args[0], what: "persistence_granularity") }
            case .virtualhost: v.virtualhost = word(s, "a host name")
            case .sorryServer:
                guard let args = arguments(s, 1...2, "an address and a port"),
                      let address = address(args[0], what: "sorry_server") else { break }
                v.sorryServer = RealServerAddress(address: address, port: args.count > 1 ? port(args[1]) : nil)
            case .sorryServerLvsMethod: (v.sorryServerForwardingMethod, v.sorryServerTunnel) = readForwarding(s)
            case .quorum: v.quorum = integer(s, 1...Int(UInt32.max))
            case .hysteresis: v.hysteresis = integer(s, 0...Int(UInt32.max))
            case .quorumUp: v.quorumUp = command(s)
            case .smtpAlert: v.smtpAlert = optionalBool(s)
            case .quorumDown: v.quorumDown = command(s)
            case .alpha: v.alpha = flag(s)
            case .omega: v.omega = flag(s)
            case .inhibitOnFailure: v.inhibitOnFailure = flag(s)
            case .haSuspend: v.haSuspend = flag(s)
            case .shPort, .shFallback, .mhPort, .mhFallback, .flag1, .flag2, .flag3:
                if flag(s) { v.schedulerFlags.append(s.name) }
            case .laddrGroupName:
                if let name = word(s, "a local_address_group name") {
                    v.localAddressGroup = LocalAddressGroup.Reference(name: name, origin: Origin(s.location))
                }
            case .realServer:
                if let server = readRealServer(s, in: path) { v.realServers.append(server) }
            }
            return true
        }
        v.checkerDefaults = defaults
        v.unsupported = unsupported
        return v
    }

    func readServiceKey(_ s: Statement) -> VirtualServiceKey? {
        let args = s.arguments
        guard let first = args.first else {
            diagnostics.error("missing-argument", at: s.location, "'\(s.name)' needs ADDRESS PORT, 'fwmark N' or 'group NAME'")
            return nil
        }
        switch first.text {
        case "fwmark":
            guard args.count >= 2 else {
                diagnostics.error("missing-argument", at: first.location, "'fwmark' needs a mark number")
                return nil
            }
            guard let mark = UInt32(args[1].text), mark > 0 else {
                diagnostics.error("out-of-range", at: args[1].location, "fwmark '\(args[1].text)' is not a number from 1 to \(UInt32.max)")
                return nil
            }
            return .firewallMark(mark)
        case "group":
            guard args.count >= 2 else {
                diagnostics.error("missing-argument", at: first.location, "'group' needs a virtual_server_group name")
                return nil
            }
            return .group(args[1].text)
        default:
            guard let address = address(first, what: "virtual server address") else { return nil }
            guard args.count >= 2 else {
                diagnostics.error("missing-argument", at: first.location, "virtual server \(first.text) needs a port (or use 'fwmark N')")
                return nil
            }
            guard let port = port(args[1]) else { return nil }
            return .endpoint(address, port: port)
        }
    }

    /// `lvs_method NAT|DR|TUN [type ipip|gue port N|gre] [nocsum|csum|remcsum]`, with
    /// keepalived's rules: GUE needs a port and nothing else takes one, IPIP has no
    /// checksum option, GRE no `remcsum`.
    func readForwarding(_ s: Statement) -> (ForwardingMethod?, TunnelOptions?) {
        guard let first = s.arguments.first else {
            diagnostics.error("missing-argument", at: s.location, "'\(s.name)' needs NAT, DR, TUN or FNAT")
            return (nil, nil)
        }
        guard let method = ForwardingMethod(rawValue: first.text.uppercased()) else {
            diagnostics.error("bad-lb-kind", at: first.location, "\(s.name) '\(first.text)' is not NAT, DR, TUN or FNAT")
            return (nil, nil)
        }
        let words = Array(s.arguments.dropFirst())
        guard !words.isEmpty else { return (method, nil) }
        guard method == .tun else {
            diagnostics.warning("extra-argument", at: words[0].location, "tunnel options after \(method.rawValue) are ignored (they apply to TUN only)")
            return (method, nil)
        }
        var tunnel = TunnelOptions()
        var i = 0
        while i < words.count {
            let w = words[i]
            switch w.text {
            case "type", "port":
                guard i + 1 < words.count else {
                    diagnostics.error("missing-argument", at: w.location, w.text == "type" ? "'type' needs ipip, gue or gre" : "'port' needs the GUE port")
                    return (method, nil)
                }
                let value = words[i + 1]
                if w.text == "type" {
                    guard let kind = TunnelOptions.Kind(rawValue: value.text) else {
                        diagnostics.error("bad-value", at: value.location, "tunnel type '\(value.text)' is not ipip, gue or gre")
                        return (method, nil)
                    }
                    tunnel.kind = kind
                } else {
                    guard let p = integer(value, 1...65535, what: "GUE port") else { return (method, nil) }
                    tunnel.port = p
                }
                i += 2
            default:
                guard let checksum = TunnelOptions.Checksum(rawValue: w.text) else {
                    diagnostics.error("bad-value", at: w.location, "'\(w.text)' is not a tunnel option (type, port, nocsum, csum, remcsum)")
                    return (method, nil)
                }
                tunnel.checksum = checksum
                i += 1
            }
        }
        if (tunnel.kind == .gue) != (tunnel.port != nil) {
            diagnostics.error("bad-tunnel", at: s.location, tunnel.kind == .gue ? "a gue tunnel needs 'port N'" : "only a gue tunnel takes a port")
            return (method, nil)
        }
        if tunnel.kind == .ipip && tunnel.checksum != .nocsum {
            diagnostics.error("bad-tunnel", at: s.location, "an ipip tunnel has no checksum option ('\(tunnel.checksum.rawValue)')")
            return (method, nil)
        }
        if tunnel.kind == .gre && tunnel.checksum == .remcsum {
            diagnostics.error("bad-tunnel", at: s.location, "a gre tunnel does not support 'remcsum'")
            return (method, nil)
        }
        return (method, tunnel)
    }

    /// Options every checker shares; a virtual or real server may set them as defaults.
    func readCheckerOption(_ option: CheckerOptionKeyword, _ s: Statement, into o: inout CheckerOptions) {
        switch option {
        case .connectIP:
            if let args = arguments(s, 1...1, "an address") { o.connectIP = address(args[0], what: "connect_ip") }
        case .connectPort:
            if let args = arguments(s, 1...1, "a port") { o.connectPort = port(args[0]) }
        case .bindTo:
            if let args = arguments(s, 1...1, "an address") { o.bindTo = address(args[0], what: "bindto") }
        case .bindPort:
            if let args = arguments(s, 1...1, "a port") { o.bindPort = port(args[0]) }
        case .bindInterface:
            o.bindInterface = word(s, "an interface name")
        case .connectTimeout: o.connectTimeout = seconds(s, 0.000001...Double(UInt32.max))
        case .fwmark: o.fwmark = integer(s, 0...Int(UInt32.max)).map(UInt32.init)
        case .retry, .nbGetRetry: o.retry = integer(s, 0...Int(UInt32.max))
        case .delayBeforeRetry: o.delayBeforeRetry = seconds(s, 0...Double(UInt32.max))
        case .warmup: o.warmup = seconds(s, 0...Double(UInt32.max))
        case .delayLoop: o.delayLoop = seconds(s, 0.000001...Double(UInt32.max))
        case .alpha: o.alpha = flag(s)
        }
    }

    func readRealServer(_ s: Statement, in parent: String) -> RealServer? {
        guard let first = s.arguments.first else {
            diagnostics.error("missing-argument", at: s.location, "'real_server' needs an address and a port")
            return nil
        }
        guard let address = address(first, what: "real server address") else { return nil }
        var port: Int?
        if s.arguments.count > 1 {
            guard let p = self.port(s.arguments[1]) else { return nil }
            port = p
        }
        let endpoint = RealServerAddress(address: address, port: port)
        var r = RealServer(endpoint: endpoint, origin: Origin(s.location))
        func path() -> String { "\(parent) > real_server \(endpoint)" }
        var unsupported: [Statement] = []
        var defaults = CheckerOptions()
        each(s.block ?? [], RealServerKeyword.self, path: path(), unsupported: &unsupported, checkerOptions: &defaults) { keyword, s in
            switch keyword {
            case .weight: r.weight = integer(s, 0...65535)
            case .lvsMethod: (r.forwardingMethod, r.tunnel) = readForwarding(s)
            case .inhibitOnFailure: r.inhibitOnFailure = flag(s)
            case .notifyUp: r.notifyUp = command(s)
            case .smtpAlert: r.smtpAlert = optionalBool(s)
            case .notifyDown: r.notifyDown = command(s)
            case .uthreshold: r.upperThreshold = integer(s, 0...Int(UInt32.max))
            case .lthreshold: r.lowerThreshold = integer(s, 0...Int(UInt32.max))
            case .virtualhost: r.virtualhost = word(s, "a host name")
            case .tcpCheck:
                var check = TCPCheck(origin: Origin(s.location))
                var options = CheckerOptions()
                var ignored: [Statement] = []
                each(s.block ?? [], TCPCheckKeyword.self, path: "\(path()) > TCP_CHECK", unsupported: &ignored,
                     checkerOptions: &options)
                check.options = options
                check.unsupported = ignored
                r.checkers.append(.tcp(check))
            case .httpGet, .sslGet:
                r.checkers.append(.http(readHTTPGet(s, path: "\(path()) > \(s.name)")))
            case .miscCheck:
                r.checkers.append(.misc(readMiscCheck(s, path: "\(path()) > MISC_CHECK")))
            case .udpCheck:
                r.checkers.append(.udp(readUDPCheck(s, path: "\(path()) > UDP_CHECK")))
            case .dnsCheck:
                r.checkers.append(.dns(readDNSCheck(s, path: "\(path()) > DNS_CHECK")))
            case .smtpCheck:
                r.checkers.append(.smtp(readSMTPCheck(s, path: "\(path()) > SMTP_CHECK")))
            case .pingCheck:
                var check = PingCheck(origin: Origin(s.location))
                each(s.block ?? [], PingCheckKeyword.self, path: "\(path()) > PING_CHECK", unsupported: &check.unsupported,
                     checkerOptions: &check.options)
                r.checkers.append(.ping(check))
            case .fileCheck:
                r.checkers.append(.file(readFileCheck(s, path: "\(path()) > FILE_CHECK")))
            case .bfdCheck:
                diagnostics.warning("unsupported", at: s.location, "checker \(s.name) is recognised, not supported by vigil yet (the real server is not checked by it)")
                let kind = KeywordCatalog.entry(s.name, in: .realServer).flatMap { entry -> BlockKind? in
                    if case let .block(kind) = entry.shape { return kind }
                    return nil
                }
                if let kind {
                    // Still check its keywords so that typos are reported.
                    var ignored: [Statement] = []
                    checkKeywords(s.block ?? [], in: kind, path: "\(path()) > \(s.name)", unsupported: &ignored)
                }
                r.checkers.append(.unsupported(s))
            }
            return true
        }
        r.checkerDefaults = defaults
        r.unsupported = unsupported
        return r
    }

    /// Reports unknown keywords in a block Vigil does not implement, recursing into sub-blocks.
    func checkKeywords(_ block: [Statement], in kind: BlockKind, path: @autoclosure () -> String,
                       unsupported: inout [Statement]) {
        for s in block {
            guard let entry = KeywordCatalog.entry(s.name, in: kind) else {
                unrecognised(s, in: kind, path: path(), unsupported: &unsupported)
                continue
            }
            if case let .block(child) = entry.shape, let inner = s.block {
                checkKeywords(inner, in: child, path: "\(path()) > \(s.name)", unsupported: &unsupported)
            }
        }
    }

    func readHTTPGet(_ s: Statement, path: String) -> HTTPGetCheck {
        var h = HTTPGetCheck(origin: Origin(s.location), tls: s.name == RealServerKeyword.sslGet.rawValue)
        var unsupported: [Statement] = []
        var options = CheckerOptions()
        each(s.block ?? [], HTTPGetKeyword.self, path: path, unsupported: &unsupported, checkerOptions: &options) { keyword, s in
            switch keyword {
            case .url:
                h.urls.append(readURL(s, path: "\(path) > url"))
            case .virtualhost: h.virtualhost = word(s, "a host name")
            case .httpProtocol:
                // keepalived 2.2.7 takes these three (case-sensitive 'C'); any other is its error.
                guard let word = word(s, "1.0, 1.0C or 1.1") else { break }
                if ["1.0", "1.0C", "1.1"].contains(word) { h.httpProtocol = word } else {
                    diagnostics.error("bad-value", at: s.arguments[0].location, "http_protocol '\(word)' is not 1.0, 1.0C or 1.1")
                }
            case .fastRecovery: h.fastRecovery = optionalBool(s) ?? h.fastRecovery
            case .enableSNI: h.enableSNI = optionalBool(s) ?? h.enableSNI
            }
            return true
        }
        h.options = options
        h.unsupported = unsupported
        return h
    }

    func readURL(_ s: Statement, path: String) -> URLCheck {
        var u = URLCheck(origin: Origin(s.location))
        var unsupported: [Statement] = []
        var regexAt: SourceLocation?
        each(s.block ?? [], URLKeyword.self, path: path, unsupported: &unsupported) { keyword, s in
            switch keyword {
            case .path: u.path = word(s, "a URL path")
            case .digest:
                guard let word = word(s, "an MD5 digest (32 hex digits)") else { break }
                let lowered = word.lowercased()
                if lowered.utf8.count == 32, lowered.allSatisfy({ $0.isHexDigit }) { u.digest = lowered } else {
                    diagnostics.error("bad-digest", at: s.arguments[0].location, "digest '\(word)' is not an MD5 digest of 32 hex digits")
                }
            case .statusCode:
                guard let args = arguments(s, 1...Int.max, "a status code or range such as 200-299") else { break }
                for token in args { if let range = readStatusCodes(token) { u.statusCodes.append(range) } }
            case .virtualhost: u.virtualhost = word(s, "a host name")
            case .regex:
                u.regex = word(s, "a regular expression")
                regexAt = s.arguments.first?.location
            case .regexNoMatch: u.regexNoMatch = flag(s)
            case .regexOptions:
                guard let args = arguments(s, 1...Int.max, "regex options such as caseless") else { break }
                for token in args {
                    if URLCheck.regexOptionsWithEffect.contains(token.text) {
                        u.regexOptions.append(token.text)
                    } else if URLCheck.pcreOptions.contains(token.text) {
                        u.regexOptions.append(token.text)
                        diagnostics.warning("no-effect", at: token.location, "regex option '\(token.text)' is PCRE2's; it has no effect in Vigil")
                    } else {
                        diagnostics.error("unknown-option", at: token.location, "'\(token.text)' is not a regex option keepalived knows")
                    }
                }
            case .regexMinOffset: u.regexMinOffset = integer(s, 0...Int(Int32.max))
            case .regexMaxOffset: u.regexMaxOffset = integer(s, 0...Int(Int32.max))
            }
            return true
        }
        if let low = u.regexMinOffset, let high = u.regexMaxOffset, low > high {
            diagnostics.error("out-of-range", at: s.location, "regex_min_offset \(low) is beyond regex_max_offset \(high): nothing could match")
            u.regexMaxOffset = nil
        }
        if let pattern = u.regex, let at = regexAt {
            // Extended syntax (regex_options extended) may come after the pattern.
            do { _ = try Regex(u.regexOptions.contains("extended") ? "(?x)" + pattern : pattern) } catch {
                diagnostics.error("bad-regex", at: at, "regex '\(pattern)' is not a valid regular expression: \(error)")
                u.regex = nil
            }
        }
        if u.regex == nil, regexAt == nil, u.regexNoMatch || !u.regexOptions.isEmpty || u.regexMinOffset != nil || u.regexMaxOffset != nil {
            diagnostics.warning("regex-missing", at: s.location, "regex_no_match, regex_options and the offsets apply to a regex, and this url has none")
        }
        u.unsupported = unsupported
        return u
    }

    func readStatusCodes(_ token: Token) -> ClosedRange<Int>? {
        let parts = token.text.split(separator: "-", omittingEmptySubsequences: false)
        let bounds = parts.map { Int($0) }
        guard (1...2).contains(parts.count), bounds.allSatisfy({ $0.map { (100...599).contains($0) } ?? false }),
              let low = bounds.first!, let high = bounds.last!, low <= high else {
            diagnostics.error("bad-status-code", at: token.location, "status_code '\(token.text)' is not a code from 100 to 599 or a range such as 200-299")
            return nil
        }
        return low...high
    }

    func readUDPCheck(_ s: Statement, path: String) -> UDPCheck {
        var u = UDPCheck(origin: Origin(s.location))
        var unsupported: [Statement] = []
        var options = CheckerOptions()
        each(s.block ?? [], UDPCheckKeyword.self, path: path, unsupported: &unsupported, checkerOptions: &options) { keyword, s in
            let text = s.arguments.map(\.text).joined(separator: " ")
            switch keyword {
            case .payload:
                guard let hex = UDPCheck.hex(text, wildcards: false) else {
                    diagnostics.error("invalid-hex", at: s.arguments.first?.location ?? s.location,
                                      "UDP_CHECK payload needs hex octets (e.g. 'payload 0a1b2c'), got '\(text)'")
                    return true
                }
                u.payload = hex.data
            case .requireReply:
                u.requireReply = true
                guard !s.arguments.isEmpty else { return true }
                guard let hex = UDPCheck.hex(text, wildcards: true) else {
                    diagnostics.error("invalid-hex", at: s.arguments.first?.location ?? s.location,
                                      "UDP_CHECK require_reply takes hex octets, 'x' for any nibble (e.g. 'require_reply 0axx'), got '\(text)'")
                    return true
                }
                u.replyData = hex.data
                u.replyMask = hex.mask
            case .minReplyLength: u.minReplyLength = integer(s, 0...Int(UInt16.max))
            case .maxReplyLength: u.maxReplyLength = integer(s, 0...Int(UInt16.max))
            }
            return true
        }
        u.options = options
        u.unsupported = unsupported
        if let low = u.minReplyLength, let high = u.maxReplyLength, low > high {
            diagnostics.warning("always-fails", at: s.location, "UDP_CHECK min_reply_length \(low) > max_reply_length \(high): the check always fails")
        }
        return u
    }

    func readDNSCheck(_ s: Statement, path: String) -> DNSCheck {
        var d = DNSCheck(origin: Origin(s.location))
        var unsupported: [Statement] = []
        var options = CheckerOptions()
        each(s.block ?? [], DNSCheckKeyword.self, path: path, unsupported: &unsupported, checkerOptions: &options) { keyword, s in
            switch keyword {
            case .type:
                guard let w = word(s, "a record type") else { return true }
                guard let known = DNSCheck.types.first(where: { $0 == w.uppercased() }) else {
                    diagnostics.error("unknown-dns-type", at: s.arguments[0].location,
                                      "DNS_CHECK type '\(w)' is not one keepalived knows (\(DNSCheck.types.joined(separator: ", ")))")
                    return true
                }
                d.type = known
            case .name:
                guard let w = word(s, "a domain name") else { return true }
                if d.name != nil {
                    diagnostics.error("duplicate", at: s.location, "DNS_CHECK name is already given")
                    return true
                }
                let emptyLabel = (w.hasPrefix(".") && w != ".") || w.contains("..")
                guard !emptyLabel else {
                    diagnostics.error("empty-label", at: s.arguments[0].location, "DNS_CHECK name '\(w)' has an empty label")
                    return true
                }
                d.name = w
            }
            return true
        }
        d.options = options
        d.unsupported = unsupported
        return d
    }

    func readSMTPCheck(_ s: Statement, path: String) -> SMTPCheck {
        var c = SMTPCheck(origin: Origin(s.location))
        var unsupported: [Statement] = []
        var options = CheckerOptions()
        each(s.block ?? [], SMTPCheckKeyword.self, path: path, unsupported: &unsupported, checkerOptions: &options) { keyword, s in
            switch keyword {
            case .heloName: c.heloName = word(s, "a host name")
            case .host:
                var host = SMTPCheck.Host()
                each(s.block ?? [], SMTPHostKeyword.self, path: "\(path) > host", unsupported: &host.unsupported,
                     checkerOptions: &host.options)
                c.hosts.append(host)
            }
            return true
        }
        c.options = options
        c.unsupported = unsupported
        return c
    }

    func readFileCheck(_ s: Statement, path: String) -> FileCheck {
        var f = FileCheck(origin: Origin(s.location))
        each(s.block ?? [], FileCheckKeyword.self, path: path, unsupported: &f.unsupported) { keyword, s in
            switch keyword {
            case .trackFile:
                f.trackFile = word(s, "the name of a track_file block")
                f.trackFileOrigin = Origin(s.arguments.first?.location ?? s.location)
            case .weight:
                guard let args = arguments(s, 1...2, "a weight, then optionally reverse or noreverse") else { break }
                guard let w = Int(args[0].text), abs(w) <= Int(Int32.max) else {
                    diagnostics.error("out-of-range", at: args[0].location, "FILE_CHECK weight must be a whole number from \(-Int(Int32.max)) to \(Int32.max)")
                    break
                }
                f.weight = w
                if args.count == 2 {
                    switch args[1].text {
                    case "reverse": f.reverse = true
                    case "noreverse": f.reverse = false
                    default: diagnostics.error("unknown-option", at: args[1].location, "'\(args[1].text)' is not reverse or noreverse")
                    }
                }
            }
            return true
        }
        if f.trackFile == nil {
            diagnostics.error("missing-track-file", at: s.location, "FILE_CHECK has no 'track_file'")
        }
        return f
    }

    func readMiscCheck(_ s: Statement, path: String) -> MiscCheck {
        var m = MiscCheck(origin: Origin(s.location))
        var unsupported: [Statement] = []
        var options = CheckerOptions()
        each(s.block ?? [], MiscCheckKeyword.self, path: path, unsupported: &unsupported, checkerOptions: &options) { keyword, s in
            switch keyword {
            case .miscPath: m.path = command(s)
            case .miscTimeout: m.timeout = seconds(s, 0.000001...Double(UInt32.max))
            case .miscDynamic: m.dynamic = flag(s)
            case .user: m.user = scriptUser(s)
            }
            return true
        }
        m.options = options
        m.unsupported = unsupported
        if m.path == nil {
            diagnostics.error("missing-misc-path", at: s.location, "MISC_CHECK has no 'misc_path'")
        }
        return m
    }

    func readVirtualServerGroup(_ s: Statement) -> VirtualServerGroup? {
        guard let name = blockName(s), let block = blockExpected(s) else { return nil }
        var g = VirtualServerGroup(name: name, origin: Origin(s.location))
        for line in block {
            if line.name == "fwmark" {
                guard let mark = line.arguments.first.flatMap({ UInt32($0.text) }), mark > 0 else {
                    diagnostics.error("out-of-range", at: line.location, "fwmark needs a mark number from 1 to \(UInt32.max)")
                    continue
                }
                g.members.append(.firewallMark(mark))
                continue
            }
            // ADDR PORT, or a range ADDR-LAST PORT
            guard let (address, rangeEnd) = addressRange(line, what: "virtual_server_group member", or: ", a range or 'fwmark N'") else {
                continue
            }
            guard let portToken = line.arguments.first else {
                diagnostics.error("missing-argument", at: line.location, "virtual_server_group member \(line.name) needs a port")
                continue
            }
            guard let port = port(portToken) else { continue }
            g.members.append(.endpoint(address, rangeEnd: rangeEnd, port: port))
        }
        return g
    }

    /// `ADDR` or `ADDR-LAST` as a line's first word (LAST: the last octet, or the last hex
    /// group of an IPv6 address, at or above the first's).
    func addressRange(_ line: Statement, what: String, or alternatives: String = " or a range") -> (IPAddress, Int?)? {
        var addressText = line.name
        var rangeEnd: Int?
        if let dash = addressText.lastIndex(of: "-") {
            let tail = addressText[addressText.index(after: dash)...]
            let isV6 = addressText.contains(":")
            guard let end = Int(tail, radix: isV6 ? 16 : 10), end >= 0, end <= (isV6 ? 0xffff : 255) else {
                diagnostics.error("bad-address", at: line.location, "address range '\(line.name)' does not end in a number")
                return nil
            }
            rangeEnd = end
            addressText = String(addressText[..<dash])
        }
        guard let address = IPAddress(addressText) else {
            diagnostics.error("bad-address", at: line.location, "\(what) '\(line.name)' is not an address\(alternatives)")
            return nil
        }
        return (address, rangeEnd)
    }

    /// `local_address_group NAME { ADDR[-LAST] … }`: DPVS writes an interface after each
    /// entry; Vigil does not add the addresses itself (they must be this director's
    /// already), so an interface word is refused rather than ignored.
    func readLocalAddressGroup(_ s: Statement) -> LocalAddressGroup? {
        guard let name = blockName(s), let block = blockExpected(s) else { return nil }
        var g = LocalAddressGroup(name: name, origin: Origin(s.location))
        for line in block {
            guard let (address, rangeEnd) = addressRange(line, what: "local_address_group entry") else { continue }
            if AddressRange(first: address.internetAddress, end: rangeEnd).endsBelowStart {
                diagnostics.error("bad-address", at: line.location, "address range '\(line.name)' ends below its start")
                continue
            }
            if let extra = line.arguments.first {
                diagnostics.error("unsupported", at: extra.location,
                                  "'\(extra.text)' after \(line.name): Vigil does not add a local_address_group's addresses to an interface (DPVS does); add them to the director's interface yourself and write the address alone")
                continue
            }
            g.entries.append(LocalAddressGroup.Entry(address: address, rangeEnd: rangeEnd, origin: Origin(line.location)))
        }
        if g.entries.isEmpty && block.isEmpty {
            diagnostics.error("missing-argument", at: s.location, "local_address_group \(name) has no addresses")
        }
        return g
    }
}
