extension ModelBuilder {
    func readInstance(_ s: Statement) -> VRRPInstance? {
        guard let name = blockName(s), let block = blockExpected(s) else { return nil }
        var v = VRRPInstance(name: name, origin: Origin(s.location))
        let path = "vrrp_instance \(name)"
        var unsupported: [Statement] = []
        each(block, in: .vrrpInstance, path: path, unsupported: &unsupported) { s in
            v.keywordOrigins[s.name] = Origin(s.location)
            switch s.name {
            case "state":
                guard let word = word(s, "MASTER or BACKUP") else { break }
                guard let state = VRRPInstance.InitialState(rawValue: word) else {
                    diagnostics.error("bad-value", at: s.arguments[0].location, "state '\(word)' is neither MASTER nor BACKUP")
                    break
                }
                v.initialState = state
            case "interface":
                v.interface = word(s, "an interface name")
                v.interfaceOrigin = v.interface == nil ? nil : Origin(s.location)
            case "virtual_router_id": v.virtualRouterID = integer(s, 1...255)
            case "priority": v.priority = integer(s, 1...255)
            case "advert_int": v.advertInterval = seconds(s, 0.01...255)
            case "version": v.version = integer(s, 2...3)
            case "authentication":
                if let block = blockExpected(s) { v.authentication = readAuthentication(block, path: path) }
            case "virtual_ipaddress":
                if let block = blockExpected(s) { v.virtualIPAddresses += block.compactMap(readVirtualIPAddress) }
            case "virtual_ipaddress_excluded":
                if let block = blockExpected(s) { v.excludedVirtualIPAddresses += block.compactMap(readVirtualIPAddress) }
            case "nopreempt": v.preempt = !flag(s)
            case "preempt": v.preempt = flag(s)
            case "preempt_delay": v.preemptDelay = seconds(s, 0...1000)
            case "unicast_src_ip":
                if let args = arguments(s, 1...1, "an address") { v.unicastSourceIP = address(args[0], what: "unicast_src_ip") }
            case "unicast_peer":
                if let block = blockExpected(s) {
                    for peer in block.compactMap(readUnicastPeer) {
                        v.unicastPeers.append(peer.address)
                        if let ttl = peer.ttl { v.unicastPeerTTL[peer.address] = ttl }
                    }
                }
            case "virtual_routes":
                if let block = blockExpected(s) { v.virtualRoutes += block.compactMap(readVirtualRoute) }
            case "virtual_rules":
                if let block = blockExpected(s) { v.virtualRules += block.compactMap(readVirtualRule) }
            case "track_script":
                if let block = blockExpected(s) { v.trackScripts += readTrackList(block) }
            case "track_interface":
                if let block = blockExpected(s) { v.trackInterfaces += readTrackList(block) }
            case "track_file":
                if let block = blockExpected(s) { v.trackFiles += readTrackList(block) }
            case "track_process":
                if let block = blockExpected(s) { v.trackProcesses += readTrackList(block) }
            case "notify_master", "notify_backup", "notify_fault", "notify_stop", "notify":
                readNotify(s, into: &v.notify)
            case "garp_master_delay": v.garp.masterDelay = seconds(s, 0...1000)
            case "garp_master_repeat": v.garp.masterRepeat = integer(s, 0...65535)
            case "garp_master_refresh": v.garp.masterRefresh = seconds(s, 0...Double(UInt32.max))
            case "garp_master_refresh_repeat": v.garp.masterRefreshRepeat = integer(s, 0...65535)
            case "use_vmac":
                arguments(s, 0...1, "an optional interface name")
                v.useVMAC = s.arguments.first?.text ?? ""
            case "vmac_xmit_base": v.vmacTransmitBase = flag(s)
            case "accept": v.accept = flag(s)
            case "no_accept": v.accept = !flag(s)
            case "dont_track_primary": v.dontTrackPrimary = flag(s)
            case "skip_check_adv_addr": v.skipCheckAdvertAddresses = flag(s)
            case "check_unicast_src": v.checkUnicastSource = flag(s)
            case "strict_mode":
                if s.arguments.isEmpty {
                    v.strictMode = true
                } else if let word = word(s, "on or off") {
                    switch word.lowercased() {
                    case "on", "true", "yes": v.strictMode = true
                    case "off", "false", "no": v.strictMode = false
                    default: diagnostics.error("bad-value", at: s.arguments[0].location, "strict_mode '\(word)' is not on or off")
                    }
                }
            default:
                return false
            }
            return true
        }
        v.unsupported = unsupported
        return v
    }

