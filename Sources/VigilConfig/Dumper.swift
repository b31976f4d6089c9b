/// Writes a `Configuration` back as keepalived.conf in one canonical layout: includes and
/// definitions expanded, conditionals resolved, one keyword per line, four-space indents.
/// Reading the output again yields an equal `Configuration` (tests prove it on every
/// fixture), so `vigil check --dump` shows exactly what Vigil will run.
public enum Dumper {
    public static func dump(_ c: Configuration) -> String {
        let w = Writer()
        w.block("global_defs") { w.globalDefs(c.globalDefs) }
        if let ssl = c.ssl {
            w.block("SSL") {
                w.opt("password", ssl.password.map(Writer.word))
                w.opt("ca", ssl.ca.map(Writer.word))
                w.opt("certificate", ssl.certificate.map(Writer.word))
                w.opt("key", ssl.key.map(Writer.word))
            }
        }
        if !c.staticRoutes.isEmpty {
            w.block("static_routes") { for r in c.staticRoutes { w.line(Writer.route(r)) } }
        }
        if !c.staticRules.isEmpty {
            w.block("static_rules") { for r in c.staticRules { w.line(Writer.rule(r)) } }
        }
        for s in c.vrrpScripts { w.vrrpScript(s) }
        for t in c.trackFiles { w.trackFile(t) }
        for p in c.trackProcesses { w.trackProcess(p) }
        for v in c.vrrpInstances { w.instance(v) }
        for g in c.syncGroups { w.syncGroup(g) }
        for g in c.virtualServerGroups { w.virtualServerGroup(g) }
        for v in c.virtualServers { w.virtualServer(v) }
        w.raw(c.unsupported)
        return w.text
    }
}

/// A class, so that nested `block { }` closures can write to the same text.
private final class Writer {
    var text = ""
    var depth = 0

    func line(_ s: String) {
        text += String(repeating: "    ", count: depth) + s + "\n"
    }

    /// `braceOnNextLine`: the header's last word would swallow a `{` written after it (an
    /// unclosed `${`, which takes the rest of the line, or a closing ` #`).
    func block(_ header: String, braceOnNextLine: Bool = false, _ body: () -> Void) {
        if braceOnNextLine {
            line(header)
            line("{")
        } else {
            line(header + " {")
        }
        depth += 1
        body()
        depth -= 1
        line("}")
    }

    func opt<T>(_ keyword: String, _ value: T?) {
        if let value { line("\(keyword) \(value)") }
    }

    func seconds(_ keyword: String, _ value: Microseconds?) {
        if let value { line("\(keyword) \(formatSeconds(value))") }
    }

    func flag(_ keyword: String, _ on: Bool) {
        if on { line(keyword) }
    }

    /// Quotes a word that would not survive re-reading as a single word.
    static func word(_ s: String) -> String {
        if s.isEmpty { return "\"\"" }
        if s.contains("\"") { return spelled(s) }
        // The lexer splits words at a carriage return as at a blank (scalars, so that a
        // CR before a newline, one Character, is seen too).
        let special = s.unicodeScalars.contains { " \t\r{}#!\"\\".unicodeScalars.contains($0) } || Preprocessor.isDirective(s)
        return special ? "\"" + s + "\"" : s
    }

