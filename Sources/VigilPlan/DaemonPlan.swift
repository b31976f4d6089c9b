#if canImport(Glibc)
import Glibc
#endif
import LVS
import VRRP
import VigilConfig
import VigilLinux
import VigilTypes

/// Everything `vigil run` runs, made concrete for this host: the instances, the scripts
/// and files they track, their sync groups and the notify FIFOs. Made from the
/// configuration and the host's answers alone (`PlanningHost`): planning itself calls no
/// system call and reads no file.
public struct DaemonPlan: Sendable {
    public var instances: [InstancePlan]
    public var scripts: [ScriptPlan]
    public var trackFiles: [TrackFilePlan]
    public var trackProcesses: [ProcessPlan]
    public var syncGroups: [SyncGroupPlan]
    /// `notify_fifo` and `vrrp_notify_fifo` (each with its optional script).
    public var fifos: [FIFOPlan]
    /// Who notify scripts run as (`script_user`, else root).
    public var scriptUser: ScriptCredentials
    /// Scripts refused by `enable_script_security`, by command, with why: they are never run.
    public var refusedCommands: [String: String]
    /// The IPVS table of the virtual servers.
    public var lvs = LVSPlan()
    /// `static_routes` / `static_rules`: in from start to exit, whatever the states.
    public var staticRoutes = RoutePlan()
    /// `announce`: host routes for FRR while services are up here.
    public var announce = AnnouncePlan()
    /// `metrics_listen ADDR:PORT`: where Prometheus scrapes (nil: no metrics endpoint).
    public var metricsListen: String?
    /// `vrrp_startup_delay`: the VRRP instances start this long after the daemon (0: at once).
    public var vrrpStartupDelay: Microseconds = 0
    /// What was left of `vrrp_delay_after_boot` since the machine booted when planned.
    public var vrrpBootDelay: Microseconds = 0
    /// The delay the instances start after: the longer of the two, as keepalived.
    public var startupDelay: Microseconds { max(vrrpStartupDelay, vrrpBootDelay) }

    /// Where a delayed start `start` (made with `old`'s delay) goes in a live reload to
    /// `new` at `now`: vrrp_startup_delay counts from the daemon's start (the start moves
    /// by its change, as keepalived moves it), vrrp_delay_after_boot from the boot, which
    /// `new` counts from now. (keepalived moves the start by the change of the longer delay,
    /// which starts a boot delay early by the time since the daemon started.)
    public static func delayedStart(_ start: Instant, from old: DaemonPlan, to new: DaemonPlan, at now: Instant) -> Instant {
        let daemonStart = start + (-old.startupDelay)
        return max(daemonStart + new.vrrpStartupDelay, now + new.vrrpBootDelay)
    }
    /// keepalived's SMTP alerts: the server, the addresses, who sends them.
    public var alerts = SMTPAlertPlan()
    /// Things to log once at start (keepalived reports the same at load).
    public var notes: [String]
    /// The MISC_CHECK users that exist on the host, one per checker that names one (one
    /// that does not exist is the checker's own error, logged when it starts).
    public var miscCheckUsers: [ScriptCredentials] = []
    /// The user the daemon runs as when planned: scripts as anyone else need the
    /// capabilities to switch user.
    public var daemonUID: uid_t = 0

    /// A `vrrp_script` in use by some instance or group.
    public struct ScriptPlan: Sendable, Equatable {
        public var name: String
        public var command: String
        public var interval: Int64
        public var timeout: Int64
        public var rise: Int
        public var fall: Int
        public var initFail: Bool
        public var user: ScriptCredentials
    }

    /// A notify FIFO: its path, the script that reads it, and which lines it gets (the VRRP
    /// instances' and groups', keepalived's VS and RS lines).
    public struct FIFOPlan: Sendable, Equatable {
        public var path: String
        public var script: String?
        public var vrrp: Bool
        public var lvs: Bool
    }

    public struct TrackFilePlan: Sendable, Equatable {
        public var name: String
        public var path: String
        /// `init_file [VALUE] [overwrite]`
        public var initValue: Int64?
        public var overwrite: Bool
    }

