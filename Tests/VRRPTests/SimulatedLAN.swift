@testable import VRRP

/// Routers on one in-memory multicast segment with a virtual clock.
///
/// Every advertisement goes through the real codec: encoded to bytes, wrapped in an IPv4
/// header with TTL 255, decoded by each receiver. The clock jumps from deadline to
/// deadline, so a 10-second scenario costs microseconds.
struct SimulatedLAN {
    struct Event: Equatable, CustomStringConvertible {
        var time: Instant
        var router: String
        var action: Action
        var description: String { "\(time) \(router): \(action)" }
    }

    private(set) var routers: [VirtualRouter] = []
    /// Routers that are cut off (crashed): they neither send nor receive.
    private(set) var down: Set<String> = []
    private(set) var now = Instant.zero
    private(set) var log: [Event] = []
    private(set) var rejections: [(router: String, rejection: Rejection)] = []
    /// One-way delay of the segment.
    var latency: Int64 = 100
    private var inFlight: [(arrival: Instant, sender: String, packet: [UInt8])] = []

    /// The routers holding the VIPs now (added, not yet removed; a crashed box answers
    /// nobody), and the router the clients' neighbour caches point at: the sender of the
    /// last gratuitous ARP to reach them (after `latency`, like an advert).
    private(set) var holding: Set<String> = []
    private(set) var clientsPointAt: String?
    private var garpsInFlight: [(arrival: Instant, sender: String)] = []
    /// The intervals in which the router the clients point at did not hold the VIPs: their
    /// packets went unanswered (an open interval has no end yet).
    private(set) var unanswered: [(from: Instant, to: Instant?)] = []

    /// The longest time the clients went unanswered (0: never).
    var longestUnanswered: Int64 {
        unanswered.map { ($0.to ?? now) - $0.from }.max() ?? 0
    }

    /// The routers, all started at time 0 and left to run for `duration`.
    static func started(_ configurations: [VirtualRouter.Configuration], for duration: Int64) -> SimulatedLAN {
        var lan = SimulatedLAN()
        for c in configurations { lan.add(c) }
        for c in configurations { lan.start(c.name) }
        lan.run(for: duration)
        return lan
    }

    /// The usual pair, lb1 (priority 100) and lb2 (90), after `duration` of election.
    static func electedPair(after duration: Int64 = 10_000_000) -> SimulatedLAN {
        started([.pair("lb1", host: 11, priority: 100), .pair("lb2", host: 12, priority: 90)], for: duration)
    }

    mutating func add(_ configuration: VirtualRouter.Configuration) {
        routers.append(VirtualRouter(configuration))
    }

    func router(_ name: String) -> VirtualRouter { routers.first { $0.configuration.name == name }! }
    func state(_ name: String) -> VRRPState { router(name).state }

    /// Starts a router at the current time.
    mutating func start(_ name: String) { apply(name) { $0.start(at: $1) } }
    mutating func shutdown(_ name: String, limit: Int64 = .max) { apply(name) { $0.shutdown(at: $1, limit: limit) } }
    /// A second stop signal: the VIPs still held go now.
    mutating func release(_ name: String) { apply(name) { r, _ in r.releaseAddresses() } }
    mutating func resign(_ name: String) { apply(name) { $0.resign(at: $1) } }
    mutating func overridePriority(_ name: String, _ value: UInt8?) { apply(name) { $0.overridePriority(value, at: $1) } }
    /// A live reload that changed the router's settings: a new core, started from the
    /// state the old one had.
    mutating func reload(_ name: String, with configuration: VirtualRouter.Configuration) {
        let i = routers.firstIndex { $0.configuration.name == name }!
        let previous = routers[i].state
        routers[i] = VirtualRouter(configuration)
        apply(configuration.name) { $0.start(resuming: previous, at: $1) }
    }
    mutating func interfaceDown(_ name: String, _ link: String = "eth0") {
        apply(name) { $0.track(.down, kind: .interface, name: link, at: $1) }
    }
    mutating func interfaceUp(_ name: String, _ link: String = "eth0") {
        apply(name) { $0.track(.up, kind: .interface, name: link, at: $1) }
    }
    /// A tracked object of `name` reads `reading` now.
    mutating func track(_ name: String, _ kind: PriorityTracking.Object.Kind, _ object: String,
                        _ reading: PriorityTracking.Reading) {
        apply(name) { $0.track(reading, kind: kind, name: object, at: $1) }
    }
    /// Sync groups on the segment, by member names.
    mutating func group(_ name: String, _ memberNames: [String]) {
        let indices = memberNames.map { m in routers.firstIndex { $0.configuration.name == m }! }
        groups.append(SyncGroupCoordinator(name: name, members: indices))
    }
    private(set) var groups: [SyncGroupCoordinator] = []
    private(set) var groupLog: [(time: Instant, group: String, to: VRRPState)] = []
    /// The host vanishes: its daemon is killed and its link cut; nothing more is sent.
    mutating func crash(_ name: String) {
        down.insert(name)
        holding.remove(name)
        noteAnswering()
    }

