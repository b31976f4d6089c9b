import VigilTypes
/// Every VRRP instance of one box as one sans-IO value: the instance table, the lookup
/// from a received advert to its instance, the sync groups and what the instances track.
///
/// `VirtualRouter` is one instance's protocol; a box runs many, and the rules between them
/// — an advert reaches only the instance of its VRID on the link it came in on, a member's
/// transition moves its sync group, a script's verdict reaches every instance that tracks
/// it — belong to no single one. They live here once, so the daemon and the tests' simulated
/// LAN drive the same code: events and the time in, `[Output]` out, for the edge to perform
/// in order. No syscalls, no clock.
public struct VRRPEngine: Sendable {
    /// An instance's place in the engine: the edge keeps its own per-instance data (sockets,
    /// addresses as wired, counters) under the same numbers.
    public typealias InstanceID = Int

    /// The link an advert came in on, as the edge numbers its receiving sockets. Instances
    /// on different links may share a VRID; on one link they may not.
    public typealias Channel = Int

    /// What the edge is to do, in order.
    public enum Output: Hashable, Sendable {
        /// An instance's action (send an advert, add the VIPs, log a transition …).
        case instance(InstanceID, Action)
        /// A sync group's own state changed (its notify scripts, its log line); the index is
        /// the group's place in `syncGroups`.
        case syncGroup(Int, from: VRRPState, to: VRRPState)
    }

    /// What became of a received advert.
    public enum Delivery: Sendable {
        /// The instance of its VRID took it.
        case accepted(InstanceID, [Output])
        /// The instance of its VRID refused it (counted against that instance).
        case rejected(InstanceID, Rejection)
        /// No instance has its VRID on that link (counted against the link).
        case unclaimed(Rejection)
        /// Heard before the delayed start (`vrrp_startup_delay`): dropped unread, as
        /// keepalived drops everything it receives then.
        case beforeStart
    }

    public private(set) var routers: [VirtualRouter] = []
    public private(set) var syncGroups: [SyncGroupCoordinator] = []
    private var groupOfInstance: [InstanceID: Int] = [:]
    private var instanceOfVRID: [Channel: [UInt8: InstanceID]] = [:]
    /// `vrrp_startup_delay`: the instances start then, not before; until then they stay in
    /// Initialize (sending nothing, electing nothing) and adverts are dropped.
    public private(set) var delayedStart: Instant?

    public init() {}

    /// An engine over routers already made (a reload carries unchanged ones over with
    /// their state), each on its link, and the sync groups over them.
    public init(routers: [VirtualRouter], channels: [Channel?], syncGroups: [SyncGroupCoordinator]) {
        precondition(routers.count == channels.count, "one channel (or nil) per router")
        for (router, channel) in zip(routers, channels) { add(router, channel: channel) }
        for group in syncGroups { add(group) }
    }

    /// Adds an instance; returns its ID.
    @discardableResult
    public mutating func add(_ router: VirtualRouter, channel: Channel?) -> InstanceID {
        let id = routers.count
        routers.append(router)
        if let channel { instanceOfVRID[channel, default: [:]][router.configuration.virtualRouterID] = id }
        return id
    }

    /// Adds a sync group over instances already added.
    public mutating func add(_ group: SyncGroupCoordinator) {
        for m in group.members { groupOfInstance[m] = syncGroups.count }
        syncGroups.append(group)
    }

    /// Puts a new core in an instance's place (a restarted daemon's, in tests). It keeps
    /// the instance's link and group.
    public mutating func replace(_ id: InstanceID, with router: VirtualRouter) {
        precondition(router.configuration.virtualRouterID == routers[id].configuration.virtualRouterID, "same VRID")
        routers[id] = router
    }

    public subscript(_ id: InstanceID) -> VirtualRouter { routers[id] }

    public func instance(named name: String) -> InstanceID? {
        routers.firstIndex { $0.configuration.name == name }
    }

    /// The sync group an instance belongs to (its index in `syncGroups`).
    public func syncGroup(of id: InstanceID) -> Int? { groupOfInstance[id] }

    /// The earliest time any instance has something to do.
    public var nextDeadline: Instant? { delayedStart ?? routers.compactMap(\.nextDeadline).min() }

    /// Whether any instance still holds VIPs it is handing over.
    public var isHandingOver: Bool { routers.contains(where: \.isHandingOver) }

    // MARK: - Events

    /// Starts every instance (in Initialize) in order.
    public mutating func start(at now: Instant) -> [Output] {
        routers.indices.flatMap { id in drive(id, at: now) { $0.start(at: now) } }
    }

    /// Starts every instance `delay` after `now` (keepalived's `vrrp_startup_delay`): until
    /// then nothing is sent or elected and adverts are dropped; `advance(to:)` starts them.
    /// A router that starts as backup then waits Master_Down_Interval from the delayed
    /// start, as keepalived's timers run from it.
    public mutating func start(at now: Instant, delay: Microseconds) -> [Output] {
        guard delay > 0 else { return start(at: now) }
        delayedStart = now + delay
        return []
    }

