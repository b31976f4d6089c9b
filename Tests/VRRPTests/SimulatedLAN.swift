@testable import VRRP
import VigilTypes

/// Boxes on one in-memory multicast segment with a virtual clock.
///
/// Each box is a `VRRPEngine`, the daemon's own: routers with the same primary address
/// are instances of one box, so a sync group and the VRID lookup work as on a real box.
/// Every advertisement goes through the real codec: encoded to bytes, wrapped in an IPv4
/// header with TTL 255, decoded by each receiving box. The clock jumps from deadline to
/// deadline, so a 10-second scenario costs microseconds.
struct SimulatedLAN {
    struct Event: Equatable, CustomStringConvertible {
        var time: Instant
        var router: String
        var action: Action
        var description: String { "\(time) \(router): \(action)" }
    }

    /// The boxes, by primary address, each with the one link it is on (channel 0).
    private(set) var boxes: [InternetAddress: VRRPEngine] = [:]
    /// Where each router lives: its box and its ID there.
    private var place: [String: (box: InternetAddress, id: VRRPEngine.InstanceID)] = [:]
    /// Router names in the order they were added.
    private var names: [String] = []
    /// Routers that are cut off (crashed with their box): they neither send nor receive.
    private(set) var down: Set<String> = []
    private(set) var now = Instant.zero
    private(set) var log: [Event] = []
    private(set) var rejections: [(router: String, rejection: Rejection)] = []
    /// One-way delay of the segment.
    var latency: Int64 = 100
    private var inFlight: [(arrival: Instant, sender: InternetAddress, packet: [UInt8])] = []

    /// The routers holding the VIPs now (added, not yet removed; a crashed box answers
    /// nobody), and the router the clients' neighbour caches point at: the sender of the
    /// last gratuitous ARP to reach them (after `latency`, like an advert).
    private(set) var holding: Set<String> = []
    private(set) var clientsPointAt: String?
    private var garpsInFlight: [(arrival: Instant, sender: String)] = []
    /// How much later than its VRRP adverts a router's gratuitous ARPs leave: 0 for Vigil
    /// (it announces before it advertises); keepalived advertises first, then adds the
    /// VIPs and announces them — on a loaded box tens of milliseconds later.
    var announcementDelay: [String: Int64] = [:]
    /// Whether a router's gratuitous ARPs reach the other routers' boxes (the edge's
    /// announcement watcher); false models a successor that cannot be heard announcing.
    var announcementsHeard = true
    /// The intervals in which the router the clients point at did not hold the VIPs: their
    /// packets went unanswered (an open interval has no end yet).
    private(set) var unanswered: [(from: Instant, to: Instant?)] = []

    /// The longest time the clients went unanswered (0: never).
    var longestUnanswered: Int64 {
        unanswered.map { ($0.to ?? now) - $0.from }.max() ?? 0
    }

    /// Every router, in the order added.
    var routers: [VirtualRouter] { names.map(router) }

    /// Every sync group, in the order made.
    private var groupOrder: [(box: InternetAddress, index: Int)] = []
    var groups: [SyncGroupCoordinator] { groupOrder.map { boxes[$0.box]!.syncGroups[$0.index] } }
    private(set) var groupLog: [(time: Instant, group: String, to: VRRPState)] = []

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

    /// A router on the box of its primary address (a new box for a new address).
    mutating func add(_ configuration: VirtualRouter.Configuration) {
        let box = configuration.primaryAddress
        let id = boxes[box, default: VRRPEngine()].add(VirtualRouter(configuration), channel: 0)
        place[configuration.name] = (box, id)
        names.append(configuration.name)
    }

    func router(_ name: String) -> VirtualRouter {
        let p = place[name]!
        return boxes[p.box]![p.id]
    }
    func state(_ name: String) -> VRRPState { router(name).state }

