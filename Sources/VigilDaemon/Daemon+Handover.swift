import Logging
import VRRP
import VigilLinux
import VigilPlan
import VigilTypes

/// Make-before-break at the daemon's level: what the core's handover needs from the edge
/// when the instance it belongs to is going away — at shutdown (the loop goes on for the
/// VRRP sockets until every new master is heard) and at a reload that removes a master
/// (its core lives on as a `Departure` until its VIPs are released).
extension Daemon {
    /// The longest a stop waits for the new masters before it removes the VIPs anyway:
    /// Master_Down_Interval (3.6 s at advert_int 1) fits, and with notify_stop after it
    /// the unit's TimeoutStopSec (10 s) is never reached. A longer advert_int is cut to it.
    static let stopHandoverLimit: Int64 = 5_000_000

    /// An instance a reload removed while it held its VIPs: its core, its plan as wired and
    /// the socket it hears its successor on, kept until the VIPs are released.
    struct Departure {
        var router: VirtualRouter
        let plan: InstancePlan
        let socket: (any AdvertChannel)?
        /// Its use_vmac macvlan, which carries the VIPs: deleted with them.
        let virtualMAC: (any VirtualLink)?
    }

    /// The sockets the loop polls: the wiring's, then those only departures still use.
    var polledSockets: [any AdvertChannel] {
        var sockets = wiring.sockets
        for d in departures {
            if let s = d.socket, !sockets.contains(where: { $0 === s }) { sockets.append(s) }
        }
        return sockets
    }

    /// An advert for a VRID no running instance has, on `socket`: a departure's successor?
    /// Returns false when no departure takes it.
    func departureReceived(_ packet: ReceivedAdvertisement, on socket: any AdvertChannel, at now: Instant) -> Bool {
        let vrid = packet.advertisement.virtualRouterID
        guard let d = departures.firstIndex(where: { $0.socket === socket && $0.router.configuration.virtualRouterID == vrid })
        else { return false }
        do { _ = try departures[d].router.receive(packet, at: now) } catch {
            rejections.note(error, on: departures[d].router.configuration.name, at: now, logger: logger)
        }
        return true
    }

    /// Opens the announcement watcher; without it (no CAP_NET_RAW, a kernel without
    /// packet sockets) a handover waits `VirtualRouter.announcementWait` after the new
    /// master's advert instead of its announcement.
    static func openAnnouncementWatcher(logger: Logger) -> AnnouncementWatcher? {
        do { return try AnnouncementWatcher() } catch {
            logger.warning("other boxes' gratuitous ARPs will not be heard (a handover keeps its VIPs \(formatMicro(VirtualRouter.announcementWait)) after the new master's advert): \(error)")
            return nil
        }
    }

    /// The watcher's sockets for the loop's wait (none without a watcher), both named
    /// `.announcements`: either being readable means the same, read both.
    var watchingAnnouncements: [(source: Watched, fd: Int32, events: Int16)] {
        guard let w = announcementWatcher else { return [] }
        return [w.arpDescriptor, w.neighbourDescriptor].map { (.announcements, $0, Poller<Watched>.readable) }
    }

    /// Reads what the watcher heard and tells the instances (and departures) whose VIPs
    /// were announced.
    func readAnnouncements(at now: Instant) {
        guard let announcementWatcher else { return }
        announcementsHeard(announcementWatcher.receive().map(\.address), at: now)
    }

    /// Another box announced `addresses`: every instance or departure holding one of them
    /// hears of it (only a master or a handover takes note: `VirtualRouter.announcementHeard`).
    func announcementsHeard(_ addresses: [InternetAddress], at now: Instant) {
        let heard = Set(addresses)
        guard !heard.isEmpty else { return }
        for i in plans.indices where plans[i].addresses.contains(where: { heard.contains($0.address) }) {
            engine.announcementHeard(i, at: now)
        }
        for d in departures.indices where departures[d].plan.addresses.contains(where: { heard.contains($0.address) }) {
            departures[d].router.announcementHeard(at: now)
        }
    }

    /// Departures whose time has come release their VIPs and are forgotten.
    func advanceDepartures(to now: Instant) {
        for d in departures.indices {
            guard let t = departures[d].router.nextDeadline, t <= now else { continue }
            if departures[d].router.advance(to: now).contains(.removeVirtualAddresses) { release(departures[d]) }
        }
        departures.removeAll { !$0.router.isHandingOver }
    }

    /// A departure's VIPs go, but not one an instance of the new configuration holds now
    /// (a renamed instance with the same address).
    func release(_ departure: Departure) {
        let name = departure.router.configuration.name
        let held = Set(routers.indices.filter { routers[$0].state == .master || routers[$0].isHandingOver }
            .flatMap { plans[$0].addresses.map(\.address) })
        let going = departure.plan.addresses.filter { !held.contains($0.address) }
        let why = departure.router.handoverEnd.map { "; \($0)" } ?? ""
        performer.takeDown(going, routes: departure.plan.routes, of: name, because: "left the configuration\(why)")
        if let vmac = departure.virtualMAC {
            do { try vmac.remove() } catch { logger.error("removing \(vmac.name): \(error)") }
        }
    }

    /// After the priority-0 adverts of a stop: the VRRP sockets and the clock only, until
    /// every instance and departure has heard its new master or run out its bound, and the
    /// routes of instances that handed over have had their grace (`routeHandoverGrace`), or
    /// until `end`. A second SIGTERM/SIGINT ends the wait at once. The watchdog is fed.
    func handOver(until end: Instant) {
        var now = edge.clock()
        var impatient = false
        for _ in 0..<1_000_000 {
            let grace = announceGraceEnd(after: now)
            let pending = engine.isHandingOver || !departures.isEmpty || grace != nil
            guard pending, now < end, !impatient else { break }
            let deadline = (departures.compactMap(\.router.nextDeadline)
                + [engine.nextDeadline, end, nextWatchdog, children.nextDeadline, grace].compactMap { $0 }).min() ?? end
            let sockets = polledSockets
            let watched = [(Watched.signals, signals.fileDescriptor, Poller<Watched>.readable)]
                + watchingAnnouncements + Self.watching(sockets)
            let ready = (try? poller.wait(watched, timeout: max(0, deadline - now)).get()) ?? []
            now = edge.clock()
            if ready.contains(.signals), readSignals().stop {
                logger.notice("second stop signal: the VIPs still held are removed now")
                impatient = true
            }
            if ready.contains(.announcements) { readAnnouncements(at: now) }
            readAdverts(sockets, ready: ready, at: now)
            children.advance(to: now)
            firewall.advance(at: now)
            advanceRouters(to: now)
            feedWatchdog(at: now)
        }
        // What fell due at the very end still ends as the core says (no new master heard).
        advanceRouters(to: edge.clock())
        for i in routers.indices where routers[i].isHandingOver { perform(engine.releaseAddresses(i, at: edge.clock())) }
        for d in departures.indices where !departures[d].router.releaseAddresses().isEmpty { release(departures[d]) }
        departures = []
    }
}
