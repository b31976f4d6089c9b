import VigilTypes
/// One VRRP instance (keepalived's `vrrp_instance`): the state machine of RFC 3768 §6.4
/// and RFC 5798 §6.4, with keepalived's additions (Fault, preempt_delay, nopreempt).
///
/// Sans-IO: every input carries `now`; the output is a list of `Action`s, and
/// `nextDeadline` says when `advance(to:)` must be called next. It never reads a clock
/// or touches a socket.
public struct VirtualRouter: Sendable {
    public struct Configuration: Hashable, Sendable {
        public var name: String
        public var version: VRRPVersion
        public var virtualRouterID: UInt8
        /// 1…255; 255 is the address owner.
        public var priority: UInt8
        /// Advertisement_Interval in microseconds.
        public var advertisementInterval: Microseconds
        /// `state MASTER|BACKUP`. As in keepalived 2.2, only the address owner starts as
        /// master at once; any other router starts as backup and waits Master_Down_Interval.
        public var initialState: VRRPState
        /// `preempt` (default) or `nopreempt`.
        public var preempt: Bool
        /// `preempt_delay`: after seeing a lower-priority master, wait this long before
        /// taking over from it.
        public var preemptDelay: Microseconds
        /// VRRPv2 only.
        public var authentication: Advertisement.Authentication
        /// The advertised virtual addresses (`virtual_ipaddress`, not the excluded ones).
        public var virtualAddresses: [InternetAddress]
        /// The source of our advertisements: the interface's primary address or `unicast_src_ip`.
        public var primaryAddress: InternetAddress
        /// `vrrp_skip_check_adv_addr`: accept adverts whose address list differs from ours.
        public var skipCheckAdvertAddresses: Bool
        /// Unicast mode: the TTL of received adverts is not checked (routers may be hops apart).
        public var unicast: Bool
        /// Unicast with `check_unicast_src`: adverts are taken only from these addresses
        /// (the `unicast_peer`s); nil takes them from any source, keepalived's default.
        public var unicastSources: [InternetAddress]?
        /// `unicast_peer ADDR min_ttl N max_ttl M`: the TTL (hop limit) that peer's
        /// adverts must arrive with; a peer not listed is not checked (routers between).
        public var unicastPeerTTL: [InternetAddress: ClosedRange<UInt8>] = [:]
        public var gratuitousARP: GratuitousARPPolicy
        /// `track_script`, `track_interface` (the instance's own interface included unless
        /// `dont_track_primary`) and `track_file`: what moves the priority or causes Fault.
        public var tracked: [PriorityTracking.Object]
        /// VRRPv3 over IPv4: which reading of RFC 5798's checksum is sent and accepted
        /// (`v3_checksum_as_v2`, `old_unicast_checksum`).
        public var v3Checksum = V3ChecksumPolicy()

        public init(name: String, version: VRRPVersion = .v2, virtualRouterID: UInt8, priority: UInt8 = 100,
                    advertisementInterval: Microseconds = 1_000_000, initialState: VRRPState = .backup,
                    preempt: Bool = true, preemptDelay: Microseconds = 0,
                    authentication: Advertisement.Authentication = .none,
                    virtualAddresses: [InternetAddress], primaryAddress: InternetAddress,
                    skipCheckAdvertAddresses: Bool = false, unicast: Bool = false,
                    gratuitousARP: GratuitousARPPolicy = GratuitousARPPolicy(),
                    tracked: [PriorityTracking.Object] = []) {
            self.name = name
            self.version = version
            self.virtualRouterID = virtualRouterID
            self.priority = priority
            self.advertisementInterval = advertisementInterval
            self.initialState = initialState
            self.preempt = preempt
            self.preemptDelay = preemptDelay
            self.authentication = authentication
            self.virtualAddresses = virtualAddresses
            self.primaryAddress = primaryAddress
            self.skipCheckAdvertAddresses = skipCheckAdvertAddresses
            self.unicast = unicast
            self.gratuitousARP = gratuitousARP
            self.tracked = tracked
        }
    }

