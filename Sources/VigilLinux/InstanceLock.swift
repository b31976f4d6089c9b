#if canImport(Glibc)
import Glibc
#endif

/// One Vigil per network stack.
///
/// Everything a daemon owns — its VIPs, virtual routes, the nftables table of vrrp_strict,
/// macvlans, the IPVS services — belongs to the network namespace it runs in, and a
/// second daemon there would remove the first one's "stale" VIPs at its start and its
/// IPVS services at its exit. So `vigil run` takes an exclusive `flock` on a file named
/// after its network namespace before it touches anything, and a second daemon in the same
/// namespace is refused naming the first one's PID. Daemons in other namespaces (the
/// drills' boxes on one machine) have other files and do not meet.
///
/// The lock lives as long as the descriptor: the kernel releases it when the process
/// ends, however it ends (kill -9 included), so a restarted daemon is never refused by a
/// dead one. The descriptor is close-on-exec: scripts do not inherit it and cannot keep a
/// dead daemon's lock.
public final class InstanceLock {
    /// Why the lock was not taken.
    public enum Failure: Error, CustomStringConvertible, Sendable {
        /// Another process holds it; its PID as it wrote it (nil if unreadable).
        case held(path: String, pid: pid_t?)
        case system(SystemCallError)

        public var description: String {
            switch self {
            case let .held(path, pid?):
                "another vigil (pid \(pid)) runs in this network namespace (it holds \(path)); stop it first"
            case let .held(path, nil):
                "another vigil runs in this network namespace (it holds \(path)); stop it first"
            case let .system(error):
                "cannot take the instance lock: \(error)"
            }
        }
    }

    public static let defaultDirectory = "/run/vigil"

    public let path: String
    private let fd: Int32

    /// Takes the lock of this process's network namespace in `directory` (created 0750 if
    /// missing) and writes this process's PID into it.
    public init(directory: String = InstanceLock.defaultDirectory) throws(Failure) {
        if access(directory, F_OK) != 0, mkdir(directory, 0o750) != 0, errno != EEXIST {
            throw .system(SystemCallError("mkdir \(directory)"))
        }
        let path = "\(directory)/vigil-\(Self.namespaceName()).lock"
        // Bounded: a file removed between open and flock is retried, at most 5 times.
        for _ in 0..<5 {
            let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644)
            guard fd >= 0 else { throw .system(SystemCallError("open \(path)")) }
            if flock(fd, LOCK_EX | LOCK_NB) != 0 {
                let error = errno
                let holder = Self.readPID(fd)
                close(fd)
                if error == EWOULDBLOCK { throw .held(path: path, pid: holder) }
                throw .system(SystemCallError("flock \(path)", errno: error))
            }
            // Locked the file the path still names? (Someone may have unlinked it meanwhile.)
            var opened = stat(), named = stat()
            guard fstat(fd, &opened) == 0, stat(path, &named) == 0,
                  opened.st_ino == named.st_ino, opened.st_dev == named.st_dev else {
                close(fd)
                continue
            }
            let text = Array("\(getpid())\n".utf8)
            if ftruncate(fd, 0) != 0 || text.withUnsafeBytes({ pwrite(fd, $0.baseAddress, $0.count, 0) }) != text.count {
                let error = SystemCallError("write \(path)")
                close(fd)
                throw .system(error)
            }
            self.path = path
            self.fd = fd
            return
        }
        throw .system(SystemCallError("flock \(path)", errno: EAGAIN))
    }

    /// A clean exit removes the file (a daemon waiting on the old one sees it unlinked
    /// and retries on a new one), so namespaces that come and go leave no litter.
    deinit {
        unlink(path)
        close(fd)
    }

    /// `net-4026531840` from the link /proc/self/ns/net (`net:[4026531840]`): unique among
    /// the namespaces alive on this machine. `net` alone if it cannot be read.
    static func namespaceName() -> String {
        var buffer = [CChar](repeating: 0, count: 64)
        let n = readlink("/proc/self/ns/net", &buffer, buffer.count - 1)
        guard n > 0 else { return "net" }
        let link = String(decoding: buffer.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let digits = link.filter(\.isNumber)
        return digits.isEmpty ? "net" : "net-\(digits)"
    }

    private static func readPID(_ fd: Int32) -> pid_t? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { return nil }
        return pid_t(String(decoding: buffer.prefix(n), as: UTF8.self).filter(\.isNumber))
    }
}
