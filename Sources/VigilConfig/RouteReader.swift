/// The words of one route or rule line, read left to right. A missing value is reported
/// at the option that wanted it.
private struct Words {
    let words: [Token]
    var i = 0
    let block: String
    let diagnostics: DiagnosticEngine

    init(_ s: Statement, block: String, diagnostics: DiagnosticEngine) {
        words = [s.keyword] + s.arguments
        self.block = block
        self.diagnostics = diagnostics
    }

    var current: Token { words[i] }
    var atEnd: Bool { i >= words.count }

    /// Steps onto the word after `option`, or reports that there is none.
    mutating func value(after option: Token) -> Token? {
        guard i + 1 < words.count else {
            diagnostics.error("missing-argument", at: option.location, "\(block): '\(option.text)' needs a value")
            return nil
        }
        i += 1
        return words[i]
    }

    func error(_ id: String, _ t: Token, _ message: String) {
        diagnostics.error(id, at: t.location, "\(block): \(message)")
    }
}

/// keepalived's numbers for routes and rules: decimal, 0x hex, or 0-led octal (strtoul
/// with base 0), within `range`.
private func unsignedNumber(_ text: String, _ range: ClosedRange<Int>) -> Int? {
    var digits = Substring(text)
    var radix = 10
    if digits.hasPrefix("0x") || digits.hasPrefix("0X") {
        digits = digits.dropFirst(2)
        radix = 16
    } else if digits.count > 1 && digits.hasPrefix("0") {
        digits = digits.dropFirst()
        radix = 8
    }
    guard !digits.isEmpty, let n = Int(digits, radix: radix), range.contains(n) else { return nil }
    return n
}

extension ModelBuilder {
    /// A `virtual_routes` or `static_routes` line. Every word is read or reported at its own
    /// location: a route installed differently from what the operator wrote is worse than
    /// none, so a line with anything Vigil does not install is an error, not a partial route.
    func readVirtualRoute(_ s: Statement) -> VirtualRoute? { readVirtualRoute(s, block: "virtual_routes") }

