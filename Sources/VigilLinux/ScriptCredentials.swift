#if canImport(Glibc)
import Glibc
#endif
import CLinux

/// Who a script runs as: keepalived's `script_user USER [GROUP]` (or a `user` line of a
/// `vrrp_script`), resolved against the host's user database once, at start.
public struct ScriptCredentials: Hashable, Sendable, CustomStringConvertible {
    public var user: String
    public var uid: uid_t
    public var gid: gid_t
    /// Supplementary groups of the user (as `initgroups` would set them).
    public var groups: [gid_t]
    /// The user's home directory and login shell, for the environment a script run as
    /// another user gets (that user's, not the daemon's).
    public var home: String = "/"
    public var shell: String = "/bin/sh"

    public var description: String { "\(user) (uid \(uid), gid \(gid))" }

    /// root, as the daemon itself runs.
    public static let root = ScriptCredentials(user: "root", uid: 0, gid: 0, groups: [0], home: "/root")

    /// Whether running as these credentials means changing the daemon's identity.
    public var isOtherThanDaemon: Bool { uid != getuid() || gid != getgid() }

    /// The environment a script gets. As the daemon's own user: the daemon's environment
    /// without the variables that change how a program is loaded or a shell splits words
    /// (keepalived drops the same three). As another user: that user's clean login
    /// environment, so nothing of root's (a PATH with root's directories, credentials in
    /// variables) reaches an unprivileged script.
    public func environment(inheriting inherited: [String]) -> [String] {
        let dropped: Set<Substring> = ["IFS", "LD_PRELOAD", "LD_LIBRARY_PATH"]
        guard isOtherThanDaemon else {
            return inherited.filter { !dropped.contains($0.prefix { $0 != "=" }) }
        }
        var clean = ["PATH=/usr/local/bin:/usr/bin:/bin", "HOME=\(home)", "USER=\(user)", "LOGNAME=\(user)", "SHELL=\(shell)"]
        // The language settings are not secrets and keep a script's messages readable.
        clean += inherited.filter { $0.hasPrefix("LANG=") || $0.hasPrefix("LC_ALL=") }
        return clean
    }

    /// Looks up `user` and, if given, `group` (else the user's primary group).
    public static func lookup(user: String, group: String?) throws(ScriptProblem) -> ScriptCredentials {
        guard let pw = getpwnam(user) else { throw ScriptProblem("script user '\(user)' does not exist on this host") }
        let uid = pw.pointee.pw_uid
        var gid = pw.pointee.pw_gid
        if let group {
            guard let gr = getgrnam(group) else { throw ScriptProblem("script group '\(group)' does not exist on this host") }
            gid = gr.pointee.gr_gid
        }
        var count: Int32 = 64
        var list = [gid_t](repeating: 0, count: Int(count))
        if getgrouplist(user, gid, &list, &count) < 0 {
            list = [gid_t](repeating: 0, count: Int(count))
            _ = getgrouplist(user, gid, &list, &count)
        }
        let home = pw.pointee.pw_dir.map { String(cString: $0) } ?? "/"
        let shell = pw.pointee.pw_shell.map { String(cString: $0) } ?? "/bin/sh"
        return ScriptCredentials(user: user, uid: uid, gid: gid, groups: Array(list.prefix(Int(max(0, count)))),
                                 home: home, shell: shell)
    }
}

/// A script that cannot run: said plainly, for the log or `vigil run`'s refusal.
public struct ScriptProblem: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