    /// A stopped daemon restarts: a new core in Initialize (started with `start`).
    mutating func restart(_ name: String) {
        let i = routers.firstIndex { $0.configuration.name == name }!
        routers[i] = VirtualRouter(routers[i].configuration)
    }

    /// A router's advert: what a peer would send (a spoofer, a keepalived in the test).
    mutating func inject(_ advert: Advertisement, from source: IPv4Address, to name: String) throws(Rejection) {
        let payload = advert.encode(source: .v4(source), destination: InternetAddress.v4(source).vrrpMulticastGroup)
        let received = try ReceivedAdvertisement.decode(ipPacket: Self.ipPacket(payload, from: source)[...])
        let i = routers.firstIndex { $0.configuration.name == name }!
        perform(try routers[i].receive(received, at: now), by: i)
    }

    /// Delivers packets and fires timers in time order up to `end`.
    mutating func run(until end: Instant) {
        for _ in 0..<1_000_000 {
            let nextPacket = inFlight.map(\.arrival).min()
            let nextGARP = garpsInFlight.map(\.arrival).min()
            let nextTimer = routers.filter { !down.contains($0.configuration.name) }.compactMap(\.nextDeadline).min()
            guard let next = [nextPacket, nextGARP, nextTimer].compactMap({ $0 }).min(), next <= end else { break }
            now = next
            if let i = garpsInFlight.firstIndex(where: { $0.arrival == next }) {
                clientsPointAt = garpsInFlight.remove(at: i).sender
                noteAnswering()
                continue
            }
            if let i = inFlight.firstIndex(where: { $0.arrival == next }) {
                let packet = inFlight.remove(at: i)
                deliver(packet.packet, from: packet.sender)
                continue
            }
            for i in routers.indices where !down.contains(routers[i].configuration.name) {
                if let d = routers[i].nextDeadline, d <= now {
                    let actions = routers[i].advance(to: now)
                    perform(actions, by: i)
                }
            }
        }
        now = max(now, end)
    }

    mutating func run(for duration: Int64) { run(until: now + duration) }

    /// When `name` last entered `state`.
    func lastTransition(_ name: String, to state: VRRPState) -> Instant? {
        log.last { e in
            guard e.router == name, case let .transition(_, to, _) = e.action else { return false }
            return to == state
        }?.time
    }

    func transitions(_ name: String) -> [VRRPState] {
        log.compactMap { e in
            guard e.router == name, case let .transition(_, to, _) = e.action else { return nil }
            return to
        }
    }

    func count(_ name: String, since: Instant = .zero, where match: (Action) -> Bool) -> Int {
        log.filter { $0.router == name && $0.time >= since && match($0.action) }.count
    }

    // MARK: -

