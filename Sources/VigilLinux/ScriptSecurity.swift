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