    public let configuration: Configuration
    /// RFC 3768 §6.4 Initialize, Backup, Master, and keepalived's Fault.
    public var state: VRRPState {
        switch phase {
        case .initialize: return .initialize
        case .backup: return .backup
        case .master: return .master
        case .fault: return .fault
        }
    }
    /// Master_Adver_Interval: ours, or (VRRPv3, as backup) the current master's.
    public private(set) var masterAdvertisementInterval: Microseconds
    /// The current master as last heard (nil when we are master or have heard none).
    public private(set) var masterAddress: InternetAddress?
    public private(set) var masterPriority: UInt8?
    /// The tracked objects' readings and the priority they give.
    public private(set) var tracking: PriorityTracking
    /// The priority in our adverts and in Skew_Time: the configured one moved by the
    /// tracked objects' weights (keepalived's effective_priority).
    public private(set) var priority: UInt8
    /// `vigil priority INSTANCE N` / `vigil resign`: the operator's priority, standing in for
    /// the configured one moved by tracking until cleared (never kept across a restart).
    public private(set) var priorityOverride: UInt8?
    /// The form of the VRRPv3 IPv4 checksum our adverts carry now (the edge computes it so).
    public private(set) var advertisementChecksum: V3ChecksumForm
    /// When an advert in the old unicast form made this instance take that form too
    /// (keepalived's automatic compatibility); nil while it has not.
    public private(set) var oldUnicastChecksumSince: Instant?
    /// Fault reasons from outside the instance's own trackers (its sync group).
    private var externalFaults: [FaultReason] = []
    /// Everything that holds the instance in Fault now; empty when it may run.
    public var faults: [FaultReason] { tracking.faults + externalFaults }

    /// Where the router is in the state machine, each state with the timers only it has:
    /// no timer can outlive its state (swift-nio's style).
    private var phase: Phase = .initialize

    private enum Phase {
        case initialize
        case backup(Backup)
        case master(Master)
        case fault
    }

    /// Backup's timers (RFC 3768 §6.4.2).
    private struct Backup {
        /// Master_Down_Timer.
        var masterDown: Instant
        /// keepalived's preempt_time: lower-priority adverts are honoured until then.
        var preemptAt: Instant?
        /// The master announced it was leaving (priority 0) and nobody has spoken since.
        var leaving: InternetAddress?
    }

    /// Master's timers (RFC 3768 §6.4.3) and its gratuitous ARP schedule.
    private struct Master {
        /// Adver_Timer.
        var advertAt: Instant
        /// Gratuitous ARPs still due in the current burst, and when the next one is.
        var garpRemaining = 0
        var garpNext: Instant?
        /// The second burst (`garp_master_delay`) and the periodic refresh.
        var garpDelayed: Instant?
        var garpRefresh: Instant?
        /// `garp_extra_if`'s next round on the other interfaces.
        var garpExtra: Instant?

        var deadlines: [Instant?] { [advertAt, garpNext, garpDelayed, garpRefresh, garpExtra] }

        /// `count` gratuitous ARPs per address: all now when `spacing` (`vrrp_garp_interval`)
        /// is 0, else one now and the rest `spacing` apart.
        mutating func startBurst(_ count: Int, spacing: Microseconds, at now: Instant) -> [Action] {
            guard count > 0 else { return [] }
            if spacing <= 0 { return Array(repeating: .sendGratuitousARP, count: count) }
            garpRemaining = count - 1
            garpNext = garpRemaining > 0 ? now + spacing : nil
            return [.sendGratuitousARP]
        }
    }

    /// Make-before-break: after a planned departure from Master the VIPs stay (in Backup
    /// or Initialize) until `releaseAt`; the new master's advert together with its
    /// announcement of the VIPs brings that moment forward to `handoverOverlap` after the
    /// later of the two.
    private struct Handover {
        var releaseAt: Instant
        /// The new master, once heard.
        var successor: InternetAddress?
        /// Another box announced our VIPs (gratuitous ARP / unsolicited NA): the clients
        /// have been told where the VIPs live now.
        var announced: Bool
    }
    private var handover: Handover?
    /// When another box last announced one of our VIPs while we were master (or handing
    /// over): a Vigil successor announces before its first advert, so the handover that
    /// advert starts may already have been told.
    private var lastForeignAnnouncement: Instant?

    /// When the VIPs held after leaving Master go at the latest (nil: none held).
    public var releaseTimer: Instant? { handover?.releaseAt }

    /// How long a router that left Master keeps its VIPs once the new master has both
    /// advertised and announced the VIPs (gratuitous ARP / unsolicited NA, seen on the
    /// link: `announcementHeard`): it covers the announcement's way to the clients and the
    /// packets already sent to the old box. Short, because while both boxes hold the
    /// address either may answer an ARP request for it, and a client that takes the old
    /// box's answer then waits for its neighbour entry to fail (the new master's second
    /// burst, `garp_master_delay`, corrects it too).
    public static let handoverOverlap: Microseconds = 20_000