    /// Starts a router at the current time.
    mutating func start(_ name: String) { drive(name) { e, id, now in e.start(id, resuming: .initialize, at: now) } }
    mutating func shutdown(_ name: String, limit: Int64 = .max) { drive(name) { $0.shutdown($1, at: $2, limit: limit) } }
    /// A second stop signal: the VIPs still held go now.
    mutating func release(_ name: String) { drive(name) { $0.releaseAddresses($1, at: $2) } }
    /// The edge saw another box announce one of `name`'s VIPs.
    mutating func announcementHeard(_ name: String) {
        let p = place[name]!
        boxes[p.box]!.announcementHeard(p.id, at: now)
    }
    mutating func resign(_ name: String) { drive(name) { $0.resign($1, at: $2) } }
    mutating func overridePriority(_ name: String, _ value: UInt8?) { drive(name) { $0.overridePriority(value, instance: $1, at: $2) } }
    /// A live reload that changed the router's settings: a new core, started from the
    /// state the old one had.
    mutating func reload(_ name: String, with configuration: VirtualRouter.Configuration) {
        let p = place[name]!
        let previous = boxes[p.box]![p.id].state
        boxes[p.box]!.replace(p.id, with: VirtualRouter(configuration))
        drive(name) { $0.start($1, resuming: previous, at: $2) }
    }
    mutating func interfaceDown(_ name: String, _ link: String = "eth0") { track(name, .interface, link, .down) }
    mutating func interfaceUp(_ name: String, _ link: String = "eth0") { track(name, .interface, link, .up) }
    /// A tracked object of `name` reads `reading` now.
    mutating func track(_ name: String, _ kind: PriorityTracking.Object.Kind, _ object: String,
                        _ reading: PriorityTracking.Reading) {
        drive(name) { $0.track(reading, kind: kind, name: object, instance: $1, at: $2) }
    }
    /// A sync group of routers on one box, by member names.
    mutating func group(_ name: String, _ memberNames: [String]) {
        let box = place[memberNames[0]]!.box
        precondition(memberNames.allSatisfy { place[$0]!.box == box }, "a sync group lives on one box")
        boxes[box]!.add(SyncGroupCoordinator(name: name, members: memberNames.map { place[$0]!.id }))
        groupOrder.append((box, boxes[box]!.syncGroups.count - 1))
    }
    /// The host vanishes: its daemon is killed and its link cut; nothing more is sent by
    /// any of its instances.
    mutating func crash(_ name: String) {
        let box = place[name]!.box
        for router in boxes[box]!.routers {
            down.insert(router.configuration.name)
            holding.remove(router.configuration.name)
        }
        noteAnswering()
    }

    private func isDown(_ box: InternetAddress) -> Bool {
        boxes[box]!.routers.contains { down.contains($0.configuration.name) }
    }

    /// A stopped daemon restarts: a new core in Initialize (started with `start`).
    mutating func restart(_ name: String) {
        let p = place[name]!
        boxes[p.box]!.replace(p.id, with: VirtualRouter(boxes[p.box]![p.id].configuration))
    }

    /// A router's advert: what a peer would send (a spoofer, a keepalived in the test).
    mutating func inject(_ advert: Advertisement, from source: IPv4Address, to name: String) throws(Rejection) {
        let payload = advert.encode(source: .v4(source), destination: InternetAddress.v4(source).vrrpMulticastGroup)
        let received = try ReceivedAdvertisement.decode(ipPacket: Self.ipPacket(payload, from: source)[...])
        let box = place[name]!.box
        switch boxes[box]!.receive(received, on: 0, at: now) {
        case let .accepted(_, outputs): record(outputs, on: box)
        case let .rejected(_, rejection), let .unclaimed(rejection): throw rejection
        case .beforeStart: break
        }
    }

