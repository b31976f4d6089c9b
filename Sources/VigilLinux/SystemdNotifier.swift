#if canImport(Glibc)
import Glibc
#endif

/// The sd_notify protocol, spoken by Vigil itself: one datagram of `KEY=VALUE` lines to the
/// Unix socket systemd names in `NOTIFY_SOCKET` (a path, or `@name` in the abstract
/// namespace). Without the variable (not under systemd, or `Type=simple`) every call does
/// nothing, so the daemon can always tell.
public final class SystemdNotifier {
    private let fd: Int32
    private var address = sockaddr_un()
    private var addressLength = socklen_t(0)
    /// `WATCHDOG_USEC` halved: how often a WATCHDOG=1 is due (nil when systemd asks none).
    public let watchdogInterval: Int64?

    /// Reads NOTIFY_SOCKET and WATCHDOG_USEC, and forgets them so scripts do not inherit them.
    public init() {
        let path = getenv("NOTIFY_SOCKET").map { String(cString: $0) }
        let watchdog = getenv("WATCHDOG_USEC").flatMap { Int64(String(cString: $0)) }
        let watchdogPID = getenv("WATCHDOG_PID").flatMap { Int32(String(cString: $0)) }
        unsetenv("NOTIFY_SOCKET")
        unsetenv("WATCHDOG_USEC")
        unsetenv("WATCHDOG_PID")
        watchdogInterval = watchdog.flatMap { $0 > 0 && (watchdogPID == nil || watchdogPID == getpid()) ? $0 / 2 : nil }
        guard let path, !path.isEmpty, path.utf8.count < MemoryLayout.size(ofValue: address.sun_path) else {
            fd = -1
            return
        }
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(path.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        addressLength = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (bytes.first == 0 ? 0 : 1))
    }

    deinit { if fd >= 0 { close(fd) } }

    /// True when systemd listens.
    public var isActive: Bool { fd >= 0 }

    /// Sends the lines as one datagram; false if it could not be sent (systemd gone).
    @discardableResult
    public func send(_ fields: [String]) -> Bool {
        guard fd >= 0 else { return false }
        let text = fields.joined(separator: "\n")
        let sent = text.withCString { p in
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, p, strlen(p), Int32(MSG_NOSIGNAL), $0, addressLength)
                }
            }
        }
        return sent >= 0
    }

    public func ready(status: String) { send(["READY=1", "STATUS=\(status)"]) }
    public func status(_ text: String) { send(["STATUS=\(text)"]) }
    public func stopping(status: String) { send(["STOPPING=1", "STATUS=\(status)"]) }
    /// RELOADING=1 with the CLOCK_MONOTONIC time systemd 253+ wants beside it.
    public func reloading(status: String) {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        send(["RELOADING=1", "MONOTONIC_USEC=\(Int64(t.tv_sec) * 1_000_000 + Int64(t.tv_nsec) / 1000)", "STATUS=\(status)"])
    }
    public func watchdog() { send(["WATCHDOG=1"]) }
}
