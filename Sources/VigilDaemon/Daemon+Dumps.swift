import VRRP
import VigilLinux
import VigilPlan
import VigilTypes

/// keepalived's dump signals: SIGUSR1, SIGUSR2, SIGRTMAX-1 and SIGRTMIN+2 write
/// `keepalived.data`, `.stats` and `.json` where keepalived writes them, at once, from
/// the loop; the daemon runs on.
extension Daemon {
    /// Writes what `signal` asks for (nothing for the others). Returns the files written.
    @discardableResult
    func dump(for signal: DaemonSignal) -> [String] {
        let snapshot: KeepalivedDump
        switch signal {
        case .data, .stats, .statsClear, .json: snapshot = keepalivedDump()
        case .stop, .reload, .childEnded: return []
        }
        let files: [(name: String, text: String?)] = switch signal {
        case .data: [("keepalived.data", snapshot.data(localTime: WallClock.localDescription))]
        case .json: [("keepalived.json", snapshot.json())]
        default: [("keepalived.stats", snapshot.stats())]
        }
        var written: [String] = []
        for (name, text) in files {
            guard let text else { continue }
            let path = edge.dumpDirectory + "/" + name
            do {
                try edge.writeDump(text, path)
                written.append(path)
                logger.info("signal: wrote \(path)")
            } catch {
                logger.error("signal: writing \(path): \(error)")
            }
        }
        if signal == .statsClear {
            for name in counters.keys { counters[name]?.stats = KeepalivedDump.Stats() }
            logger.info("signal: VRRP statistics cleared")
        }
        return written
    }