    /// A `vrrp_track_process` in use.
    public struct ProcessPlan: Sendable, Equatable {
        public var name: String
        public var pattern: ProcessPattern
        public var quorum: Int
        public var quorumMax: Int
        /// Wait this long after the quorum is gained (a fork) or lost (a restart) before
        /// believing it.
        public var forkDelay: Int64
        public var terminateDelay: Int64
    }

    public struct SyncGroupPlan: Sendable, Equatable {
        public var name: String
        /// Indices into `instances`.
        public var members: [Int]
        public var notify: NotifyScripts
    }

    /// Plans a valid configuration against what `host` says; asks nothing else.
    public static func make(_ config: Configuration, host: some PlanningHost) throws(InstancePlan.Problem) -> DaemonPlan {
        let interfaces = host.interfaces
        let g = config.globalDefs
        var notes: [String] = []
        var scriptUser = ScriptCredentials.root
        if let u = g.scriptUser {
            do { scriptUser = try host.credentials(user: u.user, group: u.group) } catch {
                throw InstancePlan.Problem(location: config.vrrpInstances.first?.origin.location ?? SourceLocation(file: "", line: 0, column: 0),
                                           message: "script_user: \(error)")
            }
        }
        var instances = try InstancePlan.make(config, interfaces: interfaces)
        let groupOf: [String: SyncGroup] = Dictionary(config.syncGroups.flatMap { g in g.members.map { ($0.name, g) } },
                                                      uniquingKeysWith: { a, _ in a })
        let scriptByName = Dictionary(config.vrrpScripts.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let fileByName = Dictionary(config.trackFiles.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let processByName = Dictionary(config.trackProcesses.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })

        // Which scripts may run at all.
        var refused: [String: String] = [:]
        func secure(_ command: String?, _ what: String, as user: ScriptCredentials) {
            guard g.enableScriptSecurity, let command, refused[command] == nil else { return }
            if let problem = host.scriptProblem(command, runningAs: user) {
                refused[command] = problem.description
                notes.append("error: \(what) refused by enable_script_security: \(problem); it will not run")
            }
        }

        var usedScripts: [String: ScriptPlan] = [:]
        for (i, v) in config.vrrpInstances.enumerated() {
            let group = groupOf[v.name]
            let groupWeights = group?.trackingWeight ?? false
            let owner = v.basePriority == 255
            // keepalived: in a sync group (without sync_group_tracking_weight) weights would
            // split the group, and an address owner's priority never moves; weighted
            // tracking is dropped there (interfaces and default-weight files fall back to
            // weight 0, i.e. Fault).
            let constrained = (group != nil && !groupWeights) || owner
            let why = owner ? "the address owner (priority 255)" : "a member of sync group \(group?.name ?? "")"
            var tracked: [PriorityTracking.Object] = []
            func add(_ object: PriorityTracking.Object, defaultWeight: Bool = false) {
                var o = object
                if constrained && o.weight != 0 {
                    if o.kind == .interface && !owner || (o.kind == .file || o.kind == .process) && defaultWeight {
                        notes.append("warning: (\(v.name)) \(o.kind.rawValue) \(o.name): weight ignored, \(v.name) is \(why); weight 0 (Fault) used")
                        o.weight = 0
                    } else {
                        notes.append("warning: (\(v.name)) \(o.kind.rawValue) \(o.name) with weight \(o.weight) ignored: \(v.name) is \(why)")
                        return
                    }
                }
                if !tracked.contains(where: { $0.kind == o.kind && $0.name == o.name }) { tracked.append(o) }
            }
            // An instance waiting for its interface tracks it whatever dont_track_primary
            // says: that is what holds it in FAULT.
            if !v.dontTrackPrimary || instances[i].awaitsInterface, let name = v.interface { add(.init(.interface, name)) }
            // keepalived: a virtual address on another interface (`dev`) makes the instance
            // track that interface too (down: FAULT), unless the address says `no_track`.
            for vip in v.virtualIPAddresses + v.excludedVirtualIPAddresses
            where !vip.flags.contains("no_track") && vip.device != nil && vip.device != v.interface {
                add(.init(.interface, vip.device!))
            }
            let scriptRefs = v.trackScripts + (group?.trackScripts.map { var r = $0; r.weight = 0; return r } ?? [])
            let interfaceRefs = v.trackInterfaces + (group?.trackInterfaces.map { var r = $0; r.weight = 0; return r } ?? [])
            let fileRefs = v.trackFiles + (group?.trackFiles.map { var r = $0; r.weight = 0; return r } ?? [])
            let processRefs = v.trackProcesses + (group?.trackProcesses.map { var r = $0; r.weight = 0; return r } ?? [])
            for ref in processRefs {
                guard let p = processByName[ref.name], !p.process.isEmpty else { continue }
                add(.init(.process, p.name, weight: clampWeight(ref.weight ?? p.weight ?? 1),
                          reverse: ref.weight != nil ? ref.reverse : p.weightReverse),
                    defaultWeight: ref.weight == nil && p.weight == nil)
            }
            for ref in interfaceRefs {
                add(.init(.interface, ref.name, weight: clampWeight(ref.weight ?? 0), reverse: ref.reverse))
            }
            for ref in scriptRefs {
                guard let s = scriptByName[ref.name], let command = s.script else { continue }
                let user: ScriptCredentials
                if let u = s.user {
                    do { user = try host.credentials(user: u.user, group: u.group) } catch {
                        throw InstancePlan.Problem(location: s.origin.location, message: "vrrp_script \(s.name): \(error)")
                    }
                } else {
                    user = scriptUser
                }
                secure(command, "vrrp_script \(s.name)", as: user)
                if refused[command] != nil { continue }
                add(.init(.script, s.name, weight: clampWeight(ref.weight ?? s.weight ?? 0),
                          reverse: ref.weight != nil ? ref.reverse : s.weightReverse))
                let interval = s.interval ?? 1_000_000
                usedScripts[s.name] = ScriptPlan(name: s.name, command: command, interval: interval,
                                                 timeout: s.timeout ?? interval, rise: s.rise ?? 1, fall: s.fall ?? 1,
                                                 initFail: s.initFail, user: user)
            }
            for ref in fileRefs {
                guard let f = fileByName[ref.name], f.file != nil else { continue }
                add(.init(.file, f.name, weight: clampWeight(ref.weight ?? f.weight ?? 1),
                          reverse: ref.weight != nil ? ref.reverse : f.weightReverse),
                    defaultWeight: ref.weight == nil && f.weight == nil)
            }
            instances[i].router.tracked = tracked
            instances[i].trackedInterfaces = Dictionary(
                tracked.filter { $0.kind == .interface }.compactMap { o in interfaces.interfaces[o.name].map { ($0.index, o.name) } },
                uniquingKeysWith: { a, _ in a })
        }
        for v in config.vrrpInstances {
            for (script, what) in [(v.notify.master, "notify_master"), (v.notify.backup, "notify_backup"),
                                   (v.notify.fault, "notify_fault"), (v.notify.stop, "notify_stop"), (v.notify.any, "notify")] {
                secure(script, "(\(v.name)) \(what)", as: scriptUser)
            }
        }
        var groups: [SyncGroupPlan] = []
        for sg in config.syncGroups {
            let members = sg.members.compactMap { m in config.vrrpInstances.firstIndex { $0.name == m.name } }
            for (script, what) in [(sg.notify.master, "notify_master"), (sg.notify.backup, "notify_backup"),
                                   (sg.notify.fault, "notify_fault"), (sg.notify.stop, "notify_stop"), (sg.notify.any, "notify")] {
                secure(script, "vrrp_sync_group \(sg.name) \(what)", as: scriptUser)
            }
            groups.append(SyncGroupPlan(name: sg.name, members: members, notify: sg.notify))
        }
        let usedProcesses = Set(instances.flatMap { $0.router.tracked.filter { $0.kind == .process }.map(\.name) })
        let processes = config.trackProcesses.filter { usedProcesses.contains($0.name) }.map { p in
            let match: ProcessPattern.ParameterMatch? = p.parameterMatch.map {
                switch $0 {
                case .exact: return .exact
                case .partial: return .partial
                case .initial: return .initial
                }
            }
            return ProcessPlan(name: p.name,
                               pattern: ProcessPattern(command: p.process[0], parameters: Array(p.process.dropFirst()),
                                                       parameterMatch: match, fullCommand: p.fullCommand),
                               quorum: p.quorum ?? 1, quorumMax: p.quorumMax ?? Int.max,
                               forkDelay: p.forkDelay ?? 0, terminateDelay: p.terminateDelay ?? 0)
        }
        // Read for the VRRP instances that track them and for the FILE_CHECKs of real servers.
        let fileChecks = config.virtualServers.flatMap(\.realServers).flatMap(\.checkers).compactMap { c -> String? in
            if case let .file(f) = c { return f.trackFile } else { return nil }
        }
        let usedFiles = Set(instances.flatMap { $0.router.tracked.filter { $0.kind == .file }.map(\.name) } + fileChecks)
        let files = config.trackFiles.filter { usedFiles.contains($0.name) }.map { f in
            let words = f.initFile ?? []
            let value = words.first.flatMap { Int64($0) }
            return TrackFilePlan(name: f.name, path: f.file ?? "", initValue: f.initFile == nil ? nil : (value ?? 0),
                                 overwrite: words.contains("overwrite"))
        }
        // keepalived: notify_fifo gets the VRRP and the LVS lines, vrrp_notify_fifo and
        // lvs_notify_fifo their own kind (one FIFO named twice is opened once).
        var fifos: [FIFOPlan] = []
        if let path = g.notifyFIFO { fifos.append(FIFOPlan(path: path, script: g.notifyFIFOScript, vrrp: true, lvs: true)) }
        if let path = g.vrrpNotifyFIFO, path != g.notifyFIFO {
            fifos.append(FIFOPlan(path: path, script: g.vrrpNotifyFIFOScript, vrrp: true, lvs: false))
        }
        if let path = g.lvsNotifyFIFO, path != g.notifyFIFO {
            if let same = fifos.firstIndex(where: { $0.path == path }) { fifos[same].lvs = true } else {
                fifos.append(FIFOPlan(path: path, script: g.lvsNotifyFIFOScript, vrrp: false, lvs: true))
            }
        }
        for f in fifos { secure(f.script, "notify_fifo_script", as: scriptUser) }
        if !config.vrrpScripts.isEmpty || instances.contains(where: { $0.notify != NotifyScripts() }), !g.enableScriptSecurity {
            notes.append("warning: scripts run as \(scriptUser.user) without enable_script_security: their files are not checked for unsafe permissions")
        }
        // The LVS side's scripts under the same rule: MISC_CHECK programs (as their user
        // when it exists; one that does not is refused by the checker itself), and the
        // real servers' and quorum's notify scripts.
        let lvs = LVSPlan.make(config)
        var miscUsers: [ScriptCredentials] = []
        for spec in lvs.checks {
            guard case let .misc(command, _, _, user, group) = spec.kind else { continue }
            let own = user.flatMap { try? host.credentials(user: $0, group: group) }
            if let own { miscUsers.append(own) }
            secure(command, "MISC_CHECK misc_path", as: own ?? scriptUser)
        }
        for pool in lvs.pools {
            secure(pool.quorumUp, "virtual_server \(pool.name) quorum_up", as: scriptUser)
            secure(pool.quorumDown, "virtual_server \(pool.name) quorum_down", as: scriptUser)
            for member in pool.members {
                secure(member.notifyUp, "\(member.name) notify_up", as: scriptUser)
                secure(member.notifyDown, "\(member.name) notify_down", as: scriptUser)
            }
        }
        let orderedScripts = config.vrrpScripts.compactMap { usedScripts[$0.name] }
        var result = DaemonPlan(instances: instances, scripts: orderedScripts, trackFiles: files, trackProcesses: processes,
                          syncGroups: groups,
                          fifos: fifos, scriptUser: scriptUser, refusedCommands: refused, notes: notes)
        result.lvs = lvs
        result.miscCheckUsers = miscUsers
        result.daemonUID = host.daemonUID
        result.metricsListen = g.metricsListen
        result.vrrpStartupDelay = g.vrrpStartupDelay ?? 0
        if let afterBoot = g.vrrpDelayAfterBoot, afterBoot > 0 {
            // keepalived: what is left of it since boot, if more than vrrp_startup_delay.
            if let uptime = host.uptime {
                result.vrrpBootDelay = max(0, afterBoot - uptime)
            } else {
                result.notes.append("warning: the time since boot is unknown; vrrp_delay_after_boot is ignored")
            }
        }
        result.alerts = SMTPAlertPlan.make(config)
        result.announce = AnnouncePlan.make(config, instances: instances.map(\.router.name), notes: &result.notes)
        result.staticRoutes = try RoutePlan.make(routes: config.staticRoutes, rules: config.staticRules, block: "static",
                                                 interfaces: interfaces)
        return result
    }

    /// keepalived's range for tracking weights: −253…253.
    static func clampWeight(_ w: Int) -> Int { min(253, max(-253, w)) }
}

extension DaemonPlan {
    /// The capabilities this configuration needs, each with why. Every daemon needs
    /// CAP_NET_RAW (protocol-112 sockets, gratuitous ARP, unsolicited NA) and CAP_NET_ADMIN
    /// (addresses, routes, macvlans, IPVS, nftables). Scripts that run as another user —
    /// `script_user`, a vrrp_script's `user`, a MISC_CHECK's `user` — need CAP_SETUID and
    /// CAP_SETGID to switch to that user and CAP_KILL to stop it at its timeout.
    /// `miscUsers` are the MISC_CHECK users as looked up on the host; "another user" is one
    /// whose uid is not `daemonUID`.
    public func requiredCapabilities(miscUsers: [ScriptCredentials]) -> [(Capability, String)] {
        var needed: [(Capability, String)] = [(.netRaw, "VRRP's raw sockets and gratuitous ARP"),
                                              (.netAdmin, "virtual addresses, routes, IPVS and nftables")]
        let users = ([scriptUser] + scripts.map(\.user) + miscUsers).filter { $0.uid != daemonUID }
        if let other = users.first {
            let why = "scripts run as \(other.user)"
            needed += [(.setuid, why), (.setgid, why), (.kill, why)]
        }
        return needed
    }

