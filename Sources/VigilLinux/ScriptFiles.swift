#if canImport(Glibc)
import Glibc
#endif

/// What `enable_script_security` needs to know about the files on a script's path, asked
/// through this protocol so that the rule (`ScriptSecurity.check(_:runningAs:in:)`) is the
/// same whether the answers come from the kernel (`HostScriptFiles`) or from a table (the
/// plan's tests and fuzzer).
public protocol ScriptFiles {
    /// Whether `path` is a file the daemon could execute (the PATH search's test).
    func isExecutable(_ path: String) -> Bool
    /// `path` with every symbolic link resolved: the file that really runs.
    func realPath(_ path: String) throws(ScriptProblem) -> String
    /// The file at `path` itself, a symbolic link not followed (lstat).
    func status(_ path: String) throws(ScriptProblem) -> ScriptFileStatus
}

/// The part of a file's status the security rule reads.
public struct ScriptFileStatus: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case directory, regularFile, symbolicLink, other
    }

    public var kind: Kind
    public var owner: uid_t
    public var group: gid_t
    /// The permission bits with set-id and sticky (st_mode & 07777).
    public var permissions: mode_t

    public init(kind: Kind, owner: uid_t = 0, group: gid_t = 0, permissions: mode_t) {
        self.kind = kind
        self.owner = owner
        self.group = group
        self.permissions = permissions
    }
}

/// The files as this host's kernel sees them: access(2), realpath(3), lstat(2).
public struct HostScriptFiles: ScriptFiles {
    public init() {}

    public func isExecutable(_ path: String) -> Bool { access(path, X_OK) == 0 }

    public func realPath(_ path: String) throws(ScriptProblem) -> String {
        guard let resolved = realpath(path, nil) else {
            throw ScriptProblem("\(path): \(String(cString: strerror(errno)))")
        }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    public func status(_ path: String) throws(ScriptProblem) -> ScriptFileStatus {
        var st = stat()
        guard lstat(path, &st) == 0 else {
            throw ScriptProblem("\(path): \(String(cString: strerror(errno)))")
        }
        let kind: ScriptFileStatus.Kind
        switch st.st_mode & S_IFMT {
        case S_IFDIR: kind = .directory
        case S_IFREG: kind = .regularFile
        case S_IFLNK: kind = .symbolicLink
        default: kind = .other
        }
        return ScriptFileStatus(kind: kind, owner: st.st_uid, group: st.st_gid, permissions: st.st_mode & 0o7777)
    }
}