    /// How far apart the new master's first advert and its announcement may be. Vigil
    /// announces first (a `vrrp_strict` Vigil holds the advert until its drop rules are
    /// in); keepalived advertises first, then adds the VIPs and announces them, which on a
    /// loaded box took more than `handoverOverlap`. An announcement heard this long before
    /// the advert counts; after the advert the VIPs are kept at most this long waiting for
    /// it (a successor this box cannot hear announce — on another segment, or with its
    /// gratuitous ARP off — costs this much overlap and no more).
    public static let announcementWait: Microseconds = 500_000

    /// The VIPs are still installed after this router left Master, waiting for the new one.
    public var isHandingOver: Bool { handover != nil }

    /// How the last handover ended: what the log says beside the VIPs' removal.
    public enum HandoverEnd: Hashable, Sendable, CustomStringConvertible {
        /// The new master's advert arrived (from this address).
        /// `announced`: its gratuitous ARP / NA for our VIPs was heard too; if not, the VIPs
        /// went `announcementWait` after its advert.
        case successorHeard(InternetAddress, announced: Bool)
        /// None within the bound.
        case noSuccessor
        /// Cut short: a second stop signal, a fault, a reload.
        case cutShort

        public var description: String {
            switch self {
            case let .successorHeard(address, true): return "new master \(address) heard and announced"
            case let .successorHeard(address, false):
                return "new master \(address) heard; its announcement not heard within \(formatMicro(VirtualRouter.announcementWait))"
            case .noSuccessor: return "no new master heard in time"
            case .cutShort: return "handover cut short"
            }
        }
    }
    /// Set when a handover ends; cleared when the router becomes master again.
    public private(set) var handoverEnd: HandoverEnd?

    public init(_ configuration: Configuration) {
        self.configuration = configuration
        masterAdvertisementInterval = configuration.advertisementInterval
        tracking = PriorityTracking(base: configuration.priority, objects: configuration.tracked)
        priority = tracking.effectivePriority
        advertisementChecksum = configuration.v3Checksum.initialForm
    }

    /// The priority in effect: the operator's override, else the tracked one.
    private var wantedPriority: UInt8 { priorityOverride ?? tracking.effectivePriority }

    /// RFC 3768 §6.1 timers for the current Master_Adver_Interval.
    public var timers: VRRPTimers {
        VRRPTimers(advertisementInterval: masterAdvertisementInterval, priority: Int(priority),
                   version: configuration.version)
    }

    /// The earliest moment at which `advance(to:)` has something to do.
    public var nextDeadline: Instant? {
        var deadlines: [Instant?] = [handover?.releaseAt]
        switch phase {
        case let .backup(b): deadlines.append(b.masterDown)
        case let .master(m): deadlines += m.deadlines
        case .initialize, .fault: break
        }
        return deadlines.compactMap { $0 }.min()
    }

    // MARK: - Inputs

    /// RFC 3768 §6.4.1: leave Initialize.
    public mutating func start(at now: Instant) -> [Action] {
        guard state == .initialize else { return [] }
        if let fault = faults.first {
            phase = .fault
            return [.transition(from: .initialize, to: .fault, reason: .fault(fault))]
        }
        if configuration.priority == 255 {
            return becomeMaster(at: now, reason: .addressOwner)
        }
        return becomeBackup(at: now, reason: .startup)
    }

    /// Fires every timer that is due at `now`.
    public mutating func advance(to now: Instant) -> [Action] {
        var actions: [Action] = []
        if case let .backup(b) = phase, b.masterDown <= now {
            actions += becomeMaster(at: now, reason: b.leaving.map { .masterLeft(from: $0) } ?? .masterDownTimerExpired)
        }
        if let h = handover, h.releaseAt <= now {
            handover = nil
            handoverEnd = h.successor.map { .successorHeard($0, announced: h.announced) } ?? .noSuccessor
            actions.append(.removeVirtualAddresses)
        }
        guard case var .master(m) = phase else { return actions }
        let garp = configuration.gratuitousARP
        if m.advertAt <= now {
            actions.append(.sendAdvertisement(advertisement()))
            m.advertAt = now + configuration.advertisementInterval
        }
        if let t = m.garpDelayed, t <= now {
            m.garpDelayed = nil
            actions += m.startBurst(garp.masterRepeat, spacing: garp.interval, at: now)
        }
        if let t = m.garpRefresh, t <= now, garp.masterRefresh > 0 {
            m.garpRefresh = now + garp.masterRefresh
            actions += m.startBurst(garp.masterRefreshRepeat, spacing: garp.interval, at: now)
        }
        if let t = m.garpExtra, t <= now, garp.extraInterfaceInterval > 0 {
            m.garpExtra = now + garp.extraInterfaceInterval
            actions.append(.sendGratuitousARPOnExtraInterfaces)
        }
        if let t = m.garpNext, t <= now {
            actions.append(.sendGratuitousARP)
            m.garpRemaining -= 1
            m.garpNext = m.garpRemaining > 0 ? now + garp.interval : nil
        }
        phase = .master(m)
        return actions
    }