    private mutating func apply(_ name: String, _ body: (inout VirtualRouter, Instant) -> [Action]) {
        let i = routers.firstIndex { $0.configuration.name == name }!
        let actions = body(&routers[i], now)
        perform(actions, by: i)
    }

    private mutating func perform(_ actions: [Action], by i: Int) {
        record(actions, by: i)
        for g in groups.indices where groups[g].members.contains(i) {
            let outcome = groups[g].follow(actions, of: i, routers: &routers, at: now)
            for (member, memberActions) in outcome.actions { record(memberActions, by: member) }
            if let t = outcome.groupTransition { groupLog.append((now, groups[g].name, t.to)) }
        }
    }

    private mutating func record(_ actions: [Action], by i: Int) {
        let name = routers[i].configuration.name
        for action in actions {
            log.append(Event(time: now, router: name, action: action))
            switch action {
            case .addVirtualAddresses where !down.contains(name): holding.insert(name)
            case .removeVirtualAddresses: holding.remove(name)
            case .sendGratuitousARP where !down.contains(name): garpsInFlight.append((now + latency, name))
            default: break
            }
            noteAnswering()
            if case let .sendAdvertisement(advert) = action, !down.contains(name) {
                let source = routers[i].configuration.primaryAddress
                let payload = advert.encode(source: source, destination: source.vrrpMulticastGroup)
                inFlight.append((now + latency, name, Self.ipPacket(payload, from: source.ipv4!)))
            }
        }
    }

    private mutating func noteAnswering() {
        let answered = clientsPointAt.map { holding.contains($0) } ?? true
        let open = unanswered.last.map { $0.to == nil } ?? false
        if !answered, !open { unanswered.append((now, nil)) }
        if answered, open { unanswered[unanswered.count - 1].to = now }
    }

    private mutating func deliver(_ packet: [UInt8], from sender: String) {
        for i in routers.indices where !down.contains(routers[i].configuration.name) {
            // A multicast socket does not loop our own packets back (IP_MULTICAST_LOOP 0).
            guard routers[i].configuration.name != sender else { continue }
            // The daemon hands an advert only to the instance of its VRID.
            guard packet.count > 21, routers[i].configuration.virtualRouterID == packet[21] else { continue }
            do {
                let received = try ReceivedAdvertisement.decode(ipPacket: packet[...])
                let actions = try routers[i].receive(received, at: now)
                perform(actions, by: i)
            } catch {
                rejections.append((routers[i].configuration.name, error))
            }
        }
    }

    static func ipPacket(_ payload: [UInt8], from source: IPv4Address, ttl: UInt8 = 255) -> [UInt8] {
        let total = 20 + payload.count
        var header: [UInt8] = [0x45, 0xc0, UInt8(total >> 8), UInt8(total & 0xff), 0, 1, 0, 0, ttl, 112, 0, 0]
        header += source.bytes + IPv4Address.vrrpMulticastGroup.bytes
        return header + payload
    }
}

extension VirtualRouter.Configuration {
    /// A router of the usual pair: VRID 51, VIP 192.0.2.100, address 192.0.2.`host`.
    /// Its own interface eth0 is tracked with weight 0 (as the daemon plans it).
    static func pair(_ name: String, host: UInt8, priority: UInt8, version: VRRPVersion = .v2,
                     interval: Int64 = 1_000_000, vrid: UInt8 = 51, vip: UInt8 = 100, preempt: Bool = true,
                     tracked: [PriorityTracking.Object] = []) -> Self {
        VirtualRouter.Configuration(name: name, version: version, virtualRouterID: vrid, priority: priority,
                                    advertisementInterval: interval, preempt: preempt,
                                    authentication: version == .v2 ? .simple(password: Array("secret".utf8)) : .none,
                                    virtualAddresses: [.v4(IPv4Address(192, 0, 2, vip))],
                                    primaryAddress: .v4(IPv4Address(192, 0, 2, host)),
                                    tracked: [PriorityTracking.Object(.interface, "eth0")] + tracked)
    }
}