    /// Carries a delayed start over a live reload: keepalived moves the start by the
    /// change in `vrrp_startup_delay` (a start now past happens at the next `advance`).
    public mutating func delayStart(until start: Instant?) {
        delayedStart = start
    }

    /// Starts one instance from the state its predecessor had (a live reload). During a
    /// delayed start it waits for the others.
    public mutating func start(_ id: InstanceID, resuming previous: VRRPState, at now: Instant) -> [Output] {
        guard delayedStart == nil else { return [] }
        return drive(id, at: now) { $0.start(resuming: previous, at: now) }
    }

    /// An advert that came in on `channel`: only the instance of its VRID there hears it.
    public mutating func receive(_ advert: ReceivedAdvertisement, on channel: Channel, at now: Instant) -> Delivery {
        if delayedStart != nil { return .beforeStart }
        let vrid = advert.advertisement.virtualRouterID
        guard let id = instanceOfVRID[channel]?[vrid] else { return .unclaimed(.unknownVirtualRouter(vrid)) }
        do {
            let actions = try routers[id].receive(advert, at: now)
            return .accepted(id, follow(actions, of: id, at: now))
        } catch {
            return .rejected(id, error)
        }
    }

    /// Every instance whose timer is due.
    public mutating func advance(to now: Instant) -> [Output] {
        if let start = delayedStart {
            guard now >= start else { return [] }
            delayedStart = nil
            return self.start(at: now)
        }
        var outputs: [Output] = []
        for id in routers.indices {
            guard let d = routers[id].nextDeadline, d <= now else { continue }
            outputs += drive(id, at: now) { $0.advance(to: now) }
        }
        return outputs
    }

    /// A tracked object's new reading, for every instance that tracks it.
    public mutating func track(_ reading: PriorityTracking.Reading, kind: PriorityTracking.Object.Kind, name: String,
                               at now: Instant) -> [Output] {
        routers.indices.filter { routers[$0].tracking.tracks(kind, name) }.flatMap { id in
            track(reading, kind: kind, name: name, instance: id, at: now)
        }
    }

    /// A tracked object's reading for one instance (its own interface, which the edge
    /// knows by index).
    public mutating func track(_ reading: PriorityTracking.Reading, kind: PriorityTracking.Object.Kind, name: String,
                               instance id: InstanceID, at now: Instant) -> [Output] {
        drive(id, at: now) { $0.track(reading, kind: kind, name: name, at: now) }
    }

    /// `vigil priority`: the operator's priority (nil: back to the configured one).
    public mutating func overridePriority(_ value: UInt8?, instance id: InstanceID, at now: Instant) -> [Output] {
        drive(id, at: now) { $0.overridePriority(value, at: now) }
    }

    /// `vigil resign`.
    public mutating func resign(_ id: InstanceID, at now: Instant) -> [Output] {
        drive(id, at: now) { $0.resign(at: now) }
    }

    /// One instance stops (a reload removed it); a master keeps its VIPs until its
    /// successor is heard or `limit` has passed.
    public mutating func shutdown(_ id: InstanceID, at now: Instant, limit: Microseconds = .max) -> [Output] {
        drive(id, at: now) { $0.shutdown(at: now, limit: limit) }
    }

    /// Every instance stops.
    public mutating func shutdown(at now: Instant, limit: Microseconds = .max) -> [Output] {
        routers.indices.flatMap { id in shutdown(id, at: now, limit: limit) }
    }

    /// Another box announced one of instance `id`'s VIPs (its gratuitous ARP or
    /// unsolicited NA): a handover's VIPs may go sooner (`VirtualRouter.announcementHeard`).
    public mutating func announcementHeard(_ id: InstanceID, at now: Instant) {
        routers[id].announcementHeard(at: now)
    }

    /// VIPs an instance still holds while handing over go now (a second stop signal, a
    /// reload that replaces its core).
    public mutating func releaseAddresses(_ id: InstanceID, at now: Instant) -> [Output] {
        drive(id, at: now) { r in r.releaseAddresses() }
    }

    // MARK: -

    /// Runs `body` on one instance, then its sync group's rules.
    private mutating func drive(_ id: InstanceID, at now: Instant, _ body: (inout VirtualRouter) -> [Action]) -> [Output] {
        let actions = body(&routers[id])
        return follow(actions, of: id, at: now)
    }

    /// An instance's actions, then what its sync group does about them.
    private mutating func follow(_ actions: [Action], of id: InstanceID, at now: Instant) -> [Output] {
        var outputs = actions.map { Output.instance(id, $0) }
        guard let g = groupOfInstance[id] else { return outputs }
        let outcome = syncGroups[g].follow(actions, of: id, routers: &routers, at: now)
        for (member, memberActions) in outcome.actions {
            outputs += memberActions.map { .instance(member, $0) }
        }
        if let t = outcome.groupTransition { outputs.append(.syncGroup(g, from: t.from, to: t.to)) }
        return outputs
    }
}
