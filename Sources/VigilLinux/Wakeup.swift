#if canImport(Glibc)
import Glibc
#endif
import CLinux

/// An eventfd another thread writes to wake the daemon's ppoll: the health checkers run
/// on a SwiftNIO thread and hand their results over this way.
public final class Wakeup: Sendable {
    public let fileDescriptor: Int32

    public init() throws(SystemCallError) {
        fileDescriptor = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        guard fileDescriptor >= 0 else { throw SystemCallError("eventfd") }
    }

    deinit { close(fileDescriptor) }

    /// From any thread.
    public func signal() {
        var one: UInt64 = 1
        _ = write(fileDescriptor, &one, 8)
    }

    /// Resets it (the loop then reads whatever was queued).
    public func drain() {
        var value: UInt64 = 0
        _ = read(fileDescriptor, &value, 8)
    }
}
