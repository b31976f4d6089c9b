extension ModelBuilder {
    /// A `virtual_routes` line. Every word is read or reported at its own location: a route
    /// installed differently from what the operator wrote is worse than none.
    func readVirtualRoute(_ s: Statement) -> VirtualRoute? {
        let words = [s.keyword] + s.arguments
        var i = 0
        var kind = VirtualRoute.Kind.unicast
        if let k = VirtualRoute.Kind(rawValue: words[0].text), k != .unicast {
            kind = k
            i = 1
        }
        var route: VirtualRoute?
        var pending: [(Token, (inout VirtualRoute) -> Void)] = []
        func value(_ option: Token) -> Token? {
            guard i + 1 < words.count else {
                diagnostics.error("missing-argument", at: option.location, "virtual_routes: '\(option.text)' needs a value")
                return nil
            }
            i += 1
            return words[i]
        }
        func number(_ t: Token, _ range: ClosedRange<Int>, _ what: String) -> Int? {
            guard let n = Int(t.text), range.contains(n) else {
                diagnostics.error("bad-value", at: t.location, "virtual_routes: \(what) '\(t.text)' is not a number from \(range.lowerBound) to \(range.upperBound)")
                return nil
            }
            return n
        }
        var failed = false
        while i < words.count {
            let w = words[i]
            switch w.text {
            case "src":
                if let v = value(w), let a = address(v, what: "src") { pending.append((w, { $0.source = a })) } else { failed = true }
            case "via", "gw":
                if let v = value(w), let a = address(v, what: "gateway") { pending.append((w, { $0.gateway = a })) } else { failed = true }
            case "dev", "oif":
                if let v = value(w) { pending.append((w, { $0.device = v.text })) } else { failed = true }
            case "scope":
                if let v = value(w) {
                    if let scope = VirtualIPAddress.Scope(v.text) { pending.append((w, { $0.scope = scope })) } else {
                        diagnostics.error("bad-value", at: v.location, "virtual_routes: scope '\(v.text)' is not site, link, host, nowhere, global or 0…255")
                        failed = true
                    }
                } else { failed = true }
            case "table":
                if let v = value(w) {
                    if let t = RouteTable.number(v.text) { pending.append((w, { $0.table = t })) } else {
                        diagnostics.error("bad-value", at: v.location, "virtual_routes: table '\(v.text)' is not a number (or main, local, default); Vigil does not read rt_tables names")
                        failed = true
                    }
                } else { failed = true }
            case "metric", "preference", "priority":
                if let v = value(w), let n = number(v, 0...Int(UInt32.max), "metric") { pending.append((w, { $0.metric = n })) } else { failed = true }
            case "proto", "protocol":
                if let v = value(w) {
                    let names = ["redirect": 1, "kernel": 2, "boot": 3, "static": 4, "keepalived": 18]
                    if let n = names[v.text] ?? Int(v.text).flatMap({ (0...255).contains($0) ? $0 : nil }) {
                        pending.append((w, { $0.protocolNumber = n }))
                    } else {
                        diagnostics.error("bad-value", at: v.location, "virtual_routes: proto '\(v.text)' is not 0…255 or redirect, kernel, boot, static, keepalived")
                        failed = true
                    }
                } else { failed = true }
            case "onlink":
                pending.append((w, { $0.onlink = true }))
            case "to":
                if let v = value(w) {
                    if route != nil { diagnostics.error("bad-value", at: v.location, "virtual_routes: a second destination '\(v.text)'"); failed = true }
                    else if let p = prefix(v) { route = VirtualRoute(destination: p, origin: Origin(s.location)) } else { failed = true }
                } else { failed = true }
            default:
                if route == nil, w.text.first.map({ $0.isNumber || $0 == ":" || $0.isHexDigit }) == true || w.text == "default" {
                    let text = w.text == "default" ? "0.0.0.0/0" : w.text
                    if let p = prefix(Token(.word, text, at: w.location)) { route = VirtualRoute(destination: p, origin: Origin(s.location)) } else { failed = true }
                } else {
                    diagnostics.error("unsupported", at: w.location,
                                      "virtual_routes: '\(w.text)' is not supported by vigil (it reads src, to, via/gw, dev, scope, table, metric, proto, onlink, and blackhole/unreachable/prohibit)")
                    failed = true
                }
            }
            i += 1
        }
        guard !failed else { return nil }
        guard var r = route else {
            diagnostics.error("missing-argument", at: s.location, "virtual_routes: no destination prefix")
            return nil
        }
        r.kind = kind
        for (_, apply) in pending { apply(&r) }
        if kind == .unicast, r.gateway == nil, r.device == nil {
            diagnostics.error("missing-argument", at: s.location, "virtual_routes: \(r.destination) needs 'via' or 'dev'")
            return nil
        }
        return r
    }

    /// A `virtual_rules` line.
    func readVirtualRule(_ s: Statement) -> VirtualRule? {
        let words = [s.keyword] + s.arguments
        var rule = VirtualRule(origin: Origin(s.location))
        var i = 0
        var failed = false
        func value(_ option: Token) -> Token? {
            guard i + 1 < words.count else {
                diagnostics.error("missing-argument", at: option.location, "virtual_rules: '\(option.text)' needs a value")
                return nil
            }
            i += 1
            return words[i]
        }
        func endpoint(_ v: Token) -> IPPrefix?? {
            if v.text == "all" { return .some(nil) }
            guard let p = prefix(v) else { return nil }
            return .some(p)
        }
        while i < words.count {
            let w = words[i]
            switch w.text {
            case "from":
                if let v = value(w), let p = endpoint(v) { rule.from = p } else { failed = true }
            case "to":
                if let v = value(w), let p = endpoint(v) { rule.to = p } else { failed = true }
            case "table", "lookup":
                if let v = value(w) {
                    if let t = RouteTable.number(v.text) { rule.table = t } else {
                        diagnostics.error("bad-value", at: v.location, "virtual_rules: table '\(v.text)' is not a number (or main, local, default); Vigil does not read rt_tables names")
                        failed = true
                    }
                } else { failed = true }
            case "priority", "preference", "pref":
                if let v = value(w) {
                    if let n = Int(v.text), (0...Int(UInt32.max)).contains(n) { rule.priority = n } else {
                        diagnostics.error("bad-value", at: v.location, "virtual_rules: priority '\(v.text)' is not a number from 0 to \(UInt32.max)")
                        failed = true
                    }
                } else { failed = true }
            case "fwmark":
                if let v = value(w) {
                    let parts = v.text.split(separator: "/", maxSplits: 1).map(String.init)
                    func mark(_ t: String) -> UInt32? { t.hasPrefix("0x") ? UInt32(t.dropFirst(2), radix: 16) : UInt32(t) }
                    if let m = parts.first.flatMap(mark), parts.count == 1 || mark(parts[1]) != nil {
                        rule.firewallMark = m
                        rule.firewallMask = parts.count == 2 ? mark(parts[1]) : nil
                    } else {
                        diagnostics.error("bad-value", at: v.location, "virtual_rules: fwmark '\(v.text)' is not N or N/MASK")
                        failed = true
                    }
                } else { failed = true }
            case "iif", "dev":
                if let v = value(w) { rule.inputInterface = v.text } else { failed = true }
            case "oif":
                if let v = value(w) { rule.outputInterface = v.text } else { failed = true }
            default:
                diagnostics.error("unsupported", at: w.location,
                                  "virtual_rules: '\(w.text)' is not supported by vigil (it reads from, to, table, priority, fwmark, iif, oif)")
                failed = true
            }
            i += 1
        }
        guard !failed else { return nil }
        guard rule.table != nil else {
            diagnostics.error("missing-argument", at: s.location, "virtual_rules: a rule needs 'table'")
            return nil
        }
        if let f = rule.from, let t = rule.to, f.address.family != t.address.family {
            diagnostics.error("bad-value", at: s.location, "virtual_rules: from and to are of different families")
            return nil
        }
        return rule
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
