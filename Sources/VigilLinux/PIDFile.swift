#if canImport(Glibc)
import Glibc
#endif

/// The daemon's pid file, written whole or not at all: a full disk or a read-only
/// directory is an error naming the file and the reason, never a silently empty file.
/// Symlinks are not followed: the file is created new and renamed into place.
public enum PIDFile {
    public static func write(_ path: String, pid: pid_t = getpid()) throws(SystemCallError) {
        let text = Array("\(pid)\n".utf8)
        let temporary = path + ".new"
        // A file of its own, never one a planted symlink (or an old temporary) leads to:
        // whatever is at the temporary name goes, and the open creates it afresh.
        unlink(temporary)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SystemCallError("open \(temporary)") }
        let written = text.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        if written != text.count {
            let error = written < 0 ? SystemCallError("write \(temporary)") : SystemCallError("write \(temporary)", errno: ENOSPC)
            close(fd)
            unlink(temporary)
            throw error
        }
        if fsync(fd) != 0 || close(fd) != 0 {
            let error = SystemCallError("write \(temporary)")
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let error = SystemCallError("rename \(temporary) to \(path)")
            unlink(temporary)
            throw error
        }
    }
}