    /// Checks an advertisement against this instance (RFC 3768 §7.1 in its order) and, if
    /// it passes, applies RFC 3768 §6.4.2 / §6.4.3. A rejection changes nothing.
    public mutating func receive(_ packet: ReceivedAdvertisement, at now: Instant) throws(Rejection) -> [Action] {
        let verdict = checksumVerdict(packet)
        if verdict == .reject { throw .checksum }
        try check(packet)
        if verdict == .acceptSwitchingToOldForm {
            advertisementChecksum = .multicastPseudoHeader
            oldUnicastChecksumSince = now
        }
        let advert = packet.advertisement
        if var h = handover, advert.priority != 0 {
            // The new master is heard: the VIPs go once its announcement has landed too.
            h.releaseAt = min(h.releaseAt, now + (h.announced ? Self.handoverOverlap : Self.announcementWait))
            if h.successor == nil { h.successor = packet.source }
            handover = h
        }
        switch phase {
        case var .backup(b):
            let actions = backupReceived(advert, from: packet.source, at: now, &b)
            phase = .backup(b)
            return actions
        case var .master(m):
            if advert.priority == 0 {
                // Another master is leaving: assert ourselves at once.
                m.advertAt = now + configuration.advertisementInterval
                phase = .master(m)
                return [.sendAdvertisement(advertisement())]
            }
            return masterReceived(advert, from: packet.source, at: now)
        case .initialize, .fault:
            return []
        }
    }

    /// A tracked object has a new reading (a script's verdict, a link's state, a file's
    /// number): the priority moves and Fault is entered or left as it says.
    public mutating func track(_ reading: PriorityTracking.Reading, kind: PriorityTracking.Object.Kind,
                               name: String, at now: Instant) -> [Action] {
        guard tracking.record(reading, kind: kind, name: name) else { return [] }
        return reconcile(at: now)
    }

    /// A fault from outside the instance (its sync group) begins or ends.
    public mutating func setFault(_ reason: FaultReason, _ active: Bool, at now: Instant) -> [Action] {
        if active, !externalFaults.contains(reason) {
            externalFaults.append(reason)
        } else if !active, let i = externalFaults.firstIndex(of: reason) {
            externalFaults.remove(at: i)
        } else {
            return []
        }
        return reconcile(at: now)
    }

    /// The operator sets (1…254) or clears (nil) a temporary priority. An address owner
    /// (255) keeps its own: its priority is what makes it the owner.
    public mutating func overridePriority(_ value: UInt8?, at now: Instant) -> [Action] {
        guard configuration.priority != 255 else { return [] }
        priorityOverride = value.map { min(254, max(1, $0)) }
        return reconcile(at: now)
    }

    /// A graceful handover (`vigil resign`): priority 1 from now on (until cleared with
    /// `overridePriority(nil)`), and a master steps down at once with a priority-0 advert,
    /// so a backup takes over after Skew_Time rather than Master_Down_Interval. With no
    /// peer to take over, the master-down timer brings this router back: the VIPs are
    /// never left without a home.
    public mutating func resign(at now: Instant) -> [Action] {
        guard configuration.priority != 255 else { return [] }
        var actions = overridePriority(1, at: now)
        guard state == .master else { return actions }
        masterAdvertisementInterval = configuration.advertisementInterval
        let down = now + timers.masterDownInterval
        phase = .backup(Backup(masterDown: down))
        // Held until the new master is heard; with nobody to take over, the master-down
        // timer (the same moment, and checked first) makes this router master again
        // without the VIPs ever leaving.
        hold(until: down, at: now)
        actions += [.transition(from: .master, to: .backup, reason: .resigned),
                    .sendAdvertisement(advertisement(priority: 0))]
        return actions
    }

