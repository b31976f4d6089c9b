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

    public var description: String { "\(user) (uid \(uid), gid \(gid))" }

    /// root, as the daemon itself runs.
    public static let root = ScriptCredentials(user: "root", uid: 0, gid: 0, groups: [0])

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
        return ScriptCredentials(user: user, uid: uid, gid: gid, groups: Array(list.prefix(Int(max(0, count)))))
    }
}

/// A script that cannot run: said plainly, for the log or `vigil run`'s refusal.
public struct ScriptProblem: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Starts scripts: `/bin/sh -c COMMAND` in a process group of its own (so a timeout can
/// kill whatever the script started), as the given user.
public enum ScriptProcess {
    /// Returns the child's PID.
    public static func spawn(_ command: String, as credentials: ScriptCredentials) throws(SystemCallError) -> pid_t {
        let words = ["/bin/sh", "-c", command]
        var argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) }
        argv.append(nil)
        defer { argv.forEach { free($0) } }
        let changeUser = credentials.uid != getuid() || credentials.gid != getgid()
        let pid = credentials.groups.withUnsafeBufferPointer { groups in
            vigil_spawn("/bin/sh", argv, environ, changeUser ? 1 : 0, credentials.uid, credentials.gid,
                        groups.baseAddress, Int32(groups.count))
        }
        guard pid > 0 else { throw SystemCallError("fork", errno: -pid) }
        return pid
    }

    /// How a reaped child ended.
    public enum Exit: Equatable, Sendable {
        case status(Int32)
        case signal(Int32)
    }

    /// Non-blocking: the child's exit if it has ended (and is now reaped).
    public static func reap(_ pid: pid_t) -> Exit? {
        var status: Int32 = 0
        guard waitpid(pid, &status, WNOHANG) == pid else { return nil }
        if status & 0x7f != 0 { return .signal(status & 0x7f) }
        return .status((status >> 8) & 0xff)
    }

    /// Signals the child's whole process group.
    public static func signal(_ pid: pid_t, _ signal: Int32) {
        if kill(-pid, signal) != 0 { kill(pid, signal) }
    }

    /// Signals the child's group and waits for the child to end (reaped, no zombie).
    public static func end(_ pid: pid_t, with signal: Int32 = SIGKILL) {
        self.signal(pid, signal)
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
    }
}

/// keepalived's `enable_script_security` test: a script (and every directory on its path)
/// must not be writable by anyone but root, or a local user could get their commands run
/// by the daemon. Insecure: owned by a user other than root (and other than the script
/// user, when it is not root), or writable by a non-root group or by everyone (sticky
/// directories such as /tmp excepted from the write test, as in keepalived).
public enum ScriptSecurity {
    /// The program a command line runs: its first word, looked up in PATH if it has no
    /// slash (keepalived searches the same way).
    public static func program(of command: String) -> String? {
        var word = ""
        var quote: Character?
        for ch in command.drop(while: { $0 == " " || $0 == "\t" }) {
            if let q = quote {
                if ch == q { quote = nil } else { word.append(ch) }
            } else if ch == "\"" || ch == "'" {
                quote = ch
            } else if ch == " " || ch == "\t" {
                break
            } else {
                word.append(ch)
            }
        }
        if word.isEmpty { return nil }
        if word.contains("/") { return word }
        for dir in ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"] {
            let path = "\(dir)/\(word)"
            if access(path, X_OK) == 0 { return path }
        }
        return nil
    }

    /// Throws the first reason `command` is not safe to run as `credentials`.
    public static func check(_ command: String, runningAs credentials: ScriptCredentials) throws(ScriptProblem) {
        guard let path = program(of: command) else {
            throw ScriptProblem("cannot find the program of '\(command)'")
        }
        guard path.hasPrefix("/") else {
            throw ScriptProblem("'\(path)' is not an absolute path (script security needs one)")
        }
        // The file that really runs: symbolic links (Debian's /bin -> usr/bin) resolved.
        guard let resolved = realpath(path, nil) else {
            throw ScriptProblem("\(path): \(String(cString: strerror(errno)))")
        }
        let real = String(cString: resolved)
        free(resolved)
        try checkPath(real, runningAs: credentials)
    }

    private static func checkPath(_ path: String, runningAs credentials: ScriptCredentials) throws(ScriptProblem) {
        var prefixes: [String] = ["/"]
        var current = ""
        for part in path.split(separator: "/") {
            current += "/" + part
            prefixes.append(current)
        }
        for (n, p) in prefixes.enumerated() {
            var st = stat()
            guard lstat(p, &st) == 0 else {
                throw ScriptProblem("\(p): \(String(cString: strerror(errno)))")
            }
            let isLast = n == prefixes.count - 1
            let type = st.st_mode & S_IFMT
            if !isLast && type != S_IFDIR { throw ScriptProblem("\(p) in the path of \(path) is not a directory") }
            if isLast && type != S_IFREG && type != S_IFLNK { throw ScriptProblem("\(path) is not a regular file") }
            let ownerOK = st.st_uid == 0 || (credentials.uid != 0 && st.st_uid == credentials.uid)
            if !ownerOK {
                throw ScriptProblem("\(p) is owned by uid \(st.st_uid), not root: that user could change what runs")
            }
            let sticky = type == S_IFDIR && st.st_mode & S_ISVTX != 0
            if !sticky && type != S_IFLNK {
                if st.st_gid != 0 && st.st_mode & S_IWGRP != 0 {
                    throw ScriptProblem("\(p) is writable by group \(st.st_gid): only root may be able to change it")
                }
                if st.st_mode & S_IWOTH != 0 {
                    throw ScriptProblem("\(p) is writable by everyone: only root may be able to change it")
                }
            }
        }
    }
}