    func readAuthentication(_ block: [Statement], path: String) -> VRRPInstance.Authentication? {
        var type: Token?
        var pass: Token?
        var unsupported: [Statement] = []
        each(block, in: .authentication, path: "\(path) > authentication", unsupported: &unsupported) { s in
            switch s.name {
            case "auth_type": type = arguments(s, 1...1, "PASS or AH")?.first
            case "auth_pass": pass = arguments(s, 1...1, "a password")?.first
            default: return false
            }
            return true
        }
        guard let type else {
            if let pass { diagnostics.warning("auth-pass-without-type", at: pass.location, "auth_pass without auth_type is ignored") }
            return nil
        }
        switch type.text {
        case "PASS":
            guard let pass else {
                diagnostics.error("missing-auth-pass", at: type.location, "auth_type PASS needs an auth_pass")
                return nil
            }
            if pass.text.utf8.count > 8 {
                diagnostics.warning("auth-pass-truncated", at: pass.location,
                                    "auth_pass is longer than 8 characters; only '\(String(decoding: pass.text.utf8.prefix(8), as: UTF8.self))' goes on the wire (keepalived truncates it the same way)")
            }
            return .password(String(decoding: pass.text.utf8.prefix(8), as: UTF8.self))
        case "AH":
            diagnostics.error("auth-ah", at: type.location,
                              "auth_type AH (IPsec Authentication Header) is not supported: RFC 5798 removed it, and neither keepalived's nor any current peer's AH interoperates; use PASS or no authentication")
            return nil
        default:
            diagnostics.error("bad-value", at: type.location, "auth_type '\(type.text)' is neither PASS nor AH")
            return nil
        }
    }

    func readNotify(_ s: Statement, into notify: inout NotifyScripts) {
        let script = command(s)
        switch s.name {
        case "notify_master": notify.master = script
        case "notify_backup": notify.backup = script
        case "notify_fault": notify.fault = script
        case "notify_stop": notify.stop = script
        default: notify.any = script
        }
    }

    /// `ADDR[/PREFIX] [brd ADDR] [dev IFNAME] [scope SCOPE] [label LABEL] [peer ADDR] [flags…]`
    func readVirtualIPAddress(_ s: Statement) -> VirtualIPAddress? {
        let prefix: IPPrefix
        switch IPPrefix.parse(s.name) {
        case let .success(p): prefix = p
        case let .failure(error):
            diagnostics.error("bad-address", at: s.location, "virtual address: \(error)")
            return nil
        }
        var vip = VirtualIPAddress(prefix: prefix, origin: Origin(s.location))
        var i = 0
        let args = s.arguments
        func value(_ option: Token) -> Token? {
            guard i + 1 < args.count else {
                diagnostics.error("missing-argument", at: option.location, "'\(option.text)' needs a value")
                return nil
            }
            i += 1
            return args[i]
        }
        while i < args.count {
            let option = args[i]
            switch option.text {
            case "brd", "broadcast":
                if let v = value(option) {
                    if v.text == "+" || v.text == "-" { vip.flags += ["brd", v.text] } else { vip.broadcast = address(v, what: "broadcast") }
                }
            case "dev": vip.device = value(option)?.text
            case "label": vip.label = value(option)?.text
            case "scope":
                if let v = value(option) {
                    vip.scope = VirtualIPAddress.Scope(v.text)
                    if vip.scope == nil { diagnostics.error("bad-value", at: v.location, "scope '\(v.text)' is not site, link, host, nowhere, global or 0…255") }
                }
            case "peer":
                if let v = value(option) { vip.peer = address(v, what: "peer") }
            case "home", "-nodad", "nodad", "noprefixroute", "autojoin", "no_track":
                vip.flags.append(option.text)
            case "track_group", "metric", "preferred_lft", "valid_lft":
                if let v = value(option) { vip.flags += [option.text, v.text] }
            default:
                diagnostics.warning("unknown-option", at: option.location,
                                    "unknown virtual address option '\(option.text)' is ignored (expected brd, dev, scope, label, peer, home, -nodad, noprefixroute, autojoin, no_track)")
            }
            i += 1
        }
        if let broadcast = vip.broadcast, broadcast.family != prefix.address.family {
            diagnostics.error("family-mismatch", at: s.location, "broadcast \(broadcast) is not of the address's family")
        }
        if s.block != nil { blockNotExpected(s) }
        return vip
    }

