#if canImport(Glibc)
import Glibc
#endif
import VigilTypes

/// The host facts a plan is made from, beyond the configuration: the interfaces, the user
/// database, the files of the scripts, the daemon's own user and name. Planning asks only
/// this protocol, never the kernel, so the same configuration against the same answers
/// always gives the same plan; `vigil run` answers from this host (`KernelPlanningHost`),
/// the tests and the plan fuzzer from a table (`StaticPlanningHost`, VigilPlan).
///
/// A protocol asked during planning rather than a value gathered before it: which user a
/// script runs as, and so which (command, user) pairs need a verdict, is itself decided by
/// planning (`script_user`, a `vrrp_script`'s `user`, a MISC_CHECK's `user`), so a value
/// gathered first would need a second walk of the configuration mirroring the plan's.
public protocol PlanningHost {
    /// The interfaces and their addresses, as one snapshot.
    var interfaces: InterfaceTable { get }
    /// The user the daemon runs as: scripts run as another user need the capabilities to
    /// switch to it.
    var daemonUID: uid_t { get }
    /// keepalived's default `--config-id` (the short host name), nil when unknown.
    var defaultConfigID: String? { get }
    /// Time since the machine booted, for `vrrp_delay_after_boot`; nil when unknown.
    var uptime: Microseconds? { get }
    /// `user` (and `group`, else the user's primary group) resolved, or why not.
    func credentials(user: String, group: String?) throws(ScriptProblem) -> ScriptCredentials
    /// Why `enable_script_security` refuses to run `command` as `user`, or nil when it is safe.
    func scriptProblem(_ command: String, runningAs user: ScriptCredentials) -> ScriptProblem?
}