    /// The box as keepalived's dumps describe it, now.
    func keepalivedDump() -> KeepalivedDump {
        let now = edge.clock(), wallNow = edge.wallClock()
        let global = configuration?.globalDefs
        let commands = Dictionary(plan.scripts.map { ($0.name, $0.command) }, uniquingKeysWith: { a, _ in a })
        let instances = routers.indices.map { i -> KeepalivedDump.Instance in
            let r = routers[i], p = plans[i], c = r.configuration
            let group = engine.syncGroups.first { $0.members.contains(i) }?.name
            // A VIP's interface by index: the instance's own, its macvlan, or another named in its line.
            var names: [Int32: String] = [p.interface.index: p.interface.name]
            for (_, link) in p.announced { names[link.index] = link.name }
            let advertised = Set(c.virtualAddresses)
            func line(_ a: InterfaceAddress) -> String {
                let full = a.address.isIPv6 ? 128 : 32
                let scope: String = switch a.scope ?? 0 {
                case 200: "site"
                case 253: "link"
                case 254: "host"
                case 255: "nowhere"
                case 0: "global"
                default: "\(a.scope ?? 0)"
                }
                return "\(a.address)\(a.prefixLength == full ? "" : "/\(a.prefixLength)") dev \(names[a.interfaceIndex] ?? p.interface.name) scope \(scope)"
            }
            let tracked = { (kind: PriorityTracking.Object.Kind) in
                c.tracked.filter { $0.kind == kind }.map { KeepalivedDump.Tracked(name: $0.name, weight: $0.weight, reverse: $0.reverse) }
            }
            let notify: [(String, String?)] = [("Backup", p.notify.backup), ("Master", p.notify.master), ("Fault", p.notify.fault),
                                               ("Stop", p.notify.stop), ("Generic", p.notify.any)]
            let password: String? = if case let .simple(bytes) = c.authentication {
                String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
            } else { nil }
            return KeepalivedDump.Instance(
                name: c.name, version: Int(c.version.rawValue), syncGroup: group, ipv6: p.isIPv6, state: r.state,
                masterRouter: r.masterAddress.map { "\($0)" }, masterPriority: r.masterPriority.map(Int.init),
                masterAdvertInterval: r.masterAdvertisementInterval, unicast: c.unicast, faults: r.faults.count, scriptsInit: 0,
                lastTransition: self[counters: i].lastTransition,
                readTimeout: r.nextDeadline.map { wallNow + max(0, $0 - now) }, masterDownTimer: r.timers.masterDownInterval,
                interface: p.interface.name, vmac: p.vmac.map { ($0.name, $0.transmitBase) },
                skipCheckAdvertAddresses: c.skipCheckAdvertAddresses, strict: global?.vrrpStrict ?? false,
                sourceAddress: "\(c.primaryAddress)", multicastGroup: c.unicast ? nil : "\(c.primaryAddress.vrrpMulticastGroup)",
                interfaceIndex: p.interface.index, garp: c.gratuitousARP, virtualRouterID: Int(c.virtualRouterID),
                basePriority: Int(c.priority), effectivePriority: Int(r.priority), totalPriority: r.tracking.total,
                advertInterval: c.advertisementInterval, accept: !p.dropsTrafficWhileMaster, preempt: c.preempt,
                preemptDelay: c.preemptDelay, password: password,
                virtualAddresses: p.addresses.filter { advertised.contains($0.address) }.map(line),
                excludedAddresses: p.addresses.filter { !advertised.contains($0.address) }.map(line),
                addressesSet: r.state == .master || r.isHandingOver, unicastPeers: p.unicastPeers.map { "\($0)" },
                checkUnicastSource: c.unicastSources != nil,
                socket: wiring.socketOfInstance.indices.contains(i) ? wiring.socketOfInstance[i].map { wiring.sockets[$0].fileDescriptor } : nil,
                // The instance's own link is tracked implicitly; keepalived lists only the others.
                trackedInterfaces: tracked(.interface).filter { $0.name != p.interface.name }, trackedScripts: tracked(.script),
                trackedScriptCommands: tracked(.script).compactMap { commands[$0.name] },
                notify: notify.compactMap { label, command in
                    command.map { (label, $0, UInt32(plan.scriptUser.uid), UInt32(plan.scriptUser.gid)) }
                },
                stats: self[counters: i].stats, smtpAlert: plan.alerts.instances.contains(c.name))
        }
        let configured = Dictionary((configuration?.vrrpScripts ?? []).map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let scripts = trackScripts.states.map { s -> KeepalivedDump.Script in
            let model = configured[s.plan.name]
            let trackers = routers.compactMap { r -> KeepalivedDump.Tracked? in
                guard let o = r.configuration.tracked.first(where: { $0.kind == .script && $0.name == s.plan.name }) else { return nil }
                return KeepalivedDump.Tracked(name: r.configuration.name, weight: o.weight, reverse: o.reverse)
            }
            return KeepalivedDump.Script(
                name: s.plan.name, command: s.plan.command, interval: s.plan.interval, timeout: s.plan.timeout,
                weight: model?.weight ?? 0, reverse: model?.weightReverse ?? false, rise: s.plan.rise, fall: s.plan.fall,
                result: s.health.counter, good: s.health.reading == .up, uid: UInt32(s.plan.user.uid), gid: UInt32(s.plan.user.gid),
                trackingInstances: trackers, running: s.running)
        }
        var garp = GratuitousARPPolicy()
        if let g = global?.garp {
            if let d = g.masterDelay { garp.masterDelay = d }
            if let r = g.masterRepeat { garp.masterRepeat = r }
            if let d = g.masterRefresh { garp.masterRefresh = d }
            if let r = g.masterRefreshRepeat { garp.masterRefreshRepeat = r }
        }
        var dump = KeepalivedDump(routerID: global?.routerID ?? hostName() ?? "", dynamicInterfaces: global?.dynamicInterfaces ?? false,
                                  defaultVersion: global?.vrrpVersion ?? 2, strict: global?.vrrpStrict ?? false,
                                  scriptSecurity: global?.enableScriptSecurity ?? false, garp: garp,
                                  instances: instances, scripts: scripts)
        // keepalived's defaults apply only with a server: the HELO name and the sender from
        // the host's name, the timeout 30 s.
        let a = plan.alerts
        dump.smtp = KeepalivedDump.SMTP(alert: global?.smtpAlert, alertVRRP: global?.smtpAlertVRRP, alertChecker: global?.smtpAlertChecker)
        if let server = a.server {
            let local = hostName()
            dump.smtp.server = ("\(server.address)", server.port)
            dump.smtp.heloName = a.heloName ?? local
            dump.smtp.connectTimeout = Int(a.connectTimeout / 1_000_000)
            dump.smtp.from = a.from ?? local.map { "\(userName() ?? "root")@\($0)" }
        } else {
            dump.smtp.heloName = a.heloName
            dump.smtp.connectTimeout = global?.smtpConnectTimeout
            dump.smtp.from = a.from
        }
        dump.smtp.to = a.recipients
        return dump
    }
}