    func readVirtualRoute(_ s: Statement, block: String) -> VirtualRoute? {
        var w = Words(s, block: block, diagnostics: diagnostics)
        var failed = false
        var family: IPAddress.Family?
        var familyOrigin: Token?
        /// Every address on the line must be of one family, as keepalived insists.
        func agree(_ f: IPAddress.Family, _ t: Token) -> Bool {
            if let family, family != f {
                w.error("bad-value", t, "'\(t.text)' is \(f.rawValue), the route is \(family.rawValue) (from '\(familyOrigin?.text ?? "")')")
                return false
            }
            family = f
            familyOrigin = familyOrigin ?? t
            return true
        }
        var destination: (prefix: IPPrefix?, token: Token)?
        var kind = VirtualRoute.Kind.unicast
        var source: IPAddress?, sourcePrefix: IPPrefix?, gateway: IPAddress?, device: String?
        var scope: VirtualIPAddress.Scope?, table: Int?, metric: Int?, tos: Int?
        var proto: (number: Int, token: Token)?
        var onlink = false, noTrack = false
        var placement: VirtualRoute.Placement?
        let supported = "it reads [src A] [to PREFIX | unicast|blackhole|unreachable|prohibit|throw PREFIX] [from P] [via|gw A] [dev IF] [scope S] [table T] [metric N] [protocol P] [tos N] [onlink] [add|append|prepend] [no_track]"

        while !w.atEnd, !failed {
            let t = w.current
            switch t.text {
            case "inet", "inet6":
                failed = !familyWordIsLast(t, w) || !agree(t.text == "inet" ? .inet : .inet6, t)
            case "src":
                if let v = w.value(after: t), let a = address(v, what: "\(block): src") , agree(a.family, v) { source = a } else { failed = true }
            case "via", "gw":
                if t.text == "gw" { diagnostics.warning("deprecated", at: t.location, "\(block): 'gw' is deprecated in keepalived; write 'via'") }
                guard var v = w.value(after: t) else { failed = true; break }
                var said: IPAddress.Family?
                if v.text == "inet" || v.text == "inet6" {
                    said = v.text == "inet" ? .inet : .inet6
                    guard let next = w.value(after: v) else { failed = true; break }
                    v = next
                }
                guard let a = address(v, what: "\(block): via") else { failed = true; break }
                if let said, said != a.family {
                    w.error("bad-value", v, "'\(v.text)' is not an \(said.rawValue) address")
                    failed = true
                } else if !agree(a.family, v) {
                    failed = true  // a gateway of the other family (RTA_VIA) is not installed by Vigil
                } else {
                    gateway = a
                }
            case "from":
                guard let v = w.value(after: t), let p = prefix(v) else { failed = true; break }
                if p.address.family != .inet6 {
                    w.error("bad-value", v, "'from' (a source prefix) exists for IPv6 routes only; for the preferred source write 'src'")
                    failed = true
                } else if agree(.inet6, v) {
                    sourcePrefix = p
                } else { failed = true }
            case "dev", "oif":
                if let v = w.value(after: t) { device = v.text } else { failed = true }
            case "scope":
                guard let v = w.value(after: t) else { failed = true; break }
                if let sc = VirtualIPAddress.Scope(v.text) { scope = sc } else {
                    w.error("bad-value", v, "scope '\(v.text)' is not global, site, link, host, nowhere or 0…255")
                    failed = true
                }
            case "table":
                guard let v = w.value(after: t) else { failed = true; break }
                if let n = RouteTable.number(v.text) { table = n } else {
                    w.error("bad-value", v, "table '\(v.text)' is not a number from 1 to \(UInt32.max) (or main, local, default); Vigil does not read rt_tables names")
                    failed = true
                }
            case "metric", "preference", "priority":
                guard let v = w.value(after: t) else { failed = true; break }
                if let n = unsignedNumber(v.text, 0...Int(UInt32.max)) { metric = n } else {
                    w.error("bad-value", v, "metric '\(v.text)' is not a number from 0 to \(UInt32.max)")
                    failed = true
                }
            case "protocol", "proto":
                guard let v = w.value(after: t) else { failed = true; break }
                if let n = RouteProtocol.number(v.text) { proto = (n, v) } else {
                    w.error("bad-value", v, "protocol '\(v.text)' is not 0…255 or a name keepalived knows without rt_protos (static, boot, kernel, zebra, bird, keepalived, …)")
                    failed = true
                }
            case "tos", "dsfield":
                guard let v = w.value(after: t) else { failed = true; break }
                if let n = unsignedNumber(v.text, 0...255) { tos = n } else {
                    w.error("bad-value", v, "tos '\(v.text)' is not a number from 0 to 255 (Vigil does not read rt_dsfield names)")
                    failed = true
                }
            case "onlink":
                onlink = true
            case "add", "append", "prepend":
                placement = VirtualRoute.Placement(rawValue: t.text)
            case "no_track":
                noTrack = true
            default:
                // `[to] [TYPE] PREFIX`: the destination, as keepalived reads any other word.
                var d = t
                if d.text == "to" {
                    guard let v = w.value(after: d) else { failed = true; break }
                    d = v
                    if VirtualRoute.Kind(rawValue: d.text) != nil {
                        w.error("bad-value", d, "keepalived 2.2.7 reads no route type after 'to' (it drops the route); write '\(d.text) PREFIX' without 'to'")
                        failed = true
                        break
                    }
                }
                if let k = VirtualRoute.Kind(rawValue: d.text) {
                    kind = k
                    guard let v = w.value(after: d) else { failed = true; break }
                    d = v
                } else if ["local", "nat", "broadcast", "brd", "anycast", "multicast", "xresolve"].contains(d.text) {
                    w.error("unsupported", d, "route type '\(d.text)' is not supported by vigil (it installs unicast, blackhole, unreachable, prohibit and throw routes)")
                    failed = true
                    break
                }
                let special = ["default", "any", "all", "default6"].contains(d.text)
                let addressLike = d.text.contains(".") || d.text.contains(":") || d.text.first?.isNumber == true
                if !special && !addressLike {
                    w.error("unsupported", d, "'\(d.text)' is not supported by vigil (\(supported))")
                    failed = true
                } else if let previous = destination {
                    w.error("bad-value", d, "a second destination '\(d.text)' (the first is '\(previous.token.text)')")
                    failed = true
                } else if ["default", "any", "all"].contains(d.text) {
                    destination = (nil, d)
                } else if d.text == "default6" {
                    diagnostics.warning("deprecated", at: d.location, "\(block): 'default6' is deprecated in keepalived; write 'inet6 default'")
                    failed = !agree(.inet6, d)
                    destination = (nil, d)
                } else if let p = prefix(d), agree(p.address.family, d) {
                    destination = (p, d)
                } else {
                    failed = true
                }
            }
            w.i += 1
        }
        guard !failed else { return nil }
        guard let destination else {
            diagnostics.error("missing-argument", at: s.location, "\(block): the route has no destination prefix")
            return nil
        }
        let any = family == .inet6 ? IPAddress("::")! : IPAddress("0.0.0.0")!
        var r = VirtualRoute(destination: destination.prefix ?? IPPrefix(address: any, prefixLength: 0), origin: Origin(s.location))
        r.kind = kind
        r.source = source
        r.sourcePrefix = sourcePrefix
        r.gateway = gateway
        r.device = device
        r.scope = scope
        r.table = table
        r.metric = metric
        r.typeOfService = tos
        r.onlink = onlink
        r.placement = placement
        r.noTrack = noTrack
        r.protocolNumber = keptProtocol(proto, noTrack: noTrack, block: block, what: "route")
        if device == nil && !noTrack {
            diagnostics.warning("route-not-tracked", at: s.location,
                                "\(block): \(r.destination) has no 'dev', so keepalived would not track it (Vigil tracks no route either)")
        }
        if kind == .unicast, gateway == nil, device == nil {
            diagnostics.error("missing-argument", at: s.location, "\(block): \(r.destination) needs 'via' or 'dev'")
            return nil
        }
        return r
    }

