#if canImport(Glibc)
import Glibc
#endif
import VigilTypes
import VigilLinux

/// A host described by tables, for the plan's tests and the plan fuzzer: interfaces, users,
/// groups and the files scripts live in, all in memory. Its answers follow this host's
/// rules and words (`ScriptSecurity`'s test runs on `files`; a missing user or group is
/// said as `ScriptCredentials.lookup` says it), so a plan made against it reads as one made
/// on a box with the same facts.
public struct StaticPlanningHost: PlanningHost, ScriptFiles, Sendable {
    public var interfaces: InterfaceTable
    /// By name. root is there unless taken out.
    public var users: [String: ScriptCredentials]
    /// Group name → gid.
    public var groups: [String: gid_t]
    /// Path → status. No symbolic links are followed: a path is its own real path.
    public var files: [String: ScriptFileStatus]
    public var daemonUID: uid_t
    public var defaultConfigID: String?
    /// Time since boot (`vrrp_delay_after_boot`); nil: unknown.
    public var uptime: Microseconds?

    public init(interfaces: InterfaceTable = InterfaceTable(interfaces: [:]),
                users: [String: ScriptCredentials] = ["root": .root], groups: [String: gid_t] = ["root": 0],
                files: [String: ScriptFileStatus] = StaticPlanningHost.rootTree, daemonUID: uid_t = 0,
                defaultConfigID: String? = nil, uptime: Microseconds? = nil) {
        self.interfaces = interfaces
        self.users = users
        self.groups = groups
        self.files = files
        self.daemonUID = daemonUID
        self.defaultConfigID = defaultConfigID
        self.uptime = uptime
    }

    /// /, /bin, /usr, /usr/bin, /usr/libexec and /etc owned by root and writable only by it, with
    /// /bin/sh and /bin/true in /bin: enough for a script line to pass the security test.
    public static let rootTree: [String: ScriptFileStatus] = [
        "/": .init(kind: .directory, permissions: 0o755),
        "/bin": .init(kind: .directory, permissions: 0o755),
        "/bin/sh": .init(kind: .regularFile, permissions: 0o755),
        "/bin/true": .init(kind: .regularFile, permissions: 0o755),
        "/usr": .init(kind: .directory, permissions: 0o755),
        "/usr/bin": .init(kind: .directory, permissions: 0o755),
        "/usr/libexec": .init(kind: .directory, permissions: 0o755),
        "/etc": .init(kind: .directory, permissions: 0o755),
    ]

    public func credentials(user: String, group: String?) throws(ScriptProblem) -> ScriptCredentials {
        guard var found = users[user] else { throw ScriptProblem("script user '\(user)' does not exist on this host") }
        if let group {
            guard let gid = groups[group] else { throw ScriptProblem("script group '\(group)' does not exist on this host") }
            found.gid = gid
            if !found.groups.contains(gid) { found.groups.insert(gid, at: 0) }
        }
        return found
    }

    public func scriptProblem(_ command: String, runningAs user: ScriptCredentials) -> ScriptProblem? {
        do { try ScriptSecurity.check(command, runningAs: user, in: self) } catch { return error }
        return nil
    }

    public func isExecutable(_ path: String) -> Bool {
        guard let file = files[path] else { return false }
        return file.kind == .regularFile && file.permissions & 0o111 != 0
    }

    public func realPath(_ path: String) throws(ScriptProblem) -> String {
        guard files[path] != nil else { throw ScriptProblem("\(path): No such file or directory") }
        return path
    }

    public func status(_ path: String) throws(ScriptProblem) -> ScriptFileStatus {
        guard let file = files[path] else { throw ScriptProblem("\(path): No such file or directory") }
        return file
    }
}