    /// Delivers packets and fires timers in time order up to `end`.
    mutating func run(until end: Instant) {
        for _ in 0..<1_000_000 {
            let nextPacket = inFlight.map(\.arrival).min()
            let nextGARP = garpsInFlight.map(\.arrival).min()
            let nextTimer = names.filter { !down.contains($0) }.compactMap { router($0).nextDeadline }.min()
            guard let next = [nextPacket, nextGARP, nextTimer].compactMap({ $0 }).min(), next <= end else { break }
            now = next
            if let i = garpsInFlight.firstIndex(where: { $0.arrival == next }) {
                let sender = garpsInFlight.remove(at: i).sender
                clientsPointAt = sender
                noteAnswering()
                if announcementsHeard { announcementReachesPeers(from: sender) }
                continue
            }
            if let i = inFlight.firstIndex(where: { $0.arrival == next }) {
                let packet = inFlight.remove(at: i)
                deliver(packet.packet, from: packet.sender)
                continue
            }
            // A crashed box's timers stop with it.
            for box in boxes.keys.sorted(by: { $0.description < $1.description }) where !isDown(box) {
                guard let d = boxes[box]!.nextDeadline, d <= now else { continue }
                record(boxes[box]!.advance(to: now), on: box)
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

    private mutating func drive(_ name: String,
                                _ body: (inout VRRPEngine, VRRPEngine.InstanceID, Instant) -> [VRRPEngine.Output]) {
        let p = place[name]!
        let outputs = body(&boxes[p.box]!, p.id, now)
        record(outputs, on: p.box)
    }

    private mutating func record(_ outputs: [VRRPEngine.Output], on box: InternetAddress) {
        for output in outputs {
            switch output {
            case let .syncGroup(g, _, to):
                groupLog.append((now, boxes[box]!.syncGroups[g].name, to))
            case let .instance(id, action):
                let name = boxes[box]![id].configuration.name
                log.append(Event(time: now, router: name, action: action))
                switch action {
                case .addVirtualAddresses where !down.contains(name): holding.insert(name)
                case .removeVirtualAddresses: holding.remove(name)
                case .sendGratuitousARP where !down.contains(name):
                    garpsInFlight.append((now + latency + (announcementDelay[name] ?? 0), name))
                default: break
                }
                noteAnswering()
                if case let .sendAdvertisement(advert) = action, !down.contains(name) {
                    let payload = advert.encode(source: box, destination: box.vrrpMulticastGroup)
                    inFlight.append((now + latency, box, Self.ipPacket(payload, from: box.ipv4!)))
                }
            }
        }
    }

    private mutating func noteAnswering() {
        let answered = clientsPointAt.map { holding.contains($0) } ?? true
        let open = unanswered.last.map { $0.to == nil } ?? false
        if !answered, !open { unanswered.append((now, nil)) }
        if answered, open { unanswered[unanswered.count - 1].to = now }
    }

    /// A gratuitous ARP reaches every other box's instance of the sender's VRID (they
    /// share its VIPs), as the daemon's announcement watcher reports it.
    private mutating func announcementReachesPeers(from sender: String) {
        let origin = place[sender]!
        let vrid = boxes[origin.box]![origin.id].configuration.virtualRouterID
        for (name, p) in place where p.box != origin.box && !down.contains(name) {
            guard boxes[p.box]![p.id].configuration.virtualRouterID == vrid else { continue }
            boxes[p.box]!.announcementHeard(p.id, at: now)
        }
    }

    /// A multicast packet reaches every other box (IP_MULTICAST_LOOP 0: not its sender);
    /// the box's engine finds the instance of its VRID.
    private mutating func deliver(_ packet: [UInt8], from sender: InternetAddress) {
        for box in boxes.keys.sorted(by: { $0.description < $1.description }) where box != sender && !isDown(box) {
            let received: ReceivedAdvertisement
            do { received = try ReceivedAdvertisement.decode(ipPacket: packet[...]) } catch {
                for router in boxes[box]!.routers { rejections.append((router.configuration.name, error)) }
                continue
            }
            switch boxes[box]!.receive(received, on: 0, at: now) {
            case let .accepted(_, outputs): record(outputs, on: box)
            case let .rejected(id, rejection): rejections.append((boxes[box]![id].configuration.name, rejection))
            case .unclaimed, .beforeStart: break
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
