import VigilTypes

/// The state of every virtual server's pool, and keepalived's rules for changing it, as a
/// value: what the checkers said of each real server, the operator's drains, the
/// misc_dynamic weights, whether each pool has its quorum, and which `ha_suspend`
/// addresses are on this box. Every change goes through one of its functions and comes
/// back as `PoolEvent`s for the daemon to act on; `desiredTable` is what the kernel should
/// hold now. No I/O: the rules are tested here without a kernel, a clock or a checker.
public struct PoolState: Sendable {
    /// What is known of one real server.
    public struct RealServer: Sendable, Equatable {
        /// Its checkers' verdicts (keepalived: up only while every one passes).
        public internal(set) var health: RealServerHealth
        /// `vigil drain`: weight 0 until undrained (established connections finish).
        public internal(set) var drained = false
        /// The latest `misc_dynamic` weight, which replaces the configured one while up.
        public internal(set) var dynamicWeight: Int32?
        /// The last check's outcome as `vigil status` shows it; nil before the first.
        public internal(set) var lastCheck: String?

        public var isUp: Bool { health.isUp }

        init(_ member: Pool.Member) {
            health = RealServerHealth(checkerCount: member.checks.count, alpha: member.alpha)
        }
    }

    /// `vigil drain` / `undrain` found the real server: which one, and whether its drain
    /// changed (false: it already was, or was not, drained).
    public struct Drain: Equatable, Sendable {
        public var pool: Int
        public var member: Int
        public var changed: Bool
    }

    /// Why `vigil drain` names no single real server, as the operator reads it.
    public enum DrainRefusal: Error, Equatable, Sendable, CustomStringConvertible {
        case noVirtualServer(String, known: [String])
        case noRealServer(String, in: String, known: [String])
        case ambiguous(String, in: String)

        public var description: String {
            switch self {
            case let .noVirtualServer(vs, known):
                return "no virtual server \(vs); there are: \(known.joined(separator: ", "))"
            case let .noRealServer(rs, vs, known):
                return "virtual server \(vs) has no real server \(rs); it has: \(known.joined(separator: ", "))"
            case let .ambiguous(rs, vs):
                return "\(rs) is ambiguous in \(vs): say ADDRESS:PORT"
            }
        }
    }

    /// Whose checker a check id is: the pool, the member, and the checker's index among
    /// the member's checkers (the slot its verdict fills in `RealServerHealth`).
    private struct Owner: Sendable {
        var pool: Int
        var member: Int
        var checker: Int
    }

    public private(set) var pools: [Pool]
    /// Per pool, per member.
    public private(set) var realServers: [[RealServer]]
    /// Per pool: whether it has its quorum. It changes with hysteresis (`recordHealth`),
    /// so a live weight between the two thresholds keeps whatever the pool had.
    private var quorate: [Bool]
    /// `ha_suspend`: per pool, which of its addresses are on this box now.
    private var present: [Set<InternetAddress>]
    private let owners: [CheckID: Owner]

    /// A fresh state: no check has reported, so a member with `alpha` is down and any other
    /// up; a pool has its quorum when the live weight reaches `quorum` (the hysteresis
    /// applies only to changes); no address is known present.
    public init(_ pools: [Pool]) {
        self.pools = pools
        realServers = pools.map { $0.members.map(RealServer.init) }
        present = pools.map { _ in [] }
        var owners: [CheckID: Owner] = [:]
        for (p, pool) in pools.enumerated() {
            for (m, member) in pool.members.enumerated() {
                for (checker, id) in member.checks.enumerated() where owners[id] == nil {
                    owners[id] = Owner(pool: p, member: m, checker: checker)
                }
            }
        }
        self.owners = owners
        quorate = []
        quorate = pools.indices.map { liveWeightReachesQuorum($0) }
    }

    private func liveWeight(_ p: Int) -> Int {
        pools[p].liveWeight { realServers[p][$0].isUp }
    }

    private func liveWeightReachesQuorum(_ p: Int) -> Bool {
        liveWeight(p) >= pools[p].quorum
    }

    public func hasQuorum(_ pool: Int) -> Bool { quorate[pool] }