    /// Says which required capabilities `effective` lacks, or nil when none is missing
    /// (or the set cannot be read). Checked before the daemon touches anything, so a
    /// process started without them stops at once naming them, not at its first socket.
    /// `miscUsers` defaults to the plan's own `miscCheckUsers`.
    public func missingCapabilities(effective: UInt64?, miscUsers: [ScriptCredentials]? = nil) -> String? {
        guard let effective else { return nil }
        let required = requiredCapabilities(miscUsers: miscUsers ?? miscCheckUsers)
        let missing = required.filter { effective & $0.0.bit == 0 }
        guard !missing.isEmpty else { return nil }
        var reasons: [String] = []
        for (_, why) in missing where !reasons.contains(why) { reasons.append(why) }
        var text = "missing capabilities \(missing.map(\.0.name).joined(separator: " ")) (needed for \(reasons.joined(separator: "; ")))"
        if missing.contains(where: { [.setuid, .setgid, .kill].contains($0.0) }) {
            text += "; under systemd install systemd/vigil-script-user.conf as a drop-in (README, \"systemd\")"
        }
        if missing.contains(where: { [.netRaw, .netAdmin].contains($0.0) }) {
            text += "; run as root, or grant CAP_NET_ADMIN CAP_NET_RAW (the unit's CapabilityBoundingSet)"
        }
        return text
    }
}
