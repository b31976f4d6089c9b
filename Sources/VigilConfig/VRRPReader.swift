/// The vrrp_instance keywords Vigil reads.
enum VRRPInstanceKeyword: String, ImplementedKeyword {
    static let block = BlockKind.vrrpInstance
    case state
    case interface
    case virtualRouterID = "virtual_router_id"
    case priority
    case advertInterval = "advert_int"
    case version
    case authentication
    case virtualIPAddress = "virtual_ipaddress"
    case virtualIPAddressExcluded = "virtual_ipaddress_excluded"
    case nopreempt
    case preempt
    case preemptDelay = "preempt_delay"
    case unicastSourceIP = "unicast_src_ip"
    case unicastPeer = "unicast_peer"
    case virtualRoutes = "virtual_routes"
    case virtualRules = "virtual_rules"
    case trackScript = "track_script"
    case trackInterface = "track_interface"
    case trackFile = "track_file"
    case trackProcess = "track_process"
    case notifyMaster = "notify_master"
    case notifyBackup = "notify_backup"
    case notifyFault = "notify_fault"
    case notifyStop = "notify_stop"
    case notify
    case garpMasterDelay = "garp_master_delay"
    case garpMasterRepeat = "garp_master_repeat"
    case garpMasterRefresh = "garp_master_refresh"
    case garpMasterRefreshRepeat = "garp_master_refresh_repeat"
    case useVMAC = "use_vmac"
    case vmacTransmitBase = "vmac_xmit_base"
    case accept
    case noAccept = "no_accept"
    case dontTrackPrimary = "dont_track_primary"
    case skipCheckAdvertAddresses = "skip_check_adv_addr"
    case checkUnicastSource = "check_unicast_src"
    case strictMode = "strict_mode"
    case noVirtualIPAddress = "no_virtual_ipaddress"
    case v3ChecksumAsV2 = "v3_checksum_as_v2"
    case oldUnicastChecksum = "old_unicast_checksum"
    case garpExtraIf = "garp_extra_if"
    /// keepalived's spelling before 2.2.2, read as garp_extra_if.
    case vmacGarpIntvl = "vmac_garp_intvl"
    case smtpAlert = "smtp_alert"
}

/// The keywords of a vrrp_instance's authentication block.
enum AuthenticationKeyword: String, ImplementedKeyword {
    static let block = BlockKind.authentication
    case authType = "auth_type"
    case authPass = "auth_pass"
}

/// The vrrp_sync_group keywords Vigil reads.
enum SyncGroupKeyword: String, ImplementedKeyword {
    static let block = BlockKind.vrrpSyncGroup
    case group
    case notifyMaster = "notify_master"
    case notifyBackup = "notify_backup"
    case notifyFault = "notify_fault"
    case notifyStop = "notify_stop"
    case notify
    case trackScript = "track_script"
    case trackInterface = "track_interface"
    case trackFile = "track_file"
    case trackProcess = "track_process"
    case syncGroupTrackingWeight = "sync_group_tracking_weight"
    case globalTracking = "global_tracking"
    case smtpAlert = "smtp_alert"
}

/// The vrrp_script keywords Vigil reads.
enum VRRPScriptKeyword: String, ImplementedKeyword {
    static let block = BlockKind.vrrpScript
    case script
    case interval
    case timeout
    case weight
    case rise
    case fall
    case user
    case initFail = "init_fail"
}

/// The vrrp_track_process keywords Vigil reads.
enum TrackProcessKeyword: String, ImplementedKeyword {
    static let block = BlockKind.trackProcess
    case process
    case paramMatch = "param_match"
    case weight
    case quorum
    case quorumMax = "quorum_max"
    case delay
    case forkDelay = "fork_delay"
    case terminateDelay = "terminate_delay"
    case fullCommand = "full_command"
}

