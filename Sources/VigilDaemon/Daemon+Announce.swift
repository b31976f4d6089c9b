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

    /// How long a route tied to an instance stays announced after a planned handover has
    /// released the instance's VIPs: the new master announced its own route when it took
    /// over, and this covers that route's way through BGP to the routers (about 0.12 s
    /// through FRR on each side), so a router always has a next hop for the address —
    /// make-before-break at the routing layer. A crash or a fault has no grace.
    static let routeHandoverGrace: Microseconds = 1_000_000

    /// Asks the rule again; performs and logs what changed. An instance counts as MASTER
    /// for its routes while it is, while it still holds its VIPs handing over, and for
    /// `routeHandoverGrace` after they went.
    func reannounce(at now: Instant) {
        announceGrace = announceGrace.filter { $0.value > now }
        guard announcer != nil, !announcements.routes.isEmpty else { return }
        let lvs = self.lvs, plans = self.plans, routers = self.routers, grace = announceGrace
        let facts = AnnouncementState.Facts(
            hasQuorum: { lvs.hasQuorum($0) },
            isMaster: {
                guard routers.indices.contains($0) else { return false }
                return routers[$0].state == .master || routers[$0].isHandingOver || grace[plans[$0].router.name] != nil
            },
            poolName: { lvs.poolName($0) }, instanceName: { plans.indices.contains($0) ? plans[$0].router.name : "#\($0)" })
        perform(announcements.evaluate(at: now, facts))
    }

    /// Instance `i`'s VIPs went: if a planned handover ended (its new master heard), its
    /// routes get `routeHandoverGrace`.
    func handoverReleased(_ i: Int, at now: Instant) {
        guard !announcements.routes.isEmpty, case .successorHeard = routers[i].handoverEnd else { return }
        announceGrace[plans[i].router.name] = now + Self.routeHandoverGrace
    }

    /// When the next route grace runs out (the loop wakes then to withdraw).
    var nextAnnounceDeadline: Instant? { announceGrace.values.min() }

    /// The last route grace still running after `now` (a stop waits for it).
    func announceGraceEnd(after now: Instant) -> Instant? { announceGrace.values.filter { $0 > now }.max() }

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