    /// Leaves Initialize for a live reload that changed this instance's settings: a
    /// router that was master goes on as master at once (new adverts, its VIPs installed
    /// and announced); any other starts as at boot. Either way the protocol then settles
    /// the election with the peer as usual.
    public mutating func start(resuming previous: VRRPState, at now: Instant) -> [Action] {
        guard state == .initialize else { return [] }
        if previous == .master, faults.isEmpty, configuration.priority != 255 {
            return becomeMaster(at: now, reason: .reload)
        }
        return start(at: now)
    }

    /// Brings priority and state in line with the trackers. A priority change shows in
    /// the next advert; as backup it also moves Master_Down_Timer by the change in
    /// Skew_Time (keepalived does the same). The first fault leaves Master with a
    /// priority-0 advert so the peer takes over after Skew_Time; the last one cleared
    /// starts a new election from Backup (the address owner takes over at once).
    private mutating func reconcile(at now: Instant) -> [Action] {
        var actions: [Action] = []
        let newPriority = wantedPriority
        if newPriority != priority {
            let oldDown = timers.masterDownInterval
            actions.append(.priorityChanged(from: priority, to: newPriority))
            priority = newPriority
            if case var .backup(b) = phase {
                b.masterDown = b.masterDown + (timers.masterDownInterval - oldDown)
                phase = .backup(b)
            }
        }
        let faults = faults
        if let fault = faults.first, state != .fault {
            guard state != .initialize else { return actions }
            let from = state
            actions.append(.transition(from: from, to: .fault, reason: .fault(fault)))
            if from == .master {
                // Unplanned: the interface or what it tracks failed, so the VIPs may not
                // answer anyway; they go at once.
                actions.append(.sendAdvertisement(advertisement(priority: 0)))
                actions.append(.removeVirtualAddresses)
            } else {
                actions += releaseAddresses()
            }
            masterAdvertisementInterval = configuration.advertisementInterval
            masterAddress = nil
            masterPriority = nil
            phase = .fault
        } else if faults.isEmpty, state == .fault {
            if configuration.priority == 255 {
                actions += becomeMaster(at: now, reason: .faultCleared)
            } else {
                actions += becomeBackup(at: now, reason: .faultCleared)
            }
        }
        return actions
    }

    /// A sync group member became master: so do we, unless in Fault (keepalived moves
    /// the whole group together).
    public mutating func followGroupToMaster(group: String, member: String, at now: Instant) -> [Action] {
        guard state == .backup else { return [] }
        return becomeMaster(at: now, reason: .syncGroup(group: group, member: member))
    }

    /// A sync group member fell back to backup: so do we.
    public mutating func followGroupToBackup(group: String, member: String, at now: Instant) -> [Action] {
        guard state == .master else { return [] }
        let down = now + timers.masterDownInterval
        phase = .backup(Backup(masterDown: down))
        // Its own new master announces itself like the member's did: held until heard.
        hold(until: down, at: now)
        return [.transition(from: .master, to: .backup, reason: .syncGroup(group: group, member: member))]
    }

    /// RFC 3768 §6.4.3 Shutdown: a master sends priority 0 so a backup takes over after
    /// Skew_Time instead of Master_Down_Interval; the VIPs stay, answering, until the new
    /// master's first advert has been heard (plus `handoverOverlap`), or Master_Down_Interval
    /// has passed, or `limit`, whichever is first. The edge keeps feeding adverts and time
    /// until `isHandingOver` is false. (keepalived removes them at once: its clients go
    /// unanswered for Skew_Time.)
    public mutating func shutdown(at now: Instant, limit: Microseconds = .max) -> [Action] {
        let bound = now + min(state == .initialize ? .max : timers.masterDownInterval, max(0, limit))
        if var h = handover {
            h.releaseAt = min(h.releaseAt, bound)
            handover = h
        }
        guard state != .initialize else { return [] }
        var actions: [Action] = [.transition(from: state, to: .initialize, reason: .shutdown)]
        if state == .master {
            actions.append(.sendAdvertisement(advertisement(priority: 0)))
            hold(until: bound, at: now)
        }
        phase = .initialize
        return actions
    }

