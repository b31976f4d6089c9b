import VRRP
import VigilConfig
import VigilLinux
import VigilPlan
import VigilTypes

/// Live reload (SIGHUP, `vigil reload`, systemd's ExecReload).
extension Daemon {
    /// Re-reads the configuration. Invalid: the errors are logged with their locations and
    /// the running configuration stays. Valid: unchanged instances run on untouched (no
    /// VIP flap, no gap in adverts, no GARP), changed ones carry their state over, removed
    /// ones hand over and release their VIPs, new ones start, and IPVS gets the difference.
    @discardableResult
    func reload(because trigger: String) -> Result<String, PlanSource.Refusal> {
        notifier.reloading(status: "reloading (\(trigger))")
        // Parsing and planning ran the start-up code again: unmapped again once done.
        defer { StartupPages.release() }
        guard let source else {
            let refusal = PlanSource.Refusal(lines: ["this daemon was started without a configuration file to reload"], errorCount: 1)
            notifier.ready(status: statusLine())
            return .failure(refusal)
        }
        logger.info("reload (\(trigger)): reading \(source.file)")
        switch source.load() {
        case let .failure(refusal):
            for line in refusal.lines {
                if line.contains(": warning:") { logger.warning("reload: \(line)") } else { logger.error("reload refused: \(line)") }
            }
            metrics?.reload(ok: false)
            lastReload = "refused: \(refusal.errorCount) error(s) in \(source.file); running the previous configuration"
            logger.error("reload refused: \(refusal.errorCount) error(s); the running configuration stays")
            notifier.ready(status: statusLine())
            return .failure(refusal)
        case let .success(loaded):
            for line in loaded.warnings { logger.warning("\(line)") }
            do {
                // Held to the start's rule: scripts this process could not run as their
                // user (a new script_user without CAP_SETUID …) refuse the reload.
                if let missing = loaded.plan.missingCapabilities() { throw ReloadRefusal(description: missing) }
                let summary = try apply(loaded.plan)
                configuration = loaded.configuration
                lastReload = "ok: \(summary)"
                metrics?.reload(ok: true)
                logger.notice("reloaded \(source.file): \(summary)")
                notifier.ready(status: statusLine())
                return .success(summary)
            } catch {
                metrics?.reload(ok: false)
                lastReload = "refused: \(error); running the previous configuration"
                logger.error("reload refused: \(error); the running configuration stays")
                notifier.ready(status: statusLine())
                return .failure(PlanSource.Refusal(lines: ["\(error)"], errorCount: 1))
            }
        }
    }

    /// An interface an instance runs on appeared, went, or came back with another index
    /// (a VLAN or bond the network service creates after Vigil's start; `ip link del` and
    /// add): the running configuration is planned again against the interfaces as they
    /// are and applied as a reload applies a file — the instances on other interfaces run
    /// on untouched, the moved one is rebuilt (sockets, macvlan, VIPs) from its state.
    ///
    /// An interface that appears before its address (a VLAN created, then addressed) cannot
    /// be planned yet; its index is remembered and the next address or link event on it
    /// tries again.
    func interfacesMoved(_ changes: [LinkMonitor.Change], addresses addressChanges: [LinkMonitor.AddressChange]) {
        var planned: [String: Int32] = [:]
        for p in plans {
            planned[p.interface.name] = p.interface.index
            for (index, name) in p.trackedInterfaces { planned[name] = index }
        }
        var moved = changes.compactMap { change -> String? in
            guard let name = change.name, let index = planned[name] else { return nil }
            if change.removed { return index == change.interfaceIndex ? "\(name) removed" : nil }
            if index != change.interfaceIndex {
                if !replanPending.contains(change.interfaceIndex) { return "\(name) appeared (index \(change.interfaceIndex))" }
                return "\(name) changed"
            }
            return nil
        }
        if !replanPending.isEmpty, addressChanges.contains(where: { replanPending.contains($0.interfaceIndex) }) {
            moved.append("addresses changed on a waiting interface")
        }
        guard !moved.isEmpty, let source, let configuration else { return }
        let why = "interface " + moved.joined(separator: ", ")
        switch source.replan(configuration) {
        case let .failure(refusal):
            replanPending.formUnion(changes.filter { !$0.removed && $0.name.map { planned[$0] != nil } == true }.map(\.interfaceIndex))
            logger.warning("\(why): \(refusal.lines.joined(separator: "; ")); its instances stay in FAULT until this changes")
        case let .success(newPlan):
            replanPending.removeAll()
            do {
                let summary = try apply(newPlan)
                logger.notice("\(why): planned again: \(summary)")
                statusChanged = true
            } catch {
                logger.error("\(why): \(error); its instances stay as they are")
            }
        }
    }