    /// `ADDR [min_ttl N] [max_ttl N]`.
    func readUnicastPeer(_ s: Statement) -> (address: IPAddress, ttl: TTLBounds?)? {
        guard let peer = address(s.keyword, what: "unicast peer") else { return nil }
        if s.block != nil { blockNotExpected(s) }
        var ttl = TTLBounds()
        var i = 0
        let args = s.arguments
        while i < args.count {
            let word = args[i]
            guard word.text == "min_ttl" || word.text == "max_ttl" else {
                diagnostics.error("extra-argument", at: word.location, "'\(word.text)' after unicast peer \(peer): expected min_ttl N or max_ttl N")
                return (peer, nil)
            }
            guard i + 1 < args.count, let n = integer(args[i + 1], 0...255, what: word.text) else {
                if i + 1 >= args.count { diagnostics.error("missing-argument", at: word.location, "'\(word.text)' needs a number from 0 to 255") }
                return (peer, nil)
            }
            if word.text == "min_ttl" { ttl.minimum = n } else { ttl.maximum = n }
            i += 2
        }
        if let lo = ttl.minimum, let hi = ttl.maximum, lo > hi {
            diagnostics.error("bad-value", at: s.keyword.location, "unicast peer \(peer): min_ttl \(lo) is above max_ttl \(hi)")
            return (peer, nil)
        }
        return (peer, ttl == TTLBounds() ? nil : ttl)
    }

    /// `NAME [weight N [reverse]]`, one per line.
    func readTrackList(_ block: [Statement]) -> [TrackReference] {
        block.map { s in
            var ref = TrackReference(name: s.name, origin: Origin(s.location))
            var i = 0
            let args = s.arguments
            while i < args.count {
                switch args[i].text {
                case "weight":
                    if i + 1 < args.count {
                        ref.weight = integer(args[i + 1], -253...253, what: "weight")
                        i += 1
                    } else {
                        diagnostics.error("missing-argument", at: args[i].location, "'weight' needs a number from -253 to 253")
                    }
                case "reverse":
                    ref.reverse = true
                default:
                    diagnostics.warning("extra-argument", at: args[i].location, "'\(args[i].text)' after '\(s.name)' is ignored (expected 'weight N [reverse]')")
                }
                i += 1
            }
            return ref
        }
    }

    func readSyncGroup(_ s: Statement) -> SyncGroup? {
        guard let name = blockName(s), let block = blockExpected(s) else { return nil }
        var g = SyncGroup(name: name, origin: Origin(s.location))
        var unsupported: [Statement] = []
        each(block, in: .vrrpSyncGroup, path: "vrrp_sync_group \(name)", unsupported: &unsupported) { s in
            switch s.name {
            case "group":
                guard let block = blockExpected(s) else { break }
                // Members may be written one per line or several on a line.
                for line in block {
                    for token in [line.keyword] + line.arguments {
                        g.members.append(TrackReference(name: token.text, origin: Origin(token.location)))
                    }
                }
            case "notify_master", "notify_backup", "notify_fault", "notify_stop", "notify":
                readNotify(s, into: &g.notify)
            case "track_script":
                if let block = blockExpected(s) { g.trackScripts += readTrackList(block) }
            case "track_interface":
                if let block = blockExpected(s) { g.trackInterfaces += readTrackList(block) }
            case "track_file":
                if let block = blockExpected(s) { g.trackFiles += readTrackList(block) }
            case "track_process":
                if let block = blockExpected(s) { g.trackProcesses += readTrackList(block) }
            case "sync_group_tracking_weight", "global_tracking":
                g.trackingWeight = flag(s)
            default:
                return false
            }
            return true
        }
        g.unsupported = unsupported
        return g
    }