    /// Ends a handover now: the VIPs still held go (a second stop signal, the bound).
    public mutating func releaseAddresses() -> [Action] {
        guard handover != nil else { return [] }
        handover = nil
        handoverEnd = .cutShort
        return [.removeVirtualAddresses]
    }

    /// Another box announced one of this instance's VIPs (the edge saw its gratuitous ARP
    /// or unsolicited NA). While handing over, the VIPs go `handoverOverlap` after both
    /// this and the new master's advert; as master it is remembered for a handover that
    /// starts within `announcementWait`. Nothing else follows from it: a rogue announcement
    /// can shorten a handover to the overlap, never start one.
    public mutating func announcementHeard(at now: Instant) {
        guard state == .master || handover != nil else { return }
        lastForeignAnnouncement = now
        guard var h = handover else { return }
        h.announced = true
        if h.successor != nil { h.releaseAt = min(h.releaseAt, now + Self.handoverOverlap) }
        handover = h
    }

    /// Starts holding the VIPs after leaving Master, until `deadline` at the latest; a
    /// `successor` already heard brings it to `handoverOverlap` (announced) or
    /// `announcementWait` (not yet) from now.
    private mutating func hold(until deadline: Instant, at now: Instant, successor: InternetAddress? = nil) {
        let announced = lastForeignAnnouncement.map { now - $0 <= Self.announcementWait } ?? false
        var releaseAt = deadline
        if successor != nil { releaseAt = min(deadline, now + (announced ? Self.handoverOverlap : Self.announcementWait)) }
        handover = Handover(releaseAt: releaseAt, successor: successor, announced: announced)
        handoverEnd = nil
    }

    // MARK: - Receive checks

    /// A VRRPv3 IPv4 advert's checksum under this instance's `V3ChecksumPolicy` (adverts of
    /// VRRPv2, of IPv6 and built ones pass: their checksum was verified in decoding or
    /// has one reading).
    private func checksumVerdict(_ packet: ReceivedAdvertisement) -> V3ChecksumPolicy.Verdict {
        guard let forms = packet.checksumForms, !packet.source.isIPv6,
              packet.advertisement.version == .v3 else { return .accept }
        let unicast = configuration.unicast && packet.destination != packet.source.vrrpMulticastGroup
        return configuration.v3Checksum.judge(forms, current: advertisementChecksum, unicast: unicast)
    }

    private func check(_ packet: ReceivedAdvertisement) throws(Rejection) {
        let c = configuration
        let advert = packet.advertisement
        if packet.source == c.primaryAddress { throw .ownAdvertisement }
        if !c.unicast, packet.ttl != Advertisement.ttl { throw .ttl(packet.ttl) }
        if c.unicast {
            if let sources = c.unicastSources, !sources.contains(packet.source) { throw .unicastSource(packet.source) }
            if let bounds = c.unicastPeerTTL[packet.source], !bounds.contains(packet.ttl) {
                throw .ttlOutOfRange(packet.ttl, minimum: bounds.lowerBound, maximum: bounds.upperBound)
            }
        }
        if advert.version != c.version { throw .version(received: advert.version.rawValue, expected: c.version.rawValue) }
        if c.version == .v2 {
            if advert.authentication.type != c.authentication.type {
                throw .authType(received: advert.authentication.type, expected: c.authentication.type)
            }
            if case .simple = c.authentication, advert.authentication.data != c.authentication.data {
                throw .authPassword
            }
            if advert.advertisementInterval != c.advertisementInterval {
                throw .advertIntervalMismatch(received: advert.advertisementInterval, expected: c.advertisementInterval)
            }
        }
        if !c.skipCheckAdvertAddresses, advert.priority != 0,
           Set(advert.addresses) != Set(c.virtualAddresses) || advert.addresses.count != c.virtualAddresses.count {
            throw .addressList(received: advert.addresses, expected: c.virtualAddresses)
        }
    }

    /// The master's interval as a backup adopts it (RFC 5798 §6.4.2), but never below a
    /// tenth of this router's own nor below the wire's 1 cs: a spoofed or broken advert
    /// announcing a tiny interval would otherwise shrink Master_Down_Interval to a few ms
    /// and let one packet flap the instance many times a second. (A deliberate floor;
    /// keepalived adopts whatever arrives.)
    func adoptable(_ interval: Microseconds) -> Microseconds {
        max(interval, configuration.advertisementInterval / 10, 10_000)
    }

    // MARK: - RFC 3768 §6.4.2 Backup

