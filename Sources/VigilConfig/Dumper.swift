import VigilTypes
/// Writes a `Configuration` back as keepalived.conf in one canonical layout: includes and
/// definitions expanded, conditionals resolved, one keyword per line, four-space indents.
/// Reading the output again yields an equal `Configuration` (tests prove it on every
/// fixture), so `vigil check --dump` shows exactly what Vigil will run.
public enum Dumper {
    public static func dump(_ c: Configuration) -> String {
        let w = Writer()
        w.block(RootKeyword.globalDefs) { w.globalDefs(c.globalDefs) }
        if let ssl = c.ssl {
            w.block(RootKeyword.ssl) {
                w.opt(SSLKeyword.password, ssl.password.map(Writer.word))
                w.opt(SSLKeyword.ca, ssl.ca.map(Writer.word))
                w.opt(SSLKeyword.certificate, ssl.certificate.map(Writer.word))
                w.opt(SSLKeyword.key, ssl.key.map(Writer.word))
            }
        }
        if !c.staticRoutes.isEmpty {
            w.block(RootKeyword.staticRoutes) { for r in c.staticRoutes { w.line(Writer.route(r)) } }
        }
        if !c.staticRules.isEmpty {
            w.block(RootKeyword.staticRules) { for r in c.staticRules { w.line(Writer.rule(r)) } }
        }
        for s in c.vrrpScripts { w.vrrpScript(s) }
        for t in c.trackFiles { w.trackFile(t) }
        for p in c.trackProcesses { w.trackProcess(p) }
        for v in c.vrrpInstances { w.instance(v) }
        for g in c.syncGroups { w.syncGroup(g) }
        for g in c.virtualServerGroups { w.virtualServerGroup(g) }
        for g in c.localAddressGroups { w.localAddressGroup(g) }
        for v in c.virtualServers { w.virtualServer(v) }
        for a in c.announcements { w.announcement(a) }
        w.raw(c.unsupported)
        return w.text
    }
}

/// The keywords a vrrp_instance and a vrrp_sync_group both have, written by one function.
private protocol NotifyKeywords: RawRepresentable<String> {
    static var notifyMaster: Self { get }
    static var notifyBackup: Self { get }
    static var notifyFault: Self { get }
    static var notifyStop: Self { get }
    static var notify: Self { get }
}

private protocol TrackKeywords: RawRepresentable<String> {
    static var trackScript: Self { get }
    static var trackInterface: Self { get }
    static var trackFile: Self { get }
    static var trackProcess: Self { get }
}

/// The gratuitous ARP keywords of a vrrp_instance, and global_defs' `vrrp_` defaults for them.
private protocol GARPKeywords: RawRepresentable<String> {
    static var garpMasterDelay: Self { get }
    static var garpMasterRepeat: Self { get }
    static var garpMasterRefresh: Self { get }
    static var garpMasterRefreshRepeat: Self { get }
}

extension VRRPInstanceKeyword: NotifyKeywords, TrackKeywords, GARPKeywords {}
extension SyncGroupKeyword: NotifyKeywords, TrackKeywords {}
extension GlobalDefsKeyword: GARPKeywords {}

