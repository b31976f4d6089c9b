#if canImport(Glibc)
import Glibc
#endif
import CLinux

/// The signals the daemon handles, read from a signalfd in its loop instead of arriving in
/// handlers: a stop, a reload or a child's end is an event like a packet.
public final class SignalSource {
    public let fileDescriptor: Int32

    /// Blocks `signals` for the process and opens the descriptor they queue on. A signal
    /// set to be ignored never reaches a signalfd, and a shell starts background jobs with
    /// SIGINT ignored: each gets its default disposition back first, so it can be blocked
    /// and read instead. With `ignoringTheRest`, every other signal that can be caught is
    /// ignored — keepalived's rule, so that no stray `kill -QUIT`, `-ALRM` or real-time
    /// signal ends the daemon without its clean-up — except SIGILL, SIGFPE, SIGSEGV and
    /// SIGBUS, left as they are, and glibc's own two (32, 33). A real fault still stops a
    /// broken process: the kernel delivers a synchronous fault (SIGSEGV, seccomp's SIGSYS …)
    /// even when it is ignored, and abort() raises SIGABRT again after restoring it.
    public init(_ signals: [Int32], ignoringTheRest: Bool = false) throws(SystemCallError) {
        if ignoringTheRest {
            let faults: Set<Int32> = [SIGILL, SIGFPE, SIGSEGV, SIGBUS, SIGKILL, SIGSTOP]
            let catchable = Array(1..<32) + Array(Self.realTimeRange)
            for s in catchable where !faults.contains(s) && !signals.contains(s) { signal(s, SIG_IGN) }
        }
        var mask = sigset_t()
        sigemptyset(&mask)
        for s in signals {
            signal(s, SIG_DFL)
            sigaddset(&mask, s)
        }
        sigprocmask(SIG_BLOCK, &mask, nil)
        fileDescriptor = signalfd(-1, &mask, Int32(SFD_NONBLOCK | SFD_CLOEXEC))
        guard fileDescriptor >= 0 else { throw SystemCallError("signalfd") }
    }

    /// The real-time signals a program may use (SIGRTMIN…SIGRTMAX: 34…64 with glibc).
    public static var realTimeRange: ClosedRange<Int32> { vigil_sigrtmin()...vigil_sigrtmax() }

    deinit { close(fileDescriptor) }

    /// The signals queued since the last read, in order (at most 64 per call).
    public func read() -> [Int32] {
        var received: [Int32] = []
        for _ in 0..<64 {
            var info = signalfd_siginfo()
            guard Glibc.read(fileDescriptor, &info, MemoryLayout<signalfd_siginfo>.size) > 0 else { break }
            received.append(Int32(info.ssi_signo))
        }
        return received
    }
}