    func readVRRPScript(_ s: Statement) -> VRRPScript? {
        guard let name = blockName(s), let block = blockExpected(s) else { return nil }
        var v = VRRPScript(name: name, origin: Origin(s.location))
        var unsupported: [Statement] = []
        each(block, in: .vrrpScript, path: "vrrp_script \(name)", unsupported: &unsupported) { s in
            switch s.name {
            case "script": v.script = command(s)
            case "interval": v.interval = seconds(s, 0.000001...Double(UInt32.max))
            case "timeout": v.timeout = seconds(s, 0.000001...Double(UInt32.max))
            case "weight":
                guard let args = arguments(s, 1...2, "a number from -253 to 253 and optionally 'reverse'") else { break }
                v.weight = integer(args[0], -253...253, what: "weight")
                if args.count > 1 {
                    if args[1].text == "reverse" { v.weightReverse = true } else {
                        diagnostics.warning("extra-argument", at: args[1].location, "'\(args[1].text)' after the weight is ignored (expected 'reverse')")
                    }
                }
            case "rise": v.rise = integer(s, 1...Int(Int32.max))
            case "fall": v.fall = integer(s, 1...Int(Int32.max))
            case "user": v.user = scriptUser(s)
            case "init_fail": v.initFail = flag(s)
            default: return false
            }
            return true
        }
        v.unsupported = unsupported
        if v.script == nil {
            diagnostics.error("missing-script", at: s.location, "vrrp_script \(name) has no 'script'")
        }
        return v
    }

    func readTrackProcess(_ s: Statement) -> TrackProcess? {
        guard let name = blockName(s), let block = blockExpected(s) else { return nil }
        var p = TrackProcess(name: name, origin: Origin(s.location))
        var unsupported: [Statement] = []
        each(block, in: .trackProcess, path: "vrrp_track_process \(name)", unsupported: &unsupported) { s in
            switch s.name {
            case "process":
                guard arguments(s, 1...Int.max, "a process name and optionally its parameters") != nil else { break }
                p.process = s.values
            case "param_match":
                guard let word = word(s, "initial or partial") else { break }
                guard let m = TrackProcess.ParameterMatch(rawValue: word) else {
                    diagnostics.error("bad-value", at: s.arguments[0].location, "param_match '\(word)' is neither initial nor partial")
                    break
                }
                p.parameterMatch = m
            case "weight":
                guard let args = arguments(s, 1...2, "a number from -254 to 254 and optionally 'reverse'") else { break }
                p.weight = integer(args[0], -254...254, what: "weight")
                p.weightReverse = args.count > 1 && args[1].text == "reverse"
            case "quorum": p.quorum = integer(s, 0...65535)
            case "quorum_max": p.quorumMax = integer(s, 0...65535)
            case "delay":
                p.forkDelay = seconds(s, 0...3600)
                p.terminateDelay = p.forkDelay
            case "fork_delay": p.forkDelay = seconds(s, 0...3600)
            case "terminate_delay": p.terminateDelay = seconds(s, 0...3600)
            case "full_command": p.fullCommand = flag(s)
            default: return false
            }
            return true
        }
        p.unsupported = unsupported
        if p.process.isEmpty {
            diagnostics.error("missing-process", at: s.location, "vrrp_track_process \(name) has no 'process'")
        }
        // quorum defaults to 1, so `quorum_max 0` alone is an empty range too.
        if let m = p.quorumMax, case let q = p.quorum ?? 1, m < q {
            diagnostics.error("bad-value", at: s.location, "vrrp_track_process \(name): quorum_max \(m) is below quorum \(q)")
        }
        return p
    }

    func readTrackFile(_ s: Statement) -> TrackFile? {
        guard let name = blockName(s), let block = blockExpected(s) else { return nil }
        var t = TrackFile(name: name, origin: Origin(s.location))
        var unsupported: [Statement] = []
        each(block, in: .trackFile, path: "track_file \(name)", unsupported: &unsupported) { s in
            switch s.name {
            case "file": t.file = word(s, "a file path")
            case "weight":
                guard let args = arguments(s, 1...2, "a number from -254 to 254 and optionally 'reverse'") else { break }
                t.weight = integer(args[0], -254...254, what: "weight")
                t.weightReverse = args.count > 1 && args[1].text == "reverse"
            case "init_file": t.initFile = s.values
            default: return false
            }
            return true
        }
        t.unsupported = unsupported
        if t.file == nil {
            diagnostics.error("missing-file", at: s.location, "track_file \(name) has no 'file'")
        }
        return t
    }
}