    /// A `virtual_rules` or `static_rules` line.
    func readVirtualRule(_ s: Statement) -> VirtualRule? { readVirtualRule(s, block: "virtual_rules") }

    func readVirtualRule(_ s: Statement, block: String) -> VirtualRule? {
        var w = Words(s, block: block, diagnostics: diagnostics)
        var failed = false
        var family: IPAddress.Family?
        func agree(_ f: IPAddress.Family, _ t: Token) -> Bool {
            if let family, family != f {
                w.error("bad-value", t, "'\(t.text)' is \(f.rawValue), the rule is \(family.rawValue)")
                return false
            }
            family = f
            return true
        }
        var action: (VirtualRule.Action, Token)?
        func act(_ a: VirtualRule.Action, _ t: Token) -> Bool {
            if let action {
                w.error("bad-value", t, "'\(t.text)' is a second action (the first is '\(action.1.text)'); a rule has one of table, goto, nop, blackhole, unreachable, prohibit, l3mdev")
                return false
            }
            action = (a, t)
            return true
        }
        var from: IPPrefix?, to: IPPrefix?, priority: Int?, mark: UInt32?, mask: UInt32?, tos: Int?
        var iif: String?, oif: String?
        var invert = false, noTrack = false
        var proto: (number: Int, token: Token)?
        func endpoint(_ v: Token) -> IPPrefix?? {
            if ["all", "any", "default"].contains(v.text) { return .some(nil) }
            guard let p = prefix(v), agree(p.address.family, v) else { return nil }
            return .some(p)
        }
        while !w.atEnd, !failed {
            var t = w.current
            switch t.text {
            case "inet", "inet6":
                failed = !familyWordIsLast(t, w) || !agree(t.text == "inet" ? .inet : .inet6, t)
            case "not":
                invert = true
            case "from":
                if let v = w.value(after: t), let p = endpoint(v) { from = p } else { failed = true }
            case "to":
                if let v = w.value(after: t), let p = endpoint(v) { to = p } else { failed = true }
            case "table", "lookup":
                guard let v = w.value(after: t) else { failed = true; break }
                if let n = RouteTable.number(v.text) { failed = !act(.table(n), t) } else {
                    w.error("bad-value", v, "table '\(v.text)' is not a number from 1 to \(UInt32.max) (or main, local, default); Vigil does not read rt_tables names")
                    failed = true
                }
            case "priority", "preference", "order", "pref":
                guard let v = w.value(after: t) else { failed = true; break }
                if let n = unsignedNumber(v.text, 0...Int(UInt32.max)) { priority = n } else {
                    w.error("bad-value", v, "priority '\(v.text)' is not a number from 0 to \(UInt32.max)")
                    failed = true
                }
            case "tos", "dsfield":
                guard let v = w.value(after: t) else { failed = true; break }
                if let n = unsignedNumber(v.text, 0...255) { tos = n } else {
                    w.error("bad-value", v, "tos '\(v.text)' is not a number from 0 to 255 (Vigil does not read rt_dsfield names)")
                    failed = true
                }
            case "fwmark":
                guard let v = w.value(after: t) else { failed = true; break }
                let parts = v.text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
                let numbers = parts.map { unsignedNumber($0, 0...Int(UInt32.max)) }
                if numbers.allSatisfy({ $0 != nil }) {
                    mark = UInt32(numbers[0]!)
                    mask = numbers.count == 2 ? UInt32(numbers[1]!) : nil
                } else {
                    w.error("bad-value", v, "fwmark '\(v.text)' is not N or N/MASK (numbers up to \(UInt32.max))")
                    failed = true
                }
            case "iif", "dev":
                if let v = w.value(after: t) { iif = v.text } else { failed = true }
            case "oif":
                if let v = w.value(after: t) { oif = v.text } else { failed = true }
            case "protocol":
                guard let v = w.value(after: t) else { failed = true; break }
                if let n = unsignedNumber(v.text, 0...255) { proto = (n, v) } else {
                    w.error("bad-value", v, "protocol '\(v.text)' is not a number from 0 to 255")
                    failed = true
                }
            case "no_track":
                noTrack = true
            case "l3mdev":
                failed = !act(.l3mdev, t)
            default:
                if t.text == "type" {
                    guard let v = w.value(after: t) else { failed = true; break }
                    t = v
                }
                switch t.text {
                case "goto":
                    guard let v = w.value(after: t) else { failed = true; break }
                    if let n = unsignedNumber(v.text, 0...Int(UInt32.max)) { failed = !act(.goto(n), t) } else {
                        w.error("bad-value", v, "goto target '\(v.text)' is not a number from 0 to \(UInt32.max)")
                        failed = true
                    }
                case "nop": failed = !act(.nop, t)
                case "blackhole": failed = !act(.blackhole, t)
                case "unreachable": failed = !act(.unreachable, t)
                case "prohibit": failed = !act(.prohibit, t)
                default:
                    w.error("unsupported", t, "'\(t.text)' is not supported by vigil (it reads [not] from, to, iif/dev, oif, fwmark N[/M], tos, priority, protocol, no_track and one of table T, goto N, nop, blackhole, unreachable, prohibit, l3mdev, and inet|inet6 last)")
                    failed = true
                }
            }
            w.i += 1
        }
        guard !failed else { return nil }
        guard let action else {
            diagnostics.error("missing-argument", at: s.location, "\(block): the rule has no action (table T, goto N, nop, blackhole, unreachable, prohibit or l3mdev)")
            return nil
        }
        if case let .goto(target) = action.0 {
            guard let priority, priority < target else {
                w.error("bad-value", action.1, "goto \(target) needs the rule's own priority, below \(target)")
                return nil
            }
        }
        var rule = VirtualRule(action: action.0, origin: Origin(s.location))
        rule.ipv6 = family == .inet6
        rule.invert = invert
        rule.from = from
        rule.to = to
        rule.firewallMark = mark
        rule.firewallMask = mask
        rule.typeOfService = tos
        rule.inputInterface = iif
        rule.outputInterface = oif
        rule.noTrack = noTrack
        rule.protocolNumber = keptProtocol(proto, noTrack: noTrack, block: block, what: "rule")
        if let priority {
            rule.priority = priority
        } else {
            // keepalived numbers rules without a priority downwards from 16384, per family,
            // in the order it reads them; removing the rule later needs its number.
            let n = rule.ipv6 ? nextRulePriority.ipv6 : nextRulePriority.ipv4
            if rule.ipv6 { nextRulePriority.ipv6 -= 1 } else { nextRulePriority.ipv4 -= 1 }
            rule.priority = n
            diagnostics.warning("rule-priority", at: s.location,
                                "\(block): the rule has no priority; it gets \(n), as keepalived numbers such rules, which is probably not the order wanted")
        }
        return rule
    }