    /// A checker's own state (keepalived's `is_up` and `has_run`), nil for an id no pool
    /// owns: what its next result is compared with for an SMTP alert.
    public func checker(_ id: CheckID) -> RealServerHealth.CheckerState? {
        guard let owner = owners[id] else { return nil }
        return realServers[owner.pool][owner.member].health.checker(owner.checker)
    }

    // MARK: - Check results

    /// One checker's final outcome (after its retries), whichever kind of checker it is.
    /// An id no pool owns (a result from before a reload) is ignored.
    public mutating func record(check id: CheckID, _ outcome: CheckOutcome) -> [PoolEvent] {
        guard let owner = owners[id] else { return [] }
        let (p, m) = (owner.pool, owner.member)
        var events: [PoolEvent] = []
        if case let .upWithWeight(w) = outcome, realServers[p][m].dynamicWeight != w {
            realServers[p][m].dynamicWeight = w
            events.append(.weightChanged(pool: p, member: m, weight: w))
        }
        realServers[p][m].lastCheck = "\(outcome)"
        let result: RealServerHealth.Result = outcome.isUp ? .up : .down(reason: "\(outcome)")
        if let change = realServers[p][m].health.record(result, checker: owner.checker) {
            switch change {
            case .up: events.append(.realServerUp(pool: p, member: m))
            case let .down(reason): events.append(.realServerDown(pool: p, member: m, reason: reason))
            }
            events += updateQuorum(p)
        }
        if !events.isEmpty { events.append(.tableChanged) }
        return events
    }

    /// keepalived's hysteresis: a pool with its quorum loses it only when the live weight
    /// falls below quorum − hysteresis, and one without gains it only at quorum +
    /// hysteresis, so a member flapping at the threshold does not flap the sorry server
    /// and the quorum scripts with it.
    private mutating func updateQuorum(_ p: Int) -> [PoolEvent] {
        let pool = pools[p]
        let live = liveWeight(p)
        if quorate[p], live < pool.quorum - pool.hysteresis {
            quorate[p] = false
            return [.quorumLost(pool: p, liveWeight: live)]
        }
        if !quorate[p], live >= pool.quorum + pool.hysteresis {
            quorate[p] = true
            return [.quorumGained(pool: p, liveWeight: live)]
        }
        return []
    }

    // MARK: - The kernel's table

    /// What the kernel's IPVS table should hold now: every pool's live members (a drained
    /// one at weight 0, one with a misc_dynamic weight at that weight), its down members at
    /// weight 0 if `inhibit_on_failure`, its sorry server while it lacks its quorum.
    public var desiredTable: IPVSTable {
        IPVSTable(pools.indices.flatMap(desiredServices(ofPool:)))
    }

    /// What the kernel should hold now for pool `p` alone: a change in one pool is
    /// reconciled without building the whole table.
    public func desiredServices(ofPool p: Int) -> [IPVSService] {
        let servers = realServers[p]
        return pools[p].services(up: { servers[$0].isUp }, hasQuorum: quorate[p],
                                 weight: { servers[$0].drained ? 0 : servers[$0].dynamicWeight })
    }

    // MARK: - The operator's drain

    /// `vigil drain VS RS` (`on`) or `vigil undrain VS RS`. The real server is named by
    /// `ADDR:PORT`, or by its address alone when that is unambiguous in the virtual server.
    /// The drain belongs to the name, so every pool written with the same virtual server
    /// key drains that real server together.
    public mutating func drain(virtualServer: String, realServer: String, _ on: Bool) -> Result<Drain, DrainRefusal> {
        let candidates = pools.indices.filter { pools[$0].key == virtualServer }
        guard !candidates.isEmpty else { return .failure(.noVirtualServer(virtualServer, known: pools.map(\.key))) }
        let matches = candidates.flatMap { p in
            pools[p].members.indices.filter { m in
                let member = pools[p].members[m]
                return member.endpoint == realServer || member.destination.key.address.description == realServer
            }.map { (p, $0) }
        }
        guard let (p, m) = matches.first else {
            let known = candidates.flatMap { pools[$0].members.map(\.endpoint) }
            return .failure(.noRealServer(realServer, in: virtualServer, known: known))
        }
        guard Set(matches.map { pools[$0.0].members[$0.1].endpoint }).count == 1 else {
            return .failure(.ambiguous(realServer, in: virtualServer))
        }
        let key = MemberKey(pools[p], pools[p].members[m])
        var changed = false
        for q in pools.indices {
            for n in pools[q].members.indices where MemberKey(pools[q], pools[q].members[n]) == key {
                changed = changed || realServers[q][n].drained != on
                realServers[q][n].drained = on
            }
        }
        return .success(Drain(pool: p, member: m, changed: changed))
    }

