import VigilTypes

/// Which of Vigil's host routes are announced now, without I/O: a route is announced
/// while every condition of its `announce` block holds here — each virtual server it
/// follows has its quorum, each VRRP instance it follows is MASTER — and withdrawn as soon
/// as one does not. The routes are what a routing daemon (FRR's zebra, redistributing
/// kernel routes) turns into BGP announcements, so that several directors behind a
/// router's ECMP each draw traffic only while they can serve it.
///
/// The daemon asks again whenever a pool's quorum or an instance's state may have changed
/// (`evaluate`); only differences come out, each with the reason an operator reads in the
/// log and in `vigil status`.
public struct AnnouncementState: Sendable {
    /// One `announce` block, resolved to indices.
    public struct Route: Sendable, Equatable {
        public var address: InternetAddress
        /// Pools (virtual servers) that must each have their quorum.
        public var pools: [Int]
        /// VRRP instances that must each be MASTER.
        public var instances: [Int]

        public init(address: InternetAddress, pools: [Int] = [], instances: [Int] = []) {
            self.address = address
            self.pools = pools
            self.instances = instances
        }
    }

    /// What the edge does.
    public enum Change: Equatable, Sendable {
        case announce(InternetAddress, reason: String)
        case withdraw(InternetAddress, reason: String)
    }

    /// A route's state as last decided: announced or not, why, and since when.
    public struct Status: Equatable, Sendable {
        public var announced: Bool
        public var reason: String
        public var since: Instant
    }

    /// What the conditions are asked against, and how they are named in reasons.
    public struct Facts {
        public var hasQuorum: (Int) -> Bool
        public var isMaster: (Int) -> Bool
        public var poolName: (Int) -> String
        public var instanceName: (Int) -> String

        public init(hasQuorum: @escaping (Int) -> Bool, isMaster: @escaping (Int) -> Bool,
                    poolName: @escaping (Int) -> String, instanceName: @escaping (Int) -> String) {
            self.hasQuorum = hasQuorum
            self.isMaster = isMaster
            self.poolName = poolName
            self.instanceName = instanceName
        }
    }

    public let routes: [Route]
    /// Per route; nil until first evaluated.
    public private(set) var status: [Status?]

    public init(_ routes: [Route]) {
        self.routes = routes
        status = routes.map { _ in nil }
    }

    /// A reload's: a route of `old` at the same address keeps its state.
    public init(_ routes: [Route], carrying old: AnnouncementState) {
        self.init(routes)
        for (r, route) in routes.enumerated() {
            if let o = old.routes.firstIndex(where: { $0.address == route.address }) { status[r] = old.status[o] }
        }
    }

    /// The routes whose state changes now. The first evaluation says every route's state
    /// (a withdrawal then clears what an earlier run may have left).
    public mutating func evaluate(at now: Instant, _ facts: Facts) -> [Change] {
        var changes: [Change] = []
        for (r, route) in routes.enumerated() {
            let failing = route.pools.first { !facts.hasQuorum($0) }.map { "\(facts.poolName($0)) lacks its quorum" }
                ?? route.instances.first { !facts.isMaster($0) }.map { "vrrp_instance \(facts.instanceName($0)) is not MASTER" }
            let announced = failing == nil
            guard status[r]?.announced != announced else { continue }
            let reason = failing ?? Self.holding(route, facts)
            status[r] = Status(announced: announced, reason: reason, since: now)
            changes.append(announced ? .announce(route.address, reason: reason) : .withdraw(route.address, reason: reason))
        }
        return changes
    }

    /// Every announced route withdrawn (the daemon stops), for `reason`.
    public mutating func withdrawAll(reason: String, at now: Instant) -> [Change] {
        var changes: [Change] = []
        for r in routes.indices where status[r]?.announced == true {
            status[r] = Status(announced: false, reason: reason, since: now)
            changes.append(.withdraw(routes[r].address, reason: reason))
        }
        return changes
    }

    private static func holding(_ route: Route, _ facts: Facts) -> String {
        let parts = route.pools.map { "\(facts.poolName($0)) has its quorum" }
            + route.instances.map { "vrrp_instance \(facts.instanceName($0)) is MASTER" }
        return parts.joined(separator: ", ")
    }
}
