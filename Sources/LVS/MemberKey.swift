/// A real server as the operator names it (`vigil drain VS RS`) and as a reload
/// recognises it in the new configuration: the virtual server as written and the real
/// server's `ADDR:PORT`.
public struct MemberKey: Hashable, Sendable {
    public var virtualServer: String
    public var realServer: String

    public init(_ pool: Pool, _ member: Pool.Member) {
        virtualServer = pool.key
        realServer = member.endpoint
    }
}