/// The track_file (vrrp_track_file) keywords Vigil reads.
enum TrackFileKeyword: String, ImplementedKeyword {
    static let block = BlockKind.trackFile
    case file
    case weight
    case initFile = "init_file"
}

extension ModelBuilder {
    func readInstance(_ s: Statement) -> VRRPInstance? {
        guard let name = blockName(s), let block = blockExpected(s) else { return nil }
        var v = VRRPInstance(name: name, origin: Origin(s.location))
        let path = "vrrp_instance \(name)"
        var unsupported: [Statement] = []
        each(block, VRRPInstanceKeyword.self, path: path, unsupported: &unsupported) { keyword, s in
            v.keywordOrigins[s.name] = Origin(s.location)
            switch keyword {
            case .state:
                guard let word = word(s, "MASTER or BACKUP") else { break }
                guard let state = VRRPInstance.InitialState(rawValue: word) else {
                    diagnostics.error("bad-value", at: s.arguments[0].location, "state '\(word)' is neither MASTER nor BACKUP")
                    break
                }
                v.initialState = state
            case .interface:
                v.interface = word(s, "an interface name")
                v.interfaceOrigin = v.interface == nil ? nil : Origin(s.location)
            case .virtualRouterID: v.virtualRouterID = integer(s, 1...255)
            case .priority: v.priority = integer(s, 1...255)
            case .advertInterval: v.advertInterval = seconds(s, 0.01...255)
            case .version: v.version = integer(s, 2...3)
            case .authentication:
                if let block = blockExpected(s) { v.authentication = readAuthentication(block, path: path) }
            case .virtualIPAddress:
                if let block = blockExpected(s) { v.virtualIPAddresses += block.compactMap(readVirtualIPAddress) }
            case .virtualIPAddressExcluded:
                if let block = blockExpected(s) { v.excludedVirtualIPAddresses += block.compactMap(readVirtualIPAddress) }
            case .nopreempt: v.preempt = !flag(s)
            case .preempt: v.preempt = flag(s)
            case .preemptDelay: v.preemptDelay = seconds(s, 0...1000)
            case .unicastSourceIP:
                if let args = arguments(s, 1...1, "an address") { v.unicastSourceIP = address(args[0], what: "unicast_src_ip") }
            case .unicastPeer:
                if let block = blockExpected(s) {
                    for peer in block.compactMap(readUnicastPeer) {
                        v.unicastPeers.append(peer.address)
                        if let ttl = peer.ttl { v.unicastPeerTTL[peer.address] = ttl }
                    }
                }
            case .virtualRoutes:
                if let block = blockExpected(s) { v.virtualRoutes += block.compactMap(readVirtualRoute) }
            case .virtualRules:
                if let block = blockExpected(s) { v.virtualRules += block.compactMap(readVirtualRule) }
            case .trackScript:
                if let block = blockExpected(s) { v.trackScripts += readTrackList(block) }
            case .trackInterface:
                if let block = blockExpected(s) { v.trackInterfaces += readTrackList(block) }
            case .trackFile:
                if let block = blockExpected(s) { v.trackFiles += readTrackList(block) }
            case .trackProcess:
                if let block = blockExpected(s) { v.trackProcesses += readTrackList(block) }
            case .notifyMaster: v.notify.master = command(s)
            case .notifyBackup: v.notify.backup = command(s)
            case .notifyFault: v.notify.fault = command(s)
            case .notifyStop: v.notify.stop = command(s)
            case .notify: v.notify.any = command(s)
            case .smtpAlert: v.smtpAlert = optionalBool(s)
            case .garpMasterDelay: v.garp.masterDelay = seconds(s, 0...1000)
            case .garpMasterRepeat: v.garp.masterRepeat = integer(s, 0...65535)
            case .garpMasterRefresh: v.garp.masterRefresh = seconds(s, 0...Double(UInt32.max))
            case .garpMasterRefreshRepeat: v.garp.masterRefreshRepeat = integer(s, 0...65535)
            case .useVMAC:
                arguments(s, 0...1, "an optional interface name")
                v.useVMAC = s.arguments.first?.text ?? ""
            case .vmacTransmitBase: v.vmacTransmitBase = flag(s)
            case .accept: v.accept = flag(s)
            case .noAccept: v.accept = !flag(s)
            case .dontTrackPrimary: v.dontTrackPrimary = flag(s)
            case .skipCheckAdvertAddresses: v.skipCheckAdvertAddresses = flag(s)
            case .checkUnicastSource: v.checkUnicastSource = flag(s)
            case .garpExtraIf, .vmacGarpIntvl:
                if let extra = garpExtraInterface(s, minimum: 0) { v.garpExtraInterface = extra }
            case .noVirtualIPAddress:
                arguments(s, 0...0, "no argument")
                v.noVirtualIPAddress = flag(s)
            case .v3ChecksumAsV2:
                if let on = optionalBool(s) { v.v3ChecksumAsV2 = on }
            case .oldUnicastChecksum:
                if s.block != nil { blockNotExpected(s) }
                arguments(s, 0...1, "nothing or 'never'")
                guard let word = s.arguments.first else { v.oldUnicastChecksum = .always; break }
                guard word.text == "never" else {
                    diagnostics.error("bad-value", at: word.location, "old_unicast_checksum '\(word.text)' is not 'never' (or nothing, for the old checksum always)")
                    break
                }
                v.oldUnicastChecksum = .never
            case .strictMode:
                if s.arguments.isEmpty {
                    v.strictMode = true
                } else if let word = word(s, "on or off") {
                    switch word.lowercased() {
                    case "on", "true", "yes": v.strictMode = true
                    case "off", "false", "no": v.strictMode = false
                    default: diagnostics.error("bad-value", at: s.arguments[0].location, "strict_mode '\(word)' is not on or off")
                    }
                }
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
        each(block, AuthenticationKeyword.self, path: "\(path) > authentication", unsupported: &unsupported) { keyword, s in
            switch keyword {
            case .authType: type = arguments(s, 1...1, "PASS or AH")?.first
            case .authPass: pass = arguments(s, 1...1, "a password")?.first
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
            case "home", "-nodad", "nodad", "noprefixroute", "autojoin", "mngtmpaddr", "no_track":
                vip.flags.append(option.text == "nodad" ? "-nodad" : option.text)
            case "preferred_lft":
                if let v = value(option) {
                    if v.text == "forever" || UInt32(v.text) != nil {
                        vip.flags += [option.text, v.text]
                    } else {
                        diagnostics.error("bad-value", at: v.location, "preferred_lft '\(v.text)' is not a number of seconds (0 to 4294967295) or forever")
                    }
                    if vip.prefix.address.family != .inet6 {
                        diagnostics.warning("ipv6-only", at: option.location, "preferred_lft applies to IPv6 addresses only (keepalived ignores it here too)")
                    }
                }
            case "track_group":
                // keepalived takes track_group only on static_ipaddress lines (a static
                // address that follows a track_group block); here it reports it and reads
                // the group's name as one more option.
                let group = value(option)
                diagnostics.warning("unknown-option", at: option.location,
                                    "'track_group\(group.map { " \($0.text)" } ?? "")' belongs to static_ipaddress lines; keepalived ignores it in a virtual address, and so does vigil")
            default:
                diagnostics.warning("unknown-option", at: option.location,
                                    "unknown virtual address option '\(option.text)' is ignored (expected brd, dev, scope, label, peer, home, -nodad, noprefixroute, autojoin, mngtmpaddr, no_track, preferred_lft)")
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
        each(block, SyncGroupKeyword.self, path: "vrrp_sync_group \(name)", unsupported: &unsupported) { keyword, s in
            switch keyword {
            case .group:
                guard let block = blockExpected(s) else { break }
                // Members may be written one per line or several on a line.
                for line in block {
                    for token in [line.keyword] + line.arguments {
                        g.members.append(TrackReference(name: token.text, origin: Origin(token.location)))
                    }
                }
            case .notifyMaster: g.notify.master = command(s)
            case .notifyBackup: g.notify.backup = command(s)
            case .notifyFault: g.notify.fault = command(s)
            case .notifyStop: g.notify.stop = command(s)
            case .notify: g.notify.any = command(s)
            case .smtpAlert: g.smtpAlert = optionalBool(s)
            case .trackScript:
                if let block = blockExpected(s) { g.trackScripts += readTrackList(block) }
            case .trackInterface:
                if let block = blockExpected(s) { g.trackInterfaces += readTrackList(block) }
            case .trackFile:
                if let block = blockExpected(s) { g.trackFiles += readTrackList(block) }
            case .trackProcess:
                if let block = blockExpected(s) { g.trackProcesses += readTrackList(block) }
            case .syncGroupTrackingWeight, .globalTracking:
                g.trackingWeight = flag(s)
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
        each(block, VRRPScriptKeyword.self, path: "vrrp_script \(name)", unsupported: &unsupported) { keyword, s in
            switch keyword {
            case .script: v.script = command(s)
            case .interval: v.interval = seconds(s, 0.000001...Double(UInt32.max))
            case .timeout: v.timeout = seconds(s, 0.000001...Double(UInt32.max))
            case .weight:
                guard let args = arguments(s, 1...2, "a number from -253 to 253 and optionally 'reverse'") else { break }
                v.weight = integer(args[0], -253...253, what: "weight")
                if args.count > 1 {
                    if args[1].text == "reverse" { v.weightReverse = true } else {
                        diagnostics.warning("extra-argument", at: args[1].location, "'\(args[1].text)' after the weight is ignored (expected 'reverse')")
                    }
                }
            case .rise: v.rise = integer(s, 1...Int(Int32.max))
            case .fall: v.fall = integer(s, 1...Int(Int32.max))
            case .user: v.user = scriptUser(s)
            case .initFail: v.initFail = flag(s)
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
        each(block, TrackProcessKeyword.self, path: "vrrp_track_process \(name)", unsupported: &unsupported) { keyword, s in
            switch keyword {
            case .process:
                guard arguments(s, 1...Int.max, "a process name and optionally its parameters") != nil else { break }
                p.process = s.values
            case .paramMatch:
                guard let word = word(s, "initial or partial") else { break }
                guard let m = TrackProcess.ParameterMatch(rawValue: word) else {
                    diagnostics.error("bad-value", at: s.arguments[0].location, "param_match '\(word)' is neither initial nor partial")
                    break
                }
                p.parameterMatch = m
            case .weight:
                guard let args = arguments(s, 1...2, "a number from -254 to 254 and optionally 'reverse'") else { break }
                p.weight = integer(args[0], -254...254, what: "weight")
                p.weightReverse = args.count > 1 && args[1].text == "reverse"
            case .quorum: p.quorum = integer(s, 0...65535)
            case .quorumMax: p.quorumMax = integer(s, 0...65535)
            case .delay:
                p.forkDelay = seconds(s, 0...3600)
                p.terminateDelay = p.forkDelay
            case .forkDelay: p.forkDelay = seconds(s, 0...3600)
            case .terminateDelay: p.terminateDelay = seconds(s, 0...3600)
            case .fullCommand: p.fullCommand = flag(s)
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
        each(block, TrackFileKeyword.self, path: "track_file \(name)", unsupported: &unsupported) { keyword, s in
            switch keyword {
            case .file: t.file = word(s, "a file path")
            case .weight:
                guard let args = arguments(s, 1...2, "a number from -254 to 254 and optionally 'reverse'") else { break }
                t.weight = integer(args[0], -254...254, what: "weight")
                t.weightReverse = args.count > 1 && args[1].text == "reverse"
            case .initFile: t.initFile = s.values
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
