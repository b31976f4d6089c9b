#if canImport(Glibc)
import Glibc
#endif

/// keepalived's `notify_fifo` (and `vrrp_notify_fifo`): one line per state change,
/// `INSTANCE "VI_1" MASTER 100` or `GROUP "G1" BACKUP 0`, written to a named pipe that a
/// long-running reader (often the `notify_fifo_script`) consumes.
///
/// Opened read-write and non-blocking as keepalived does, so writing never waits for a
/// reader and a reader that restarts finds the lines still queued (up to the pipe's size).
public final class NotifyFIFO {
    public let path: String
    private let fd: Int32
    /// Whether this run made the FIFO (then it is removed on exit).
    private let created: Bool

    public init(path: String) throws(SystemCallError) {
        self.path = path
        if mkfifo(path, 0o644) == 0 {
            created = true
        } else if errno == EEXIST {
            created = false
        } else {
            throw SystemCallError("mkfifo \(path)")
        }
        let fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else {
            let error = SystemCallError("open \(path)")
            if created { unlink(path) }
            throw error
        }
        // Something already there must be a FIFO: a regular file would be written to
        // (and grow) as if it were one.
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFIFO else {
            close(fd)
            throw SystemCallError("open \(path) (not a FIFO)", errno: EEXIST)
        }
        self.fd = fd
    }

    deinit {
        close(fd)
        if created { unlink(path) }
    }

    /// Writes one line; false when the pipe is full (nobody is reading).
    @discardableResult
    public func write(line: String) -> Bool {
        let bytes = Array((line + "\n").utf8)
        return Glibc.write(fd, bytes, bytes.count) == bytes.count
    }
}