/// A class, so that nested `block { }` closures can write to the same text.
/// Keywords are written from the readers' keyword enums, never spelled here: what the
/// Dumper writes is what the readers read.
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

    /// A keyword opening a block, with the words that follow it (a name, an address).
    func block<K: RawRepresentable<String>>(_ keyword: K, _ words: String..., body: () -> Void) {
        block(([keyword.rawValue] + words).joined(separator: " "), body)
    }

    /// A keyword and the words after it on its line.
    func line<K: RawRepresentable<String>>(_ keyword: K, _ words: String...) {
        line(keyword, words: words)
    }

    func line<K: RawRepresentable<String>>(_ keyword: K, words: [String]) {
        line(([keyword.rawValue] + words).joined(separator: " "))
    }

    func opt<K: RawRepresentable<String>, T>(_ keyword: K, _ value: T?) {
        if let value { line(keyword, "\(value)") }
    }

    func seconds<K: RawRepresentable<String>>(_ keyword: K, _ value: Microseconds?) {
        if let value { line(keyword, formatSeconds(value)) }
    }

    func flag<K: RawRepresentable<String>>(_ keyword: K, _ on: Bool) {
        if on { line(keyword) }
    }

    /// A keyword with keepalived's optional <BOOL>, written when it was (`smtp_alert off`).
    func bool<K: RawRepresentable<String>>(_ keyword: K, _ value: Bool?) {
        if let value { line(keyword, value ? "on" : "off") }
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

    func script<K: RawRepresentable<String>>(_ keyword: K, _ command: String?) {
        guard let command else { return }
        // Commands are stored as written; a single word is re-quoted if it has blanks.
        line(keyword, command.contains("\"") ? command : Writer.word(command))
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
        opt(GlobalDefsKeyword.routerID, g.routerID.map(Writer.word))
        opt(GlobalDefsKeyword.vrrpVersion, g.vrrpVersion)
        flag(GlobalDefsKeyword.vrrpStrict, g.vrrpStrict)
        flag(GlobalDefsKeyword.vrrpSkipCheckAdvAddr, g.skipCheckAdvertAddresses)
        flag(GlobalDefsKeyword.vrrpCheckUnicastSrc, g.vrrpCheckUnicastSource)
        seconds(GlobalDefsKeyword.vrrpGarpInterval, g.garpInterval)
        seconds(GlobalDefsKeyword.vrrpGnaInterval, g.gnaInterval)
        garp(g.garp, GlobalDefsKeyword.self)
        flag(GlobalDefsKeyword.enableScriptSecurity, g.enableScriptSecurity)
        flag(GlobalDefsKeyword.dynamicInterfaces, g.dynamicInterfaces)
        opt(GlobalDefsKeyword.scriptUser, g.scriptUser.map(Writer.user))
        opt(GlobalDefsKeyword.notifyFIFO, g.notifyFIFO.map(Writer.word))
        script(GlobalDefsKeyword.notifyFIFOScript, g.notifyFIFOScript)
        opt(GlobalDefsKeyword.vrrpNotifyFIFO, g.vrrpNotifyFIFO.map(Writer.word))
        script(GlobalDefsKeyword.vrrpNotifyFIFOScript, g.vrrpNotifyFIFOScript)
        opt(GlobalDefsKeyword.lvsNotifyFIFO, g.lvsNotifyFIFO.map(Writer.word))
        script(GlobalDefsKeyword.lvsNotifyFIFOScript, g.lvsNotifyFIFOScript)
        opt(GlobalDefsKeyword.lvsSyncDaemon, g.lvsSyncDaemon.map(Writer.syncDaemon))
        opt(GlobalDefsKeyword.lvsTimeouts, g.lvsTimeouts.map(Writer.timeouts))
        flag(GlobalDefsKeyword.lvsFlush, g.lvsFlush)
        if let stop = g.lvsFlushOnStop { line(GlobalDefsKeyword.lvsFlushOnStop, words: stop == .full ? [] : [stop.rawValue]) }
        if !g.notificationEmail.isEmpty {
            block(GlobalDefsKeyword.notificationEmail) { for a in g.notificationEmail { line(Writer.word(a)) } }
        }
        opt(GlobalDefsKeyword.notificationEmailFrom, g.notificationEmailFrom.map(Writer.word))
        opt(GlobalDefsKeyword.smtpServer, g.smtpServer.map { "\($0.address) \($0.port)" })
        opt(GlobalDefsKeyword.smtpHeloName, g.smtpHeloName.map(Writer.word))
        opt(GlobalDefsKeyword.smtpConnectTimeout, g.smtpConnectTimeout)
        bool(GlobalDefsKeyword.smtpAlert, g.smtpAlert)
        bool(GlobalDefsKeyword.smtpAlertVRRP, g.smtpAlertVRRP)
        bool(GlobalDefsKeyword.smtpAlertChecker, g.smtpAlertChecker)
        flag(GlobalDefsKeyword.noEmailFaults, g.noEmailFaults)
        flag(GlobalDefsKeyword.noCheckerEmails, g.noCheckerEmails)
        opt(GlobalDefsKeyword.metricsListen, g.metricsListen)
        seconds(GlobalDefsKeyword.vrrpStartupDelay, g.vrrpStartupDelay)
        seconds(GlobalDefsKeyword.vrrpDelayAfterBoot, g.vrrpDelayAfterBoot)
        if let extra = g.garpExtraInterface {
            line(GlobalDefsKeyword.vrrpGarpExtraIf, (extra.all ? "all " : "") + String(extra.interval))
        }
        flag(GlobalDefsKeyword.v3ChecksumAsV2, g.v3ChecksumAsV2)
        raw(g.unsupported)
    }

    func garp<K: GARPKeywords>(_ g: GratuitousARPSettings, _: K.Type) {
        seconds(K.garpMasterDelay, g.masterDelay)
        opt(K.garpMasterRepeat, g.masterRepeat)
        seconds(K.garpMasterRefresh, g.masterRefresh)
        opt(K.garpMasterRefreshRepeat, g.masterRefreshRepeat)
    }

    static func syncDaemon(_ d: LVSSyncDaemonConfig) -> String {
        var words = [word(d.interface)]
        if let instance = d.instance { words += ["inst", word(instance)] }
        if let id = d.syncID { words += ["id", "\(id)"] }
        if let maxlen = d.maxLength { words += ["maxlen", "\(maxlen)"] }
        if let port = d.port { words += ["port", "\(port)"] }
        if let ttl = d.ttl { words += ["ttl", "\(ttl)"] }
        if let group = d.group { words += ["group", "\(group)"] }
        return words.joined(separator: " ")
    }

    static func timeouts(_ t: LVSTimeoutsConfig) -> String {
        [("tcp", t.tcp), ("tcpfin", t.tcpFin), ("udp", t.udp)].compactMap { name, v in v.map { "\(name) \($0)" } }
            .joined(separator: " ")
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

    func trackLists<K: TrackKeywords>(_: K.Type, scripts: [TrackReference], interfaces: [TrackReference],
                                      files: [TrackReference], processes: [TrackReference]) {
        for (keyword, list) in [(K.trackScript, scripts), (K.trackInterface, interfaces), (K.trackFile, files),
                                (K.trackProcess, processes)] where !list.isEmpty {
            block(keyword) { for r in list { line(Writer.track(r)) } }
        }
    }

    func notify<K: NotifyKeywords>(_ n: NotifyScripts, _: K.Type) {
        script(K.notifyMaster, n.master)
        script(K.notifyBackup, n.backup)
        script(K.notifyFault, n.fault)
        script(K.notifyStop, n.stop)
        script(K.notify, n.any)
    }

    func instance(_ v: VRRPInstance) {
        block(RootKeyword.vrrpInstance, Writer.word(v.name)) {
            opt(VRRPInstanceKeyword.state, v.initialState?.rawValue)
            opt(VRRPInstanceKeyword.interface, v.interface.map(Writer.word))
            opt(VRRPInstanceKeyword.virtualRouterID, v.virtualRouterID)
            opt(VRRPInstanceKeyword.priority, v.priority)
            seconds(VRRPInstanceKeyword.advertInterval, v.advertInterval)
            opt(VRRPInstanceKeyword.version, v.version)
            if case let .password(pass)? = v.authentication {
                block(VRRPInstanceKeyword.authentication) {
                    line(AuthenticationKeyword.authType, "PASS")
                    line(AuthenticationKeyword.authPass, Writer.word(pass))
                }
            }
            if !v.virtualIPAddresses.isEmpty {
                block(VRRPInstanceKeyword.virtualIPAddress) { for a in v.virtualIPAddresses { line(Writer.vip(a)) } }
            }
            if !v.excludedVirtualIPAddresses.isEmpty {
                block(VRRPInstanceKeyword.virtualIPAddressExcluded) { for a in v.excludedVirtualIPAddresses { line(Writer.vip(a)) } }
            }
            flag(VRRPInstanceKeyword.nopreempt, !v.preempt)
            flag(VRRPInstanceKeyword.checkUnicastSource, v.checkUnicastSource)
            seconds(VRRPInstanceKeyword.preemptDelay, v.preemptDelay)
            opt(VRRPInstanceKeyword.unicastSourceIP, v.unicastSourceIP)
            if !v.unicastPeers.isEmpty {
                block(VRRPInstanceKeyword.unicastPeer) {
                    for p in v.unicastPeers {
                        let ttl = v.unicastPeerTTL[p]
                        line(([p.description] + (ttl?.minimum.map { ["min_ttl", "\($0)"] } ?? [])
                              + (ttl?.maximum.map { ["max_ttl", "\($0)"] } ?? [])).joined(separator: " "))
                    }
                }
            }
            if !v.virtualRoutes.isEmpty {
                block(VRRPInstanceKeyword.virtualRoutes) { for r in v.virtualRoutes { line(Writer.route(r)) } }
            }
            if !v.virtualRules.isEmpty {
                block(VRRPInstanceKeyword.virtualRules) { for r in v.virtualRules { line(Writer.rule(r)) } }
            }
            trackLists(VRRPInstanceKeyword.self, scripts: v.trackScripts, interfaces: v.trackInterfaces, files: v.trackFiles,
                       processes: v.trackProcesses)
            notify(v.notify, VRRPInstanceKeyword.self)
            bool(VRRPInstanceKeyword.smtpAlert, v.smtpAlert)
            garp(v.garp, VRRPInstanceKeyword.self)
            if let vmac = v.useVMAC {
                if vmac.isEmpty { line(VRRPInstanceKeyword.useVMAC) } else { line(VRRPInstanceKeyword.useVMAC, Writer.word(vmac)) }
            }
            flag(VRRPInstanceKeyword.vmacTransmitBase, v.vmacTransmitBase)
            if let accept = v.accept { line(accept ? VRRPInstanceKeyword.accept : .noAccept) }
            flag(VRRPInstanceKeyword.dontTrackPrimary, v.dontTrackPrimary)
            flag(VRRPInstanceKeyword.skipCheckAdvertAddresses, v.skipCheckAdvertAddresses == true)
            if let strict = v.strictMode { line(VRRPInstanceKeyword.strictMode, strict ? "on" : "off") }
            flag(VRRPInstanceKeyword.noVirtualIPAddress, v.noVirtualIPAddress)
            if let extra = v.garpExtraInterface {
                line(VRRPInstanceKeyword.garpExtraIf, (extra.all ? "all " : "") + String(extra.interval))
            }
            if let asV2 = v.v3ChecksumAsV2 { line(VRRPInstanceKeyword.v3ChecksumAsV2, asV2 ? "true" : "false") }
            switch v.oldUnicastChecksum {
            case .always?: line(VRRPInstanceKeyword.oldUnicastChecksum)
            case .never?: line(VRRPInstanceKeyword.oldUnicastChecksum, "never")
            case nil: break
            }
            raw(v.unsupported)
        }
    }

    func syncGroup(_ g: SyncGroup) {
        block(RootKeyword.vrrpSyncGroup, Writer.word(g.name)) {
            block(SyncGroupKeyword.group) { for m in g.members { line(Writer.word(m.name)) } }
            notify(g.notify, SyncGroupKeyword.self)
            bool(SyncGroupKeyword.smtpAlert, g.smtpAlert)
            trackLists(SyncGroupKeyword.self, scripts: g.trackScripts, interfaces: g.trackInterfaces, files: g.trackFiles,
                       processes: g.trackProcesses)
            flag(SyncGroupKeyword.syncGroupTrackingWeight, g.trackingWeight)
            raw(g.unsupported)
        }
    }

    func vrrpScript(_ s: VRRPScript) {
        block(RootKeyword.vrrpScript, Writer.word(s.name)) {
            script(VRRPScriptKeyword.script, s.script)
            seconds(VRRPScriptKeyword.interval, s.interval)
            seconds(VRRPScriptKeyword.timeout, s.timeout)
            if let w = s.weight { line(VRRPScriptKeyword.weight, "\(w)\(s.weightReverse ? " reverse" : "")") }
            opt(VRRPScriptKeyword.rise, s.rise)
            opt(VRRPScriptKeyword.fall, s.fall)
            opt(VRRPScriptKeyword.user, s.user.map(Writer.user))
            flag(VRRPScriptKeyword.initFail, s.initFail)
            raw(s.unsupported)
        }
    }

    func trackProcess(_ p: TrackProcess) {
        block(RootKeyword.vrrpTrackProcess, Writer.word(p.name)) {
            if !p.process.isEmpty { line(TrackProcessKeyword.process, words: p.process.map(Writer.word)) }
            opt(TrackProcessKeyword.paramMatch, p.parameterMatch?.rawValue)
            if let w = p.weight { line(TrackProcessKeyword.weight, "\(w)\(p.weightReverse ? " reverse" : "")") }
            opt(TrackProcessKeyword.quorum, p.quorum)
            opt(TrackProcessKeyword.quorumMax, p.quorumMax)
            seconds(TrackProcessKeyword.forkDelay, p.forkDelay)
            seconds(TrackProcessKeyword.terminateDelay, p.terminateDelay)
            flag(TrackProcessKeyword.fullCommand, p.fullCommand)
            raw(p.unsupported)
        }
    }

    func trackFile(_ t: TrackFile) {
        block(RootKeyword.trackFile, Writer.word(t.name)) {
            opt(TrackFileKeyword.file, t.file.map(Writer.word))
            if let w = t.weight { line(TrackFileKeyword.weight, "\(w)\(t.weightReverse ? " reverse" : "")") }
            if let i = t.initFile { line(TrackFileKeyword.initFile, words: i.map(Writer.word)) }
            raw(t.unsupported)
        }
    }

    func virtualServerGroup(_ g: VirtualServerGroup) {
        block(RootKeyword.virtualServerGroup, Writer.word(g.name)) {
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

    func localAddressGroup(_ g: LocalAddressGroup) {
        block(RootKeyword.localAddressGroup, Writer.word(g.name)) {
            for entry in g.entries { line(entry.text) }
        }
    }

    func checkerOptions(_ o: CheckerOptions) {
        opt(CheckerOptionKeyword.connectIP, o.connectIP)
        opt(CheckerOptionKeyword.connectPort, o.connectPort)
        opt(CheckerOptionKeyword.bindTo, o.bindTo)
        opt(CheckerOptionKeyword.bindPort, o.bindPort)
        opt(CheckerOptionKeyword.bindInterface, o.bindInterface.map(Writer.word))
        seconds(CheckerOptionKeyword.connectTimeout, o.connectTimeout)
        opt(CheckerOptionKeyword.fwmark, o.fwmark)
        opt(CheckerOptionKeyword.retry, o.retry)
        seconds(CheckerOptionKeyword.delayBeforeRetry, o.delayBeforeRetry)
        seconds(CheckerOptionKeyword.warmup, o.warmup)
        seconds(CheckerOptionKeyword.delayLoop, o.delayLoop)
        flag(CheckerOptionKeyword.alpha, o.alpha == true)
    }

    static func serviceKey(_ key: VirtualServiceKey) -> String {
        switch key {
        case let .endpoint(address, port): return "\(address) \(port)"
        case let .firewallMark(mark): return "fwmark \(mark)"
        case let .group(name): return "group \(Writer.word(name))"
        }
    }

    func announcement(_ a: Announcement) {
        block(RootKeyword.announce, "\(a.address)") {
            for condition in a.conditions {
                switch condition {
                case let .virtualServer(key, _): line(AnnounceKeyword.virtualServer, Writer.serviceKey(key))
                case let .vrrpInstance(name, _): line(AnnounceKeyword.vrrpInstance, Writer.word(name))
                }
            }
            raw(a.unsupported)
        }
    }

    func virtualServer(_ v: VirtualServer) {
        let key = Writer.serviceKey(v.key)
        block(RootKeyword.virtualServer, key) {
            seconds(CheckerOptionKeyword.delayLoop, v.delayLoop)
            opt(VirtualServerKeyword.lbAlgo, v.scheduler?.rawValue)
            for f in v.schedulerFlags { line(f) }
            opt(VirtualServerKeyword.lbKind, v.forwardingMethod.map { m in v.tunnel.map { "\(m.rawValue) \($0)" } ?? m.rawValue })
            opt(VirtualServerKeyword.laddrGroupName, v.localAddressGroup.map { Writer.word($0.name) })
            opt(VirtualServerKeyword.protocol, v.serviceProtocol?.rawValue)
            opt(VirtualServerKeyword.persistenceTimeout, v.persistenceTimeout)
            opt(VirtualServerKeyword.persistenceGranularity, v.persistenceGranularity)
            opt(VirtualServerKeyword.virtualhost, v.virtualhost.map(Writer.word))
            opt(VirtualServerKeyword.sorryServer, v.sorryServer)
            opt(VirtualServerKeyword.sorryServerLvsMethod, v.sorryServerForwardingMethod.map { m in v.sorryServerTunnel.map { "\(m.rawValue) \($0)" } ?? m.rawValue })
            opt(VirtualServerKeyword.quorum, v.quorum)
            opt(VirtualServerKeyword.hysteresis, v.hysteresis)
            script(VirtualServerKeyword.quorumUp, v.quorumUp)
            script(VirtualServerKeyword.quorumDown, v.quorumDown)
            bool(VirtualServerKeyword.smtpAlert, v.smtpAlert)
            flag(VirtualServerKeyword.alpha, v.alpha)
            flag(VirtualServerKeyword.omega, v.omega)
            flag(VirtualServerKeyword.inhibitOnFailure, v.inhibitOnFailure)
            flag(VirtualServerKeyword.haSuspend, v.haSuspend)
            checkerOptions(v.checkerDefaults)
            raw(v.unsupported)
            for r in v.realServers { realServer(r) }
        }
    }

    func realServer(_ r: RealServer) {
        block(VirtualServerKeyword.realServer, "\(r.endpoint)") {
            opt(RealServerKeyword.weight, r.weight)
            opt(RealServerKeyword.lvsMethod, r.forwardingMethod.map { m in r.tunnel.map { "\(m.rawValue) \($0)" } ?? m.rawValue })
            flag(RealServerKeyword.inhibitOnFailure, r.inhibitOnFailure == true)
            script(RealServerKeyword.notifyUp, r.notifyUp)
            script(RealServerKeyword.notifyDown, r.notifyDown)
            bool(RealServerKeyword.smtpAlert, r.smtpAlert)
            opt(RealServerKeyword.uthreshold, r.upperThreshold)
            opt(RealServerKeyword.lthreshold, r.lowerThreshold)
            opt(RealServerKeyword.virtualhost, r.virtualhost.map(Writer.word))
            checkerOptions(r.checkerDefaults)
            raw(r.unsupported)
            for c in r.checkers { checker(c) }
        }
    }

    func checker(_ c: HealthChecker) {
        switch c {
        case let .tcp(t):
            block(RealServerKeyword.tcpCheck) {
                checkerOptions(t.options)
                raw(t.unsupported)
            }
        case let .http(h):
            block(h.tls ? RealServerKeyword.sslGet : .httpGet) {
                for u in h.urls {
                    block(HTTPGetKeyword.url) {
                        opt(URLKeyword.path, u.path.map(Writer.word))
                        opt(URLKeyword.digest, u.digest)
                        if !u.statusCodes.isEmpty {
                            line(URLKeyword.statusCode, u.statusCodes.map { $0.count == 1 ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }.joined(separator: " "))
                        }
                        opt(URLKeyword.virtualhost, u.virtualhost.map(Writer.word))
                        opt(URLKeyword.regex, u.regex.map(Writer.word))
                        flag(URLKeyword.regexNoMatch, u.regexNoMatch)
                        if !u.regexOptions.isEmpty { line(URLKeyword.regexOptions, words: u.regexOptions) }
                        opt(URLKeyword.regexMinOffset, u.regexMinOffset)
                        opt(URLKeyword.regexMaxOffset, u.regexMaxOffset)
                        raw(u.unsupported)
                    }
                }
                opt(HTTPGetKeyword.virtualhost, h.virtualhost.map(Writer.word))
                opt(HTTPGetKeyword.httpProtocol, h.httpProtocol)
                flag(HTTPGetKeyword.fastRecovery, h.fastRecovery)
                flag(HTTPGetKeyword.enableSNI, h.enableSNI)
                checkerOptions(h.options)
                raw(h.unsupported)
            }
        case let .misc(m):
            block(RealServerKeyword.miscCheck) {
                script(MiscCheckKeyword.miscPath, m.path)
                seconds(MiscCheckKeyword.miscTimeout, m.timeout)
                flag(MiscCheckKeyword.miscDynamic, m.dynamic)
                opt(MiscCheckKeyword.user, m.user.map(Writer.user))
                checkerOptions(m.options)
                raw(m.unsupported)
            }
        case let .udp(u):
            block(RealServerKeyword.udpCheck) {
                opt(UDPCheckKeyword.payload, u.payload.map { Self.hex($0) })
                if u.requireReply {
                    if let data = u.replyData {
                        line(UDPCheckKeyword.requireReply, Self.hex(data, mask: u.replyMask))
                    } else {
                        line(UDPCheckKeyword.requireReply)
                    }
                }
                opt(UDPCheckKeyword.minReplyLength, u.minReplyLength.map { "\($0)" })
                opt(UDPCheckKeyword.maxReplyLength, u.maxReplyLength.map { "\($0)" })
                checkerOptions(u.options)
                raw(u.unsupported)
            }
        case let .dns(d):
            block(RealServerKeyword.dnsCheck) {
                opt(DNSCheckKeyword.type, d.type)
                opt(DNSCheckKeyword.name, d.name.map(Writer.word))
                checkerOptions(d.options)
                raw(d.unsupported)
            }
        case let .smtp(c):
            block(RealServerKeyword.smtpCheck) {
                opt(SMTPCheckKeyword.heloName, c.heloName.map(Writer.word))
                checkerOptions(c.options)
                for host in c.hosts {
                    block(SMTPCheckKeyword.host) {
                        checkerOptions(host.options)
                        raw(host.unsupported)
                    }
                }
                raw(c.unsupported)
            }
        case let .ping(p):
            block(RealServerKeyword.pingCheck) {
                checkerOptions(p.options)
                raw(p.unsupported)
            }
        case let .file(f):
            block(RealServerKeyword.fileCheck) {
                opt(FileCheckKeyword.trackFile, f.trackFile.map(Writer.word))
                if let w = f.weight { line(FileCheckKeyword.weight, words: f.reverse ? ["\(w)", "reverse"] : ["\(w)"]) }
                raw(f.unsupported)
            }
        case let .unsupported(s):
            raw([s])
        }
    }

    /// Octets as keepalived reads them back: two hex digits each, `x` for a masked nibble.
    static func hex(_ data: [UInt8], mask: [UInt8]? = nil) -> String {
        let digits = Array("0123456789abcdef")
        return data.indices.map { i in
            let m = mask?[i] ?? 0
            let high = m & 0xf0 != 0 ? "x" : String(digits[Int(data[i] >> 4)])
            let low = m & 0x0f != 0 ? "x" : String(digits[Int(data[i] & 0x0f)])
            return high + low
        }.joined()
    }
}