    func script(_ keyword: String, _ command: String?) {
        guard let command else { return }
        // Commands are stored as written; a single word is re-quoted if it has blanks.
        line("\(keyword) \(command.contains("\"") ? command : Writer.word(command))")
    }

    /// Whether the text's last `${` has no `}` after it: the lexer then reads to the end of
    /// the line as one word.
    static func endsInOpenExpansion(_ text: String) -> Bool {
        let chars = Array(text)
        guard let start = chars.indices.last(where: { $0 + 1 < chars.count && chars[$0] == "$" && chars[$0 + 1] == "{" }) else {
            return false
        }
        return !chars[(start + 2)...].contains("}")
    }

    /// A statement Vigil keeps as written, in words that the lexer reads back the same.
    func raw(_ statements: [Statement]) {
        for s in statements {
            var words = ([s.keyword] + s.arguments).enumerated().map { n, token in
                // A first word the preprocessor would take as a directive is quoted.
                let directive = n == 0 && Preprocessor.isDirective(token.text)
                if token.text.contains("\"") { return Writer.spelled(token.text) }
                return token.quoted || directive ? "\"\(token.text)\"" : Self.escaped(token.text)
            }.joined(separator: " ")
            // A trailing backslash would continue the line; an empty comment ends it first.
            if words.hasSuffix("\\") { words += " #" }
            if let children = s.block {
                let swallows = words.hasSuffix(" #") || Self.endsInOpenExpansion(words)
                block(words, braceOnNextLine: swallows) { raw(children) }
            } else {
                line(words)
            }
        }
    }

    /// A word holding a `"`. Only a `${...}` can have given it one: the lexer copies an
    /// expansion as it stands, from `${` to the first `}` (or to the end of the line), so
    /// neither quoting the word nor escaping reads it back. Such expansions are written as
    /// they are; the rest of the word in pieces, quoted where it holds blanks, braces,
    /// comment signs or backslashes (quoted pieces join the word: `a" "b` reads `a b`).
    static func spelled(_ text: String) -> String {
        let chars = Array(text)
        var out = "", piece = ""
        func flush() {
            guard !piece.isEmpty else { return }
            out += piece.unicodeScalars.contains(where: { " \t\r{}#!\\".unicodeScalars.contains($0) }) ? "\"" + piece + "\"" : piece
            piece = ""
        }
        var i = 0
        while i < chars.count {
            if chars[i] == "$", i + 1 < chars.count, chars[i + 1] == "{" {
                let close = chars[(i + 1)...].firstIndex(of: "}") ?? chars.count - 1
                let expansion = String(chars[i...close])
                if expansion.contains("\"") {
                    flush()
                    out += expansion
                } else {
                    piece += expansion
                }
                i = close + 1
                continue
            }
            piece.append(chars[i])
            i += 1
        }
        flush()
        return out
    }

    /// Whether the last `${` of the word has no `}` after it.
    static func hasUnclosedExpansion(_ text: String) -> Bool {
        var previous: Character?, open = false
        for c in text {
            if c == "{" && previous == "$" { open = true } else if c == "}" { open = false }
            previous = c
        }
        return open
    }

    /// An unquoted word: `#` and `!` would start a comment, so they are written `\#`, `\!`
    /// — except inside a `${...}`, which the lexer copies as it stands up to its `}`.
    static func escaped(_ text: String) -> String {
        // A `${` with no `}` after it would take the rest of the line on reading back (a
        // definition's value can end in one, and words follow it on the line): quoted, it
        // stays one word.
        if Self.hasUnclosedExpansion(text) { return "\"" + text + "\"" }
        guard text.contains(where: { $0 == "#" || $0 == "!" }) else { return text }
        var out = ""
        var inExpansion = false
        var previous: Character?
        for c in text {
            if inExpansion {
                if c == "}" { inExpansion = false }
            } else if c == "{" && previous == "$" {
                inExpansion = true
            } else if c == "#" || c == "!" {
                out.append("\\")
            }
            out.append(c)
            previous = c
        }
        return out
    }

    func globalDefs(_ g: GlobalDefs) {
        opt("router_id", g.routerID.map(Writer.word))
        opt("vrrp_version", g.vrrpVersion)
        flag("vrrp_strict", g.vrrpStrict)
        flag("vrrp_skip_check_adv_addr", g.skipCheckAdvertAddresses)
        flag("vrrp_check_unicast_src", g.vrrpCheckUnicastSource)
        seconds("vrrp_garp_interval", g.garpInterval)
        seconds("vrrp_gna_interval", g.gnaInterval)
        garp(g.garp, prefix: "vrrp_garp_")
        flag("enable_script_security", g.enableScriptSecurity)
        flag("dynamic_interfaces", g.dynamicInterfaces)
        opt("script_user", g.scriptUser.map(Writer.user))
        opt("notify_fifo", g.notifyFIFO.map(Writer.word))
        script("notify_fifo_script", g.notifyFIFOScript)
        opt("vrrp_notify_fifo", g.vrrpNotifyFIFO.map(Writer.word))
        script("vrrp_notify_fifo_script", g.vrrpNotifyFIFOScript)
        opt("metrics_listen", g.metricsListen)
        raw(g.unsupported)
    }

    func garp(_ g: GratuitousARPSettings, prefix: String) {
        seconds(prefix + "master_delay", g.masterDelay)
        opt(prefix + "master_repeat", g.masterRepeat)
        seconds(prefix + "master_refresh", g.masterRefresh)
        opt(prefix + "master_refresh_repeat", g.masterRefreshRepeat)
    }

    static func user(_ u: ScriptUser) -> String {
        [u.user, u.group].compactMap { $0.map(word) }.joined(separator: " ")
    }

    static func vip(_ a: VirtualIPAddress) -> String {
        var words = [a.prefix.description]
        if let b = a.broadcast { words += ["brd", b.description] }
        if let d = a.device { words += ["dev", word(d)] }
        if let s = a.scope { words += ["scope", s.description] }
        if let l = a.label { words += ["label", word(l)] }
        if let p = a.peer { words += ["peer", p.description] }
        words += a.flags.map(word)
        return words.joined(separator: " ")
    }

    static func route(_ r: VirtualRoute) -> String {
        // `src A to P …` as keepalived's examples write it; a type stands without `to`
        // (keepalived 2.2.7 reads none after it).
        var words: [String] = []
        if let src = r.source { words += ["src", src.description] }
        words += r.kind == .unicast ? ["to", r.destination.description] : [r.kind.rawValue, r.destination.description]
        if let p = r.sourcePrefix { words += ["from", p.description] }
        if let gw = r.gateway { words += ["via", gw.description] }
        if let d = r.device { words += ["dev", word(d)] }
        if let s = r.scope { words += ["scope", s.description] }
        if let t = r.table { words += ["table", RouteTable.name(t)] }
        if let m = r.metric { words += ["metric", String(m)] }
        if let p = r.protocolNumber { words += ["protocol", String(p)] }
        if let t = r.typeOfService { words += ["tos", String(t)] }
        if r.onlink { words.append("onlink") }
        if let p = r.placement { words.append(p.rawValue) }
        if r.noTrack { words.append("no_track") }
        return words.joined(separator: " ")
    }

    static func rule(_ r: VirtualRule) -> String {
        var words: [String] = []
        if r.invert { words.append("not") }
        if let f = r.from { words += ["from", f.description] }
        if let t = r.to { words += ["to", t.description] }
        if let i = r.inputInterface { words += ["iif", word(i)] }
        if let o = r.outputInterface { words += ["oif", word(o)] }
        if let m = r.firewallMark { words += ["fwmark", r.firewallMask.map { "\(m)/\($0)" } ?? String(m)] }
        if let t = r.typeOfService { words += ["tos", String(t)] }
        if let p = r.priority { words += ["priority", String(p)] }
        if let p = r.protocolNumber { words += ["protocol", String(p)] }
        switch r.action {
        case let .table(t): words += ["table", RouteTable.name(t)]
        case let .goto(n): words += ["goto", String(n)]
        case .nop: words.append("nop")
        case .blackhole: words.append("blackhole")
        case .unreachable: words.append("unreachable")
        case .prohibit: words.append("prohibit")
        case .l3mdev: words.append("l3mdev")
        }
        if r.noTrack { words.append("no_track") }
        // The family only when no address says it, and last: keepalived skips the word
        // after it.
        if r.ipv6 && r.from == nil && r.to == nil { words.append("inet6") }
        return words.joined(separator: " ")
    }

    static func track(_ r: TrackReference) -> String {
        var words = [word(r.name)]
        if let w = r.weight { words += ["weight", String(w)] }
        if r.reverse { words.append("reverse") }
        return words.joined(separator: " ")
    }

    func trackLists(scripts: [TrackReference], interfaces: [TrackReference], files: [TrackReference],
                    processes: [TrackReference]) {
        for (keyword, list) in [("track_script", scripts), ("track_interface", interfaces), ("track_file", files),
                                ("track_process", processes)] where !list.isEmpty {
            block(keyword) { for r in list { line(Writer.track(r)) } }
        }
    }

    func notify(_ n: NotifyScripts) {
        script("notify_master", n.master)
        script("notify_backup", n.backup)
        script("notify_fault", n.fault)
        script("notify_stop", n.stop)
        script("notify", n.any)
    }

    func instance(_ v: VRRPInstance) {
        block("vrrp_instance \(Writer.word(v.name))") {
            opt("state", v.initialState?.rawValue)
            opt("interface", v.interface.map(Writer.word))
            opt("virtual_router_id", v.virtualRouterID)
            opt("priority", v.priority)
            seconds("advert_int", v.advertInterval)
            opt("version", v.version)
            if case let .password(pass)? = v.authentication {
                block("authentication") {
                    line("auth_type PASS")
                    line("auth_pass \(Writer.word(pass))")
                }
            }
            if !v.virtualIPAddresses.isEmpty {
                block("virtual_ipaddress") { for a in v.virtualIPAddresses { line(Writer.vip(a)) } }
            }
            if !v.excludedVirtualIPAddresses.isEmpty {
                block("virtual_ipaddress_excluded") { for a in v.excludedVirtualIPAddresses { line(Writer.vip(a)) } }
            }
            flag("nopreempt", !v.preempt)
            flag("check_unicast_src", v.checkUnicastSource)
            seconds("preempt_delay", v.preemptDelay)
            opt("unicast_src_ip", v.unicastSourceIP)
            if !v.unicastPeers.isEmpty {
                block("unicast_peer") {
                    for p in v.unicastPeers {
                        let ttl = v.unicastPeerTTL[p]
                        line(([p.description] + (ttl?.minimum.map { ["min_ttl", "\($0)"] } ?? [])
                              + (ttl?.maximum.map { ["max_ttl", "\($0)"] } ?? [])).joined(separator: " "))
                    }
                }
            }
            if !v.virtualRoutes.isEmpty {
                block("virtual_routes") { for r in v.virtualRoutes { line(Writer.route(r)) } }
            }
            if !v.virtualRules.isEmpty {
                block("virtual_rules") { for r in v.virtualRules { line(Writer.rule(r)) } }
            }
            trackLists(scripts: v.trackScripts, interfaces: v.trackInterfaces, files: v.trackFiles, processes: v.trackProcesses)
            notify(v.notify)
            garp(v.garp, prefix: "garp_")
            if let vmac = v.useVMAC { line(vmac.isEmpty ? "use_vmac" : "use_vmac \(Writer.word(vmac))") }
            flag("vmac_xmit_base", v.vmacTransmitBase)
            if let accept = v.accept { line(accept ? "accept" : "no_accept") }
            flag("dont_track_primary", v.dontTrackPrimary)
            flag("skip_check_adv_addr", v.skipCheckAdvertAddresses == true)
            if let strict = v.strictMode { line("strict_mode \(strict ? "on" : "off")") }
            raw(v.unsupported)
        }
    }

    func syncGroup(_ g: SyncGroup) {
        block("vrrp_sync_group \(Writer.word(g.name))") {
            block("group") { for m in g.members { line(Writer.word(m.name)) } }
            notify(g.notify)
            trackLists(scripts: g.trackScripts, interfaces: g.trackInterfaces, files: g.trackFiles, processes: g.trackProcesses)
            flag("sync_group_tracking_weight", g.trackingWeight)
            raw(g.unsupported)
        }
    }

    func vrrpScript(_ s: VRRPScript) {
        block("vrrp_script \(Writer.word(s.name))") {
            script("script", s.script)
            seconds("interval", s.interval)
            seconds("timeout", s.timeout)
            if let w = s.weight { line("weight \(w)\(s.weightReverse ? " reverse" : "")") }
            opt("rise", s.rise)
            opt("fall", s.fall)
            opt("user", s.user.map(Writer.user))
            flag("init_fail", s.initFail)
            raw(s.unsupported)
        }
    }

    func trackProcess(_ p: TrackProcess) {
        block("vrrp_track_process \(Writer.word(p.name))") {
            if !p.process.isEmpty { line((["process"] + p.process.map(Writer.word)).joined(separator: " ")) }
            opt("param_match", p.parameterMatch?.rawValue)
            if let w = p.weight { line("weight \(w)\(p.weightReverse ? " reverse" : "")") }
            opt("quorum", p.quorum)
            opt("quorum_max", p.quorumMax)
            seconds("fork_delay", p.forkDelay)
            seconds("terminate_delay", p.terminateDelay)
            flag("full_command", p.fullCommand)
            raw(p.unsupported)
        }
    }

    func trackFile(_ t: TrackFile) {
        block("track_file \(Writer.word(t.name))") {
            opt("file", t.file.map(Writer.word))
            if let w = t.weight { line("weight \(w)\(t.weightReverse ? " reverse" : "")") }
            if let i = t.initFile { line((["init_file"] + i.map(Writer.word)).joined(separator: " ")) }
            raw(t.unsupported)
        }
    }

    func virtualServerGroup(_ g: VirtualServerGroup) {
        block("virtual_server_group \(Writer.word(g.name))") {
            for m in g.members {
                switch m {
                case let .endpoint(address, rangeEnd, port):
                    let end = rangeEnd.map { address.family == .inet6 ? "-" + String($0, radix: 16) : "-\($0)" } ?? ""
                    line("\(address)\(end) \(port)")
                case let .firewallMark(mark):
                    line("fwmark \(mark)")
                }
            }
        }
    }

    func checkerOptions(_ o: CheckerOptions) {
        opt("connect_ip", o.connectIP)
        opt("connect_port", o.connectPort)
        opt("bindto", o.bindTo)
        opt("bind_port", o.bindPort)
        opt("bind_if", o.bindInterface.map(Writer.word))
        seconds("connect_timeout", o.connectTimeout)
        opt("retry", o.retry)
        seconds("delay_before_retry", o.delayBeforeRetry)
        seconds("warmup", o.warmup)
        seconds("delay_loop", o.delayLoop)
        if o.alpha == true { line("alpha") }
    }

    func virtualServer(_ v: VirtualServer) {
        let key: String
        switch v.key {
        case let .endpoint(address, port): key = "\(address) \(port)"
        case let .firewallMark(mark): key = "fwmark \(mark)"
        case let .group(name): key = "group \(Writer.word(name))"
        }
        block("virtual_server \(key)") {
            seconds("delay_loop", v.delayLoop)
            opt("lb_algo", v.scheduler?.rawValue)
            for f in v.schedulerFlags { line(f) }
            opt("lb_kind", v.forwardingMethod.map { m in v.tunnel.map { "\(m.rawValue) \($0)" } ?? m.rawValue })
            opt("protocol", v.serviceProtocol?.rawValue)
            opt("persistence_timeout", v.persistenceTimeout)
            opt("persistence_granularity", v.persistenceGranularity)
            opt("virtualhost", v.virtualhost.map(Writer.word))
            opt("sorry_server", v.sorryServer)
            opt("sorry_server_lvs_method", v.sorryServerForwardingMethod.map { m in v.sorryServerTunnel.map { "\(m.rawValue) \($0)" } ?? m.rawValue })
            opt("quorum", v.quorum)
            opt("hysteresis", v.hysteresis)
            script("quorum_up", v.quorumUp)
            script("quorum_down", v.quorumDown)
            flag("alpha", v.alpha)
            flag("omega", v.omega)
            flag("inhibit_on_failure", v.inhibitOnFailure)
            flag("ha_suspend", v.haSuspend)
            checkerOptions(v.checkerDefaults)
            raw(v.unsupported)
            for r in v.realServers { realServer(r) }
        }
    }

    func realServer(_ r: RealServer) {
        block("real_server \(r.endpoint)") {
            opt("weight", r.weight)
            opt("lvs_method", r.forwardingMethod.map { m in r.tunnel.map { "\(m.rawValue) \($0)" } ?? m.rawValue })
            if r.inhibitOnFailure == true { line("inhibit_on_failure") }
            script("notify_up", r.notifyUp)
            script("notify_down", r.notifyDown)
            opt("uthreshold", r.upperThreshold)
            opt("lthreshold", r.lowerThreshold)
            opt("virtualhost", r.virtualhost.map(Writer.word))
            checkerOptions(r.checkerDefaults)
            raw(r.unsupported)
            for c in r.checkers { checker(c) }
        }
    }

    func checker(_ c: HealthChecker) {
        switch c {
        case let .tcp(t):
            block("TCP_CHECK") {
                checkerOptions(t.options)
                raw(t.unsupported)
            }
        case let .http(h):
            block(h.tls ? "SSL_GET" : "HTTP_GET") {
                for u in h.urls {
                    block("url") {
                        opt("path", u.path.map(Writer.word))
                        opt("digest", u.digest)
                        if !u.statusCodes.isEmpty {
                            line("status_code " + u.statusCodes.map { $0.count == 1 ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }.joined(separator: " "))
                        }
                        opt("virtualhost", u.virtualhost.map(Writer.word))
                        raw(u.unsupported)
                    }
                }
                opt("virtualhost", h.virtualhost.map(Writer.word))
                opt("http_protocol", h.httpProtocol)
                flag("fast_recovery", h.fastRecovery)
                flag("enable_sni", h.enableSNI)
                checkerOptions(h.options)
                raw(h.unsupported)
            }
        case let .misc(m):
            block("MISC_CHECK") {
                script("misc_path", m.path)
                seconds("misc_timeout", m.timeout)
                flag("misc_dynamic", m.dynamic)
                opt("user", m.user.map(Writer.user))
                checkerOptions(m.options)
                raw(m.unsupported)
            }
        case let .unsupported(s):
            raw([s])
        }
    }
}