    // MARK: - ha_suspend

    /// The checkers of pool `p`.
    public func checks(ofPool p: Int) -> [CheckID] { pools[p].members.flatMap(\.checks) }

    /// Whether any pool has `ha_suspend` (then the daemon reads the box's addresses).
    public var watchesAddresses: Bool { pools.contains { !$0.haSuspendAddresses.isEmpty } }

    /// Whether pool `p`'s checkers are suspended: `ha_suspend` and none of its addresses here.
    public func isSuspended(_ p: Int) -> Bool {
        !pools[p].haSuspendAddresses.isEmpty && present[p].isEmpty
    }

    /// Every suspended checker.
    public var suspendedChecks: Set<CheckID> {
        Set(pools.indices.filter(isSuspended).flatMap(checks(ofPool:)))
    }

    /// The addresses on this box when the checkers start (later the VRRP instances say
    /// what they add and remove: `addressesChanged`).
    public mutating func addressesOnThisBox(_ local: Set<InternetAddress>) {
        for p in pools.indices {
            present[p] = Set(pools[p].haSuspendAddresses).intersection(local)
        }
    }

    /// A VRRP instance added (`present`) or removed these addresses: an `ha_suspend` pool
    /// whose last address left suspends its checkers, one whose address came back resumes
    /// them, as keepalived does on its netlink address events.
    public mutating func addressesChanged(_ addresses: [InternetAddress], present isPresent: Bool) -> [PoolEvent] {
        var events: [PoolEvent] = []
        for p in pools.indices where !pools[p].haSuspendAddresses.isEmpty {
            let mine = addresses.filter(pools[p].haSuspendAddresses.contains)
            guard !mine.isEmpty else { continue }
            let before = isSuspended(p)
            if isPresent { present[p].formUnion(mine) } else { present[p].subtract(mine) }
            let after = isSuspended(p)
            guard before != after else { continue }
            events.append(.checksSuspended(pool: p, checks: checks(ofPool: p), suspended: after))
        }
        return events
    }

    // MARK: - Reload

    /// The state for a reloaded configuration. A real server in both (same virtual server
    /// key, same `ADDR:PORT`) keeps its drain, and — when it has as many checkers as before,
    /// or its verdicts would not fit — its health, last result and misc_dynamic weight, so
    /// a reload never takes a healthy server out while its checks warm up again. A new one
    /// starts fresh; a removed one is gone. Quorum is judged afresh from the kept health
    /// (no hysteresis, as at start), and `ha_suspend` presence is read again by the caller.
    public func carryOver(into newPools: [Pool]) -> PoolState {
        var carried: [MemberKey: (checkers: Int, server: RealServer)] = [:]
        var drained: Set<MemberKey> = []
        for (p, pool) in pools.enumerated() {
            for (m, member) in pool.members.enumerated() {
                let key = MemberKey(pool, member)
                if !member.checks.isEmpty { carried[key] = (member.checks.count, realServers[p][m]) }
                if realServers[p][m].drained { drained.insert(key) }
            }
        }
        var next = PoolState(newPools)
        for (p, pool) in newPools.enumerated() {
            for (m, member) in pool.members.enumerated() {
                let key = MemberKey(pool, member)
                if let kept = carried[key], kept.checkers == member.checks.count {
                    next.realServers[p][m].health = kept.server.health
                    next.realServers[p][m].lastCheck = kept.server.lastCheck
                    next.realServers[p][m].dynamicWeight = kept.server.dynamicWeight
                }
                next.realServers[p][m].drained = drained.contains(key)
            }
        }
        next.quorate = newPools.indices.map { next.liveWeightReachesQuorum($0) }
        return next
    }
}
