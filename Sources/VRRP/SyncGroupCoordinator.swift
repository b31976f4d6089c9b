import VigilTypes
/// keepalived's `vrrp_sync_group`: instances that change state together, so that (for
/// example) the outside and inside VIPs of a router always sit on the same box.
///
/// - one member becoming master takes the others (that are backup) with it;
/// - one member falling back from master to backup takes the others with it;
/// - a fault of its own in any member puts every member in Fault, and the group leaves
///   Fault only when no member has a fault of its own left.
///
/// Sans-IO like `VirtualRouter`: the edge calls `follow` after it performed a member's
/// actions, and performs the actions this returns.
public struct SyncGroupCoordinator: Sendable {
    public let name: String
    /// Indices of the members in the edge's array of routers.
    public let members: [Int]
    /// The group's own state, for its notify scripts: Fault if any member is, Master or
    /// Backup when every member is.
    public private(set) var state: VRRPState = .initialize

    /// `state`: the group's state carried over a live reload that left the group as it was.
    public init(name: String, members: [Int], state: VRRPState = .initialize) {
        self.name = name
        self.members = members
        self.state = state
    }

    public struct Outcome: Sendable {
        /// Actions for members, in the order to perform them.
        public var actions: [(member: Int, actions: [Action])] = []
        /// The group's new state, when it changed.
        public var groupTransition: (from: VRRPState, to: VRRPState)?
    }

    /// Applies the group's rules after `member` performed `actions`.
    public mutating func follow(_ actions: [Action], of member: Int, routers: inout [VirtualRouter],
                                at now: Instant) -> Outcome {
        var outcome = Outcome()
        let memberName = routers[member].configuration.name
        let groupFault = FaultReason.syncGroup(name)
        let faulty = members.contains { m in routers[m].faults.contains { $0 != groupFault } }
        for m in members {
            let a = routers[m].setFault(groupFault, faulty, at: now)
            if !a.isEmpty { outcome.actions.append((m, a)) }
        }
        for action in actions {
            guard case let .transition(from, to, _) = action, routers[member].state == to else { continue }
            for m in members where m != member {
                var a: [Action] = []
                if to == .master {
                    a = routers[m].followGroupToMaster(group: name, member: memberName, at: now)
                } else if to == .backup, from == .master {
                    a = routers[m].followGroupToBackup(group: name, member: memberName, at: now)
                }
                if !a.isEmpty { outcome.actions.append((m, a)) }
            }
        }
        let states = members.map { routers[$0].state }
        var newState = state
        if states.contains(.fault) {
            newState = .fault
        } else if states.allSatisfy({ $0 == .master }) {
            newState = .master
        } else if states.allSatisfy({ $0 == .backup }) {
            newState = .backup
        } else if states.allSatisfy({ $0 == .initialize }) {
            newState = .initialize
        }
        if newState != state {
            outcome.groupTransition = (state, newState)
            state = newState
        }
        return outcome
    }
}
