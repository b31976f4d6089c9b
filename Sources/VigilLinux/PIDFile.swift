#if canImport(Glibc)
import Glibc
#endif

/// The daemon's pid file, written whole or not at all (`AtomicFile`): a full disk or a
/// read-only directory is an error naming the file and the reason, never a silently empty
/// file, and no planted symlink is followed.
public enum PIDFile {
    public static func write(_ path: String, pid: pid_t = getpid()) throws(SystemCallError) {
        try AtomicFile.write(Array("\(pid)\n".utf8), to: path, mode: 0o644)
    }
}
