#if canImport(Glibc)
import Glibc
#endif
import CLinux

/// The daemon's one wait: `ppoll` over every descriptor it watches, bounded by the next
/// deadline at nanosecond resolution (10 ms adverts keep their pace).
///
/// Sources are the caller's own names for what it watches, so the loop asks "did the link
/// monitor speak?" instead of indexing an array of pollfds by position. A descriptor of -1
/// is not watched (ppoll skips it), which lets an optional source keep its place.
public struct Poller<Source: Hashable> {
    /// A wait that did not happen; the poller rested instead (at most 10 ms), so a broken
    /// poll cannot spin the loop.
    public struct Failure: Error, CustomStringConvertible {
        public var error: SystemCallError
        public var description: String { "\(error)" }
    }

    public init() {}

    /// Waits until one of `sources` is ready or `timeout` microseconds have passed (a
    /// signal arriving ends it early too). Returns the sources that are ready (empty on a
    /// timeout or an interruption), or the failure after resting.
    public func wait(_ sources: [(source: Source, fd: Int32, events: Int16)], timeout: Int64) -> Result<Set<Source>, Failure> {
        var fds = sources.map { pollfd(fd: $0.fd, events: $0.events, revents: 0) }
        var wait = timespec(tv_sec: Int(max(0, timeout) / 1_000_000), tv_nsec: Int(max(0, timeout) % 1_000_000) * 1000)
        let ready = ppoll(&fds, nfds_t(fds.count), &wait, nil)
        if ready < 0 {
            guard errno != EINTR else { return .success([]) }
            // It did not wait (EINVAL: more descriptors than RLIMIT_NOFILE allows; ENOMEM).
            let failure = Failure(error: SystemCallError("ppoll"))
            var pause = timespec(tv_sec: 0, tv_nsec: wait.tv_sec > 0 ? 10_000_000 : min(10_000_000, wait.tv_nsec))
            nanosleep(&pause, nil)
            return .failure(failure)
        }
        var result = Set<Source>()
        for (i, fd) in fds.enumerated() where fd.revents != 0 { result.insert(sources[i].source) }
        return .success(result)
    }
}

extension Poller {
    /// Readable (the usual interest).
    public static var readable: Int16 { Int16(POLLIN) }
}
