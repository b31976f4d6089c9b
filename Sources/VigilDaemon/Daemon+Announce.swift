import LVS
import VigilLinux
import VigilTypes

/// `announce`: host routes for FRR while this director serves them. The rule is
/// `AnnouncementState`'s; here the daemon asks it again whenever a pool's quorum or an
/// instance's state may have moved, and performs what changes on the announce device.
extension Daemon {
    /// At start: the device opened (an earlier run's leftover routes removed and said), then
    /// every route's first state.
    func startAnnouncements(at now: Instant) {
        guard !plan.announce.routes.isEmpty else { return }
        do {
            let device = try edge.announcer(plan.announce.device, plan.announce.protocolNumber)
            announcer = device
            for leftover in device.leftovers { logger.warning("announce: removed a route an earlier run left: \(leftover)") }
        } catch {
            logger.error("announce: \(error); no route is announced")
        }
        reannounce(at: now)
    }

    /// Asks the rule again; performs and logs what changed.
    func reannounce(at now: Instant) {
        guard announcer != nil, !announcements.routes.isEmpty else { return }
        let lvs = self.lvs, plans = self.plans, routers = self.routers
        let facts = AnnouncementState.Facts(
            hasQuorum: { lvs.hasQuorum($0) }, isMaster: { routers.indices.contains($0) && routers[$0].state == .master },
            poolName: { lvs.poolName($0) }, instanceName: { plans.indices.contains($0) ? plans[$0].router.name : "#\($0)" })
        perform(announcements.evaluate(at: now, facts))
    }

    /// At stop: every route withdrawn, the device closed (the kernel destroys it).
    func stopAnnouncements(at now: Instant) {
        guard let announcer else { return }
        perform(announcements.withdrawAll(reason: "vigil stops", at: now))
        do { try announcer.close() } catch { logger.error("announce: closing \(plan.announce.device): \(error)") }
        self.announcer = nil
    }

    /// A reload: routes no longer written are withdrawn, the others keep their state, and
    /// all are decided afresh against the new plan.
    func replanAnnouncements(at now: Instant) {
        let kept = Set(plan.announce.routes.map(\.address))
        for (r, route) in announcements.routes.enumerated() where announcements.status[r]?.announced == true && !kept.contains(route.address) {
            perform([.withdraw(route.address, reason: "no longer in the configuration")])
        }
        announcements = AnnouncementState(plan.announce.routes, carrying: announcements)
        if announcer == nil { startAnnouncements(at: now) } else { reannounce(at: now) }
    }

    private func perform(_ changes: [AnnouncementState.Change]) {
        guard let announcer else { return }
        for change in changes {
            switch change {
            case let .announce(address, reason):
                do {
                    try announcer.announce(address)
                    logger.info("announce: \(address) announced (\(reason))")
                } catch {
                    logger.error("announce: \(address) could not be announced: \(error)")
                }
            case let .withdraw(address, reason):
                do {
                    try announcer.withdraw(address)
                    logger.info("announce: \(address) withdrawn (\(reason))")
                } catch {
                    logger.error("announce: \(address) could not be withdrawn: \(error)")
                }
            }
            metrics?.announced(change.address.description, change.isAnnounce)
        }
    }
}

extension AnnouncementState.Change {
    var isAnnounce: Bool { if case .announce = self { true } else { false } }
    var address: InternetAddress {
        switch self {
        case let .announce(address, _), let .withdraw(address, _): address
        }
    }
}
