#if canImport(Glibc)
import Glibc
#endif

/// keepalived's `enable_script_security` test: a script (and every directory on its path)
/// must not be writable by anyone but root, or a local user could get their commands run
/// by the daemon. Insecure: owned by a user other than root (and other than the script
/// user, when it is not root), or writable by a non-root group or by everyone (sticky
/// directories such as /tmp excepted from the write test, as in keepalived).
public enum ScriptSecurity {
    /// The program a command line runs: its first word, looked up in PATH if it has no
    /// slash (keepalived searches the same way).
    public static func program(of command: String, in files: some ScriptFiles = HostScriptFiles()) -> String? {
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
            if files.isExecutable(path) { return path }
        }
        return nil
    }

    /// Throws the first reason `command` is not safe to run as `credentials`, judged on
    /// this host's files.
    public static func check(_ command: String, runningAs credentials: ScriptCredentials) throws(ScriptProblem) {
        try check(command, runningAs: credentials, in: HostScriptFiles())
    }

    /// The rule itself, on whatever `files` says: the host's, or a table's in the tests.
    public static func check(_ command: String, runningAs credentials: ScriptCredentials,
                             in files: some ScriptFiles) throws(ScriptProblem) {
        guard let path = program(of: command, in: files) else {
            throw ScriptProblem("cannot find the program of '\(command)'")
        }
        guard path.hasPrefix("/") else {
            throw ScriptProblem("'\(path)' is not an absolute path (script security needs one)")
        }
        // The file that really runs: symbolic links (Debian's /bin -> usr/bin) resolved.
        let real = try files.realPath(path)
        try checkPath(real, runningAs: credentials, in: files)
    }

    private static func checkPath(_ path: String, runningAs credentials: ScriptCredentials,
                                  in files: some ScriptFiles) throws(ScriptProblem) {
        var prefixes: [String] = ["/"]
        var current = ""
        for part in path.split(separator: "/") {
            current += "/" + part
            prefixes.append(current)
        }
        for (n, p) in prefixes.enumerated() {
            let st = try files.status(p)
            let isLast = n == prefixes.count - 1
            if !isLast && st.kind != .directory { throw ScriptProblem("\(p) in the path of \(path) is not a directory") }
            if isLast && st.kind != .regularFile && st.kind != .symbolicLink { throw ScriptProblem("\(path) is not a regular file") }
            let ownerOK = st.owner == 0 || (credentials.uid != 0 && st.owner == credentials.uid)
            if !ownerOK {
                throw ScriptProblem("\(p) is owned by uid \(st.owner), not root: that user could change what runs")
            }
            let sticky = st.kind == .directory && st.permissions & S_ISVTX != 0
            if !sticky && st.kind != .symbolicLink {
                if st.group != 0 && st.permissions & S_IWGRP != 0 {
                    throw ScriptProblem("\(p) is writable by group \(st.group): only root may be able to change it")
                }
                if st.permissions & S_IWOTH != 0 {
                    throw ScriptProblem("\(p) is writable by everyone: only root may be able to change it")
                }
            }
        }
    }
}
