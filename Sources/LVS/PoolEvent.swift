/// What a change of the pools' state asks of the daemon, in the order it happened:
/// `PoolState` decides, the runner acts (logs, notify scripts, metrics, the kernel's
/// table). Pools and members are named by their indices in `PoolState.pools`.
public enum PoolEvent: Equatable, Sendable {
    /// The pool the event is about (nil: `tableChanged`, which is about the batch).
    public var pool: Int? {
        switch self {
        case let .weightChanged(p, _, _), let .realServerUp(p, _), let .realServerDown(p, _, _), let .quorumGained(p, _),
             let .quorumLost(p, _), let .checksSuspended(p, _, _):
            return p
        case .tableChanged:
            return nil
        }
    }

    /// A MISC_CHECK with `misc_dynamic` reported a new weight for the member.
    case weightChanged(pool: Int, member: Int, weight: Int32)
    /// The member's checkers all pass again (or, with `alpha`, for the first time):
    /// `notify_up` runs.
    case realServerUp(pool: Int, member: Int)
    /// One of the member's checkers failed, for `reason`: `notify_down` runs.
    case realServerDown(pool: Int, member: Int, reason: String)
    /// The live weight reached quorum + hysteresis: `quorum_up` runs, the sorry server
    /// leaves.
    case quorumGained(pool: Int, liveWeight: Int)
    /// The live weight fell below quorum − hysteresis: `quorum_down` runs, the sorry
    /// server stands in.
    case quorumLost(pool: Int, liveWeight: Int)
    /// What `desiredTable` is made of changed (a member's health or dynamic weight): the
    /// kernel's table is reconciled against it once the batch of results is in. The
    /// difference may turn out empty (an inhibited member at weight 0 going down); the
    /// runner still reconciles and says so, as it always has.
    case tableChanged
    /// `ha_suspend`: the pool's checkers pause (`suspended`) or resume, because the last
    /// of its addresses left this box or one came back.
    case checksSuspended(pool: Int, checks: [CheckID], suspended: Bool)
}