    /// keepalived 2.2.7 steps over the word after `inet`/`inet6` as well (the route or
    /// rule is then dropped, or silently loses that word), so the family word works only
    /// at the end of the line; anywhere else it is an error here.
    private func familyWordIsLast(_ t: Token, _ w: Words) -> Bool {
        guard w.i + 1 < w.words.count else { return true }
        w.error("bad-value", t, "keepalived 2.2.7 skips the word after '\(t.text)' ('\(w.words[w.i + 1].text)' here); write '\(t.text)' at the end of the line")
        return false
    }

    /// A written `protocol` stays only with `no_track` (or when it is keepalived's own);
    /// otherwise keepalived replaces it with 18, and so does Vigil, saying so.
    private func keptProtocol(_ proto: (number: Int, token: Token)?, noTrack: Bool, block: String, what: String) -> Int? {
        guard let proto else { return nil }
        if noTrack || proto.number == RouteProtocol.keepalived { return proto.number }
        diagnostics.warning("route-protocol", at: proto.token.location,
                            "\(block): protocol '\(proto.token.text)' is replaced by keepalived (18), as keepalived does for a \(what) without 'no_track'")
        return nil
    }

    private func prefix(_ t: Token) -> IPPrefix? {
        switch IPPrefix.parse(t.text) {
        case let .success(p): return p
        case let .failure(error):
            diagnostics.error("bad-address", at: t.location, "\(error)")
            return nil
        }
    }
}