    private mutating func backupReceived(_ advert: Advertisement, from source: InternetAddress, at now: Instant,
                                         _ b: inout Backup) -> [Action] {
        let own = priority
        if advert.priority == 0 {
            // The master is leaving: take over after Skew_Time, not Master_Down_Interval.
            b.masterDown = now + timers.skewTime
            b.leaving = source
            return []
        }
        b.leaving = nil
        let delaying = configuration.preemptDelay > 0 && (b.preemptAt.map { $0 > now } ?? true)
        guard !configuration.preempt || advert.priority >= own || delaying else {
            // A lower-priority master and we may preempt it: let Master_Down_Timer run out.
            return []
        }
        if configuration.version == .v3 {
            // RFC 5798 §6.4.2: adopt the master's interval.
            masterAdvertisementInterval = adoptable(advert.advertisementInterval)
        }
        b.masterDown = now + timers.masterDownInterval
        masterAddress = source
        masterPriority = advert.priority
        if configuration.preemptDelay > 0 {
            if advert.priority >= own {
                b.preemptAt = nil
            } else if b.preemptAt == nil {
                b.preemptAt = now + configuration.preemptDelay
            }
        }
        return []
    }

    // MARK: - RFC 3768 §6.4.3 Master

    /// A master hears another (priority > 0; a leaving one is answered in `receive`).
    private mutating func masterReceived(_ advert: Advertisement, from source: InternetAddress, at now: Instant) -> [Action] {
        let own = priority
        let higherAddress = advert.priority == own && source > configuration.primaryAddress
        if advert.priority > own || higherAddress {
            if configuration.version == .v3 { masterAdvertisementInterval = adoptable(advert.advertisementInterval) }
            masterAddress = source
            masterPriority = advert.priority
            let reason: TransitionReason = higherAddress
                ? .higherAddress(from: source) : .higherPriority(from: source, priority: advert.priority)
            phase = .backup(Backup(masterDown: now + timers.masterDownInterval))
            // Ours go once the new master has announced the VIPs too (a Vigil one did
            // before this advert, keepalived does after it), so no client is left between.
            hold(until: now + Self.announcementWait, at: now, successor: source)
            return [.transition(from: .master, to: .backup, reason: reason)]
        }
        // A lower-priority router believes it is master: advertise now so it steps down
        // (keepalived does the same: "forcing new election").
        return [.sendAdvertisement(advertisement())]
    }

    // MARK: - Transitions

    private mutating func becomeMaster(at now: Instant, reason: TransitionReason) -> [Action] {
        let from = state
        // Still holding them from a handover nobody took: they simply stay.
        handover = nil
        handoverEnd = nil
        lastForeignAnnouncement = nil
        masterAdvertisementInterval = configuration.advertisementInterval
        masterAddress = nil
        masterPriority = nil
        let garp = configuration.gratuitousARP
        var m = Master(advertAt: now + configuration.advertisementInterval)
        if garp.masterDelay > 0 { m.garpDelayed = now + garp.masterDelay }
        if garp.masterRefresh > 0 { m.garpRefresh = now + garp.masterRefresh }
        // keepalived starts this round after the second burst's delay.
        if garp.extraInterfaceInterval > 0 { m.garpExtra = now + garp.masterDelay + garp.extraInterfaceInterval }
        let burst = m.startBurst(garp.masterRepeat, spacing: garp.interval, at: now)
        phase = .master(m)
        // The VIPs and their announcements before the advert (keepalived's order too): a
        // master handing over releases its VIPs when it hears the advert, and by then the
        // clients have been told where the address went.
        return [.transition(from: from, to: .master, reason: reason), .addVirtualAddresses]
            + burst + [.sendAdvertisement(advertisement())]
    }

    private mutating func becomeBackup(at now: Instant, reason: TransitionReason) -> [Action] {
        let from = state
        masterAdvertisementInterval = configuration.advertisementInterval
        phase = .backup(Backup(masterDown: now + timers.masterDownInterval))
        return [.transition(from: from, to: .backup, reason: reason)]
    }

    /// Our advertisement, with our priority unless told otherwise (0 on shutdown).
    public func advertisement(priority: UInt8? = nil) -> Advertisement {
        Advertisement(version: configuration.version, virtualRouterID: configuration.virtualRouterID,
                      priority: priority ?? self.priority,
                      advertisementInterval: configuration.advertisementInterval,
                      addresses: configuration.virtualAddresses, authentication: configuration.authentication)
    }
}
