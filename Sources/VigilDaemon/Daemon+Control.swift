import VRRP
import VigilConfig
import VigilLinux
import VigilTypes

/// The control socket's requests: status, reload, drain/undrain, priority, resign.
extension Daemon {
    /// One control-socket request: the reply's first line is `ok` or `error`, then text.
    func answer(_ line: String, at now: Instant) -> String {
        let command: ControlCommand
        do { command = try ControlCommand(parsing: line) } catch {
            return "error\n\(error)"
        }
        func instance(_ name: String) -> Int? { routers.firstIndex { $0.configuration.name == name } }
        func unknown(_ name: String) -> String {
            "error\nno vrrp_instance \(name); there are: \(routers.map(\.configuration.name).joined(separator: ", "))"
        }
        switch command {
        case .status:
            return "ok\n" + statusReport().json()
        case .reload:
            switch reload(because: "vigil reload") {
            case let .success(summary): return "ok\n\(summary)"
            case let .failure(refusal): return "error\n\(refusal)"
            }
        case let .drain(vs, rs), let .undrain(vs, rs):
            var on = false
            if case .drain = command { on = true }
            switch lvs.drain(virtualServer: vs, realServer: rs, on) {
            case let .success(text): return "ok\n\(text)"
            case let .failure(error): return "error\n\(error)"
            }
        case let .priority(name, value):
            guard let i = instance(name) else { return unknown(name) }
            guard routers[i].configuration.priority != 255 else {
                return "error\n\(name) is the address owner (priority 255); its priority does not move"
            }
            logger.notice("(\(name)) priority \(value.map { "set to \($0)" } ?? "reset to the configured one") by the operator")
            perform(engine.overridePriority(value, instance: i, at: now))
            return "ok\n\(name): effective priority \(routers[i].priority), state \(routers[i].state)"
        case let .resign(name):
            guard let i = instance(name) else { return unknown(name) }
            guard routers[i].configuration.priority != 255 else {
                return "error\n\(name) is the address owner (priority 255): it cannot resign (stop it instead)"
            }
            let wasMaster = routers[i].state == .master
            logger.notice("(\(name)) resigning at the operator's request: priority 1\(wasMaster ? ", handing over now" : "")")
            perform(engine.resign(i, at: now))
            return "ok\n\(name): \(wasMaster ? "handing over (priority-0 advert sent; the VIPs stay until the new master is heard); " : "")now \(routers[i].state) at priority 1 until `vigil priority \(name) reset`"
        }
    }

    func statusReport() -> StatusReport {
        var report = StatusReport(pid: ProcessTable.ownID, configuration: source?.file ?? "-",
                                  uptime: Double(edge.clock() - startedAt) / 1_000_000, lastReload: lastReload)
        report.instances = routers.indices.map { i in
            let r = routers[i]
            let master: String? = r.state == .master ? "this box" : r.masterAddress.map { "\($0)" }
            var instance = StatusReport.Instance(
                name: r.configuration.name, interface: plans[i].interface.name, virtualRouterID: Int(r.configuration.virtualRouterID),
                state: r.state.description, priority: Int(r.priority), configuredPriority: Int(r.configuration.priority),
                priorityOverride: r.priorityOverride.map(Int.init), master: master,
                masterPriority: r.state == .master ? Int(r.priority) : r.masterPriority.map(Int.init),
                virtualAddresses: plans[i].addresses.map { "\($0.address)" },
                advertsReceived: self[counters: i].stats.advertReceived, advertsSent: self[counters: i].stats.advertSent,
                transitions: self[counters: i].transitions, becameMaster: self[counters: i].stats.becameMaster,
                rejections: self[counters: i].rejections, faults: r.faults.map(\.description))
            instance.restored = self[counters: i].restored.isEmpty ? nil : self[counters: i].restored
            instance.foreignAddresses = self[counters: i].foreignAddresses == 0 ? nil : self[counters: i].foreignAddresses
            return instance
        }
        report.syncGroups = engine.syncGroups.map { g in
            StatusReport.SyncGroup(name: g.name, state: g.state.description, members: g.members.map { routers[$0].configuration.name })
        }
        report.interfaceRejections = interfaceRejections
        report.children = StatusReport.Children(running: children.running, started: children.started, peak: children.peak,
                                                killedAtDeadline: children.killedAtDeadline,
                                                notifyChainsSkipped: scripts.chainsSkipped)
        report.virtualServers = lvs.status(counters: true)
        if !announcements.routes.isEmpty {
            let now = edge.clock()
            report.announcements = announcements.routes.indices.map { r in
                let status = announcements.status[r]
                return StatusReport.Announcement(address: "\(announcements.routes[r].address)", announced: status?.announced ?? false,
                                                 reason: status?.reason ?? (announcer == nil ? "the announce device could not be opened" : "not yet decided"),
                                                 forSeconds: status.map { Double(now - $0.since) / 1_000_000 } ?? 0)
            }
        }
        return report
    }

}
