#if canImport(Glibc)
import Glibc
#endif
import VigilTypes

/// This host answering the planner: the interface table read once (netlink), the user
/// database (getpwnam, getgrnam, getgrouplist), the scripts' files (realpath, lstat), the
/// daemon's uid (getuid) and the host name. Each plan gets a fresh one, so a reload sees
/// users and files as they are then.
public struct KernelPlanningHost: PlanningHost {
    public let interfaces: InterfaceTable
    public let daemonUID: uid_t
    public let defaultConfigID: String?
    public let uptime: Microseconds?

    /// The given interfaces, the rest from this host.
    public init(interfaces: InterfaceTable) {
        self.interfaces = interfaces
        daemonUID = getuid()
        defaultConfigID = VigilLinux.defaultConfigID()
        uptime = Monotonic.sinceBoot()
    }

    /// Reads this network namespace's interfaces now.
    public static func current() throws -> KernelPlanningHost {
        KernelPlanningHost(interfaces: try InterfaceTable.read())
    }

    public func credentials(user: String, group: String?) throws(ScriptProblem) -> ScriptCredentials {
        try ScriptCredentials.lookup(user: user, group: group)
    }

    public func scriptProblem(_ command: String, runningAs user: ScriptCredentials) -> ScriptProblem? {
        do { try ScriptSecurity.check(command, runningAs: user) } catch { return error }
        return nil
    }
}