    func apply(_ newPlan: DaemonPlan) throws -> String {
        let now = edge.clock()
        let oldPlan = plan
        let reloadPlan = ReloadPlan.diff(old: oldPlan, new: newPlan)
        let fates = reloadPlan.fates, removed = reloadPlan.removed

        // 1. Open what the new instances need; nothing of the running set is touched if
        // this fails.
        let (newWiring, newPlans) = try Self.wire(newPlan.instances, previous: wiring, links: edge.links, logger: logger)

        // 2. Removed instances hand over (priority 0); a master's VIPs stay until its
        // successor is heard (a departure). Changed ones that were master give up the VIPs
        // the new settings no longer have.
        for i in removed {
            logger.info("(\(routers[i].configuration.name)) removed from the configuration")
            alerts.removed(routers[i].configuration.name, state: routers[i].state) { perform(engine.shutdown(i, at: now)) }
            metrics?.forget(instance: routers[i].configuration.name)
            if routers[i].isHandingOver {
                let vmac = plans[i].vmac.flatMap { v in newWiring.virtualMACs[v.name] == nil ? wiring.virtualMACs[v.name] : nil }
                departures.append(Departure(router: routers[i], plan: plans[i],
                                            socket: wiring.socketOfInstance[i].map { wiring.sockets[$0] }, virtualMAC: vmac))
            }
        }
        var previousState: [Int: VRRPState] = [:]
        for (j, fate) in fates.enumerated() {
            guard case let .changed(i) = fate else { continue }
            previousState[j] = routers[i].state
            // A handover under way ends here: the new core starts from its own state.
            if routers[i].isHandingOver { perform(engine.releaseAddresses(i, at: now)) }
            guard routers[i].state == .master else { continue }
            // Its routes go with them; the new settings' routes come with its start.
            let gone = plans[i].addresses.filter { !newPlans[j].addresses.contains($0) }
            performer.takeDown(gone, routes: plans[i].routes, of: plans[i].router.name, because: "no longer configured")
        }

        // 3. The new set of instances.
        let oldRouters = routers
        let newRouters = fates.enumerated().map { j, fate in
            if case let .unchanged(i) = fate { return oldRouters[i] }
            return VirtualRouter(newPlan.instances[j].router)
        }
        let names = Set(newPlan.instances.map(\.router.name))
        counters = counters.filter { names.contains($0.key) }
        var carried: [String: VRRPState] = [:]
        for group in engine.syncGroups where reloadPlan.carriedGroups.contains(group.name) { carried[group.name] = group.state }
        let delayedStart = engine.delayedStart
        engine = VRRPEngine(routers: newRouters, channels: newWiring.socketOfInstance,
                            syncGroups: Self.syncGroups(newPlan, carrying: carried))
        // A reload during vrrp_startup_delay keeps the delayed start, moved by the change
        // of the delay (one now past starts at the next turn).
        if let delayedStart {
            engine.delayStart(until: DaemonPlan.delayedStart(delayedStart, from: oldPlan, to: newPlan, at: now))
        }
        // The same table, told which instances hold their VIPs now: one nft run takes it
        // from what it drops to what it must (no moment without the rules).
        firewall = firewall.replanned(newPlans)
        for i in routers.indices where routers[i].state == .master { firewall.addressesAdding(instance: i, at: now) }
        // VIP work held back for the rules follows an instance that stays as it was; a
        // changed one starts again and asks anew.
        var kept: [Int: Int] = [:]
        for (j, fate) in fates.enumerated() { if case let .unchanged(i) = fate { kept[i] = j } }
        performer.carryHeldBack(kept)
        let oldWiring = wiring
        wiring = newWiring
        plans = newPlans
        plan = newPlan
        if announcementWatcher == nil, !newPlan.instances.isEmpty {
            announcementWatcher = Self.openAnnouncementWatcher(logger: logger)
        }
        alerts.plan = newPlan.alerts
        for (name, vmac) in oldWiring.virtualMACs where newWiring.virtualMACs[name] == nil
            && !departures.contains(where: { $0.virtualMAC === vmac }) {
            do { try vmac.remove() } catch { logger.error("removing \(name): \(error)") }
        }

        // 4. What the instances track, the scripts' user, routes, IPVS.
        scripts.reconfigure(user: newPlan.scriptUser, refused: newPlan.refusedCommands)
        if newPlan.metricsListen != oldPlan.metricsListen {
            logger.warning("metrics_listen changes take effect at the next restart")
        }
        if newPlan.fifos != oldPlan.fifos {
            logger.warning("notify_fifo changes take effect at the next restart")
        }
        trackScripts.reconfigure(newPlan.scripts, now: now)
        if trackProcesses.plans != newPlan.trackProcesses {
            trackProcesses = TrackProcessMonitor(newPlan.trackProcesses, now: now, logger: logger)
        }
        if newPlan.trackFiles != oldPlan.trackFiles {
            Self.initialiseTrackFiles(newPlan.trackFiles.filter { !oldPlan.trackFiles.contains($0) }, logger: logger)
            do { files = newPlan.trackFiles.isEmpty ? nil : try FileWatcher(paths: newPlan.trackFiles.map(\.path)) } catch {
                logger.error("track_file: \(error)")
            }
            let names = Set(newPlan.trackFiles.map(\.name))
            fileNumbers = fileNumbers.filter { names.contains($0.key) }
            readTrackFiles(at: now)
        }
        if newPlan.staticRoutes != oldPlan.staticRoutes {
            routes.remove(oldPlan.staticRoutes, for: "static")
            routes.install(newPlan.staticRoutes, for: "static")
        }
        lvs.reload(newPlan.lvs)
        lvs.trackFiles(fileNumbers)
        for note in newPlan.notes where !oldPlan.notes.contains(note) {
            note.hasPrefix("error") ? logger.error("\(note)") : logger.warning("\(note)")
        }

        // 5. Changed and new instances start, with what is known about what they track.
        let interfaceTable = fates.contains { if case .unchanged = $0 { false } else { true } } ? try? edge.interfaces() : nil
        for (j, fate) in fates.enumerated() {
            if case .unchanged = fate { continue }
            logger.info("(\(newPlan.instances[j].router.name)) \(previousState[j] == nil ? "new" : "settings changed"): starting\(previousState[j].map { " from \($0)" } ?? "")")
            metrics?.priority(newPlan.instances[j].router.name, routers[j].priority)
            prime(j, at: now, scripts: trackScripts.readings, interfaces: interfaceTable)
            let previous = previousState[j] ?? .initialize
            perform(engine.start(j, resuming: previous, at: now))
            if previous == .master, routers[j].state != .master {
                // It was master but may not be now (a fault): its VIPs that stayed go.
                execute(.removeVirtualAddresses, instance: j)
            }
        }
        followSyncInstance()
        replanAnnouncements(at: now)
        statusChanged = true
        return reloadPlan.summary(virtualServers: newPlan.lvs.pools.count)
    }
}

/// A valid configuration this daemon cannot run as it is (said as `vigil run` says it).
struct ReloadRefusal: Error, CustomStringConvertible {
    var description: String
}
