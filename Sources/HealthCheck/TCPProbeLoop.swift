#if canImport(Glibc)
import Glibc
#endif
import CLinux
import HeapModule
import LVS

/// keepalived's TCP_CHECK the way keepalived runs it: one thread, one epoll set, a
/// non-blocking connect per check and a heap of timers — no channel, pipeline or future
/// per connection. A TCP_CHECK is the bulk of most configurations (a thousand real servers
/// at delay_loop 1 s are a thousand connects a second), and through SwiftNIO's bootstrap
/// each cost about three times keepalived's CPU; here a check is socket, connect,
/// epoll_ctl, getsockopt and close.
///
/// The rules between rounds (retries, what is reported) are `CheckCycle`'s, as for the
/// SwiftNIO checkers; `report` and `observe` are called on this loop's thread. Only checks
/// whose addresses are literals come here (`accepts`); the scheduler keeps the others.
final class TCPProbeLoop: @unchecked Sendable {
    /// One checker: its rules, where it connects, and its connection in flight.
    private struct Probe {
        var cycle: CheckCycle
        let target: CheckTarget
        let address: RawSocketAddress
        let bind: RawSocketAddress?
        /// The connection in flight (-1: none).
        var fd: Int32 = -1
        /// Counts connections: a timer or an event of an earlier one is stale.
        var generation: UInt32 = 0
        var attempt = 0
        /// When this round began (µs): the next begins delay_loop after it.
        var round: Int64 = 0
    }

    private struct Timer: Comparable {
        enum Kind: Equatable {
            case round
            case retry(attempt: Int)
            case timeout(generation: UInt32)
        }
        var deadline: Int64
        var probe: Int
        var kind: Kind
        static func < (a: Timer, b: Timer) -> Bool { (a.deadline, a.probe) < (b.deadline, b.probe) }
        static func == (a: Timer, b: Timer) -> Bool { a.deadline == b.deadline && a.probe == b.probe && a.kind == b.kind }
    }

    private var probes: [Probe] = []
    private var timers = Heap<Timer>()
    private let epoll: Int32
    private let wake: Int32
    private var thread: pthread_t?
    private let report: @Sendable (Int, CheckOutcome) -> Void
    private let observe: (@Sendable (Int, Bool) -> Void)?
    private let suspension: CheckSuspension
    /// epoll's data for the stop request (a probe's is its index and generation).
    private static let stopToken = UInt64.max

    init(suspension: CheckSuspension, observe: (@Sendable (Int, Bool) -> Void)?,
         report: @escaping @Sendable (Int, CheckOutcome) -> Void) {
        self.suspension = suspension
        self.observe = observe
        self.report = report
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        wake = eventfd(0, Int32(EFD_CLOEXEC) | Int32(EFD_NONBLOCK))
        var event = epoll_event(events: EPOLLIN.rawValue, data: epoll_data_t(u64: Self.stopToken))
        _ = epoll_ctl(epoll, EPOLL_CTL_ADD, wake, &event)
    }

    deinit {
        close(epoll)
        close(wake)
    }

    /// A TCP_CHECK this loop can run: its addresses are literals (a host name needs the
    /// resolver, which SwiftNIO's path has).
    static func accepts(_ spec: CheckSpec) -> Bool {
        guard case let .tcp(target) = spec.kind, RawSocketAddress(target.host, port: target.port) != nil else { return false }
        return target.bindAddress.map { RawSocketAddress($0, port: target.bindPort ?? 0) != nil } ?? true
    }

    /// Starts the checks, the first rounds spread over each one's warmup on a 10 ms grid
    /// (checks due in the same slot share one wake-up).
    func start(_ specs: [CheckSpec]) {
        let now = Self.now()
        for spec in specs {
            guard case let .tcp(target) = spec.kind, let address = RawSocketAddress(target.host, port: target.port) else { continue }
            let bind = target.bindAddress.flatMap { RawSocketAddress($0, port: target.bindPort ?? 0) }
            let first = spec.warmup > 0 ? Int64.random(in: 0...spec.warmup) / CheckScheduler.slot * CheckScheduler.slot : 0
            timers.insert(Timer(deadline: now + first, probe: probes.count, kind: .round))
            probes.append(Probe(cycle: CheckCycle(spec), target: target, address: address, bind: bind))
        }
        guard !probes.isEmpty else { return }
        let box = Unmanaged.passRetained(self)
        var thread = pthread_t()
        pthread_create(&thread, nil, { arg in
            let loop = Unmanaged<TCPProbeLoop>.fromOpaque(arg!).takeRetainedValue()
            loop.run()
            return nil
        }, box.toOpaque())
        self.thread = thread
    }

    /// Stops the thread and closes the connections in flight.
    func stop() {
        guard let thread else { return }
        var one: UInt64 = 1
        _ = write(wake, &one, 8)
        pthread_join(thread, nil)
        self.thread = nil
        for p in probes.indices where probes[p].fd >= 0 {
            close(probes[p].fd)
            probes[p].fd = -1
        }
    }

    // MARK: - The loop

    private func run() {
        var events = [epoll_event](repeating: epoll_event(), count: 256)
        while true {
            let now = Self.now()
            runTimers(due: now)
            let wait = timers.min.map { Int32(clamping: max(0, ($0.deadline - now + 999) / 1000)) } ?? -1
            let n = epoll_wait(epoll, &events, Int32(events.count), wait)
            if n < 0 {
                if errno == EINTR { continue }
                return
            }
            for event in events.prefix(Int(n)) {
                let data = event.data.u64
                if data == Self.stopToken { return }
                connected(Int(data & 0xffff_ffff), generation: UInt32(truncatingIfNeeded: data >> 32))
            }
        }
    }

    private func runTimers(due now: Int64) {
        while let timer = timers.min, timer.deadline <= now {
            _ = timers.popMin()
            let p = timer.probe
            switch timer.kind {
            case .round:
                probes[p].round = timer.deadline
                // ha_suspend: a suspended checker skips its round and keeps its last result.
                if suspension.contains(probes[p].cycle.spec.id) {
                    nextRound(p, now: now)
                } else {
                    connect(p, attempt: 0, now: now)
                }
            case let .retry(attempt):
                connect(p, attempt: attempt, now: now)
            case let .timeout(generation):
                guard probes[p].fd >= 0, probes[p].generation == generation else { continue }
                finish(p)
                settle(p, .down("timeout after \(probes[p].target.timeoutText)"), now: now)
            }
        }
    }

    /// One check: a non-blocking connect; its end comes from epoll or the timeout.
    private func connect(_ p: Int, attempt: Int, now: Int64) {
        probes[p].attempt = attempt
        let probe = probes[p]
        let fd = socket(Int32(probe.address.family), Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return settle(p, .down("socket: \(Self.text(errno))"), now: now) }
        if let failure = prepare(fd, probe) {
            close(fd)
            return settle(p, .down(failure), now: now)
        }
        let result = probe.address.withPointer { Glibc.connect(fd, $0, $1) }
        if result == 0 {
            close(fd)
            return settle(p, .up, now: now)
        }
        let error = errno
        guard error == EINPROGRESS else {
            close(fd)
            return settle(p, .down(reason(error, probe.target)), now: now)
        }
        probes[p].generation &+= 1
        probes[p].fd = fd
        let data = UInt64(probes[p].generation) << 32 | UInt64(p)
        var event = epoll_event(events: EPOLLOUT.rawValue, data: epoll_data_t(u64: data))
        guard epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event) == 0 else {
            let failure = "epoll: \(Self.text(errno))"
            finish(p)
            return settle(p, .down(failure), now: now)
        }
        timers.insert(Timer(deadline: now + probe.target.timeout, probe: p, kind: .timeout(generation: probes[p].generation)))
    }

    /// bind_if and bindto/bind_port before the connect; the reason when one fails.
    private func prepare(_ fd: Int32, _ probe: Probe) -> String? {
        if let name = probe.target.bindInterface {
            // SO_BINDTOIFINDEX (Linux 5.0), looked up at each check: the interface may come later.
            var index = Int32(bitPattern: if_nametoindex(name))
            guard index != 0 else { return Connector.noInterface(name) }
            guard setsockopt(fd, SOL_SOCKET, 62, &index, 4) == 0 else { return "bind_if \(name): \(Self.text(errno))" }
        }
        if let bind = probe.bind {
            var one: Int32 = 1
            _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, 4)
            guard bind.withPointer({ Glibc.bind(fd, $0, $1) }) == 0 else {
                return "cannot bind to \(probe.target.bindAddress ?? ""): \(Self.text(errno))"
            }
        }
        return nil
    }

    /// epoll says the connect has ended: SO_ERROR says how.
    private func connected(_ p: Int, generation: UInt32) {
        guard probes.indices.contains(p), probes[p].fd >= 0, probes[p].generation == generation else { return }
        var error: Int32 = 0
        var length = socklen_t(4)
        if getsockopt(probes[p].fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0 { error = errno }
        finish(p)
        settle(p, error == 0 ? .up : .down(reason(error, probes[p].target)), now: Self.now())
    }

    /// Closes the connection in flight (which also takes it out of the epoll set).
    private func finish(_ p: Int) {
        close(probes[p].fd)
        probes[p].fd = -1
        probes[p].generation &+= 1
    }

    private func settle(_ p: Int, _ outcome: CheckOutcome, now: Int64) {
        let id = probes[p].cycle.spec.id
        switch probes[p].cycle.settle(outcome, attempt: probes[p].attempt) {
        case let .retry(attempt, delay):
            timers.insert(Timer(deadline: now + delay, probe: p, kind: .retry(attempt: attempt)))
        case let .done(final, change):
            observe?(id, final.isUp)
            if let change { report(id, change) }
            nextRound(p, now: now)
        }
    }

    /// delay_loop after the round began, not after it ended: retries never stretch the period.
    private func nextRound(_ p: Int, now: Int64) {
        timers.insert(Timer(deadline: max(probes[p].round + probes[p].cycle.spec.delayLoop, now), probe: p, kind: .round))
    }

    /// The reasons the SwiftNIO checkers give for the same errors.
    private func reason(_ error: Int32, _ target: CheckTarget) -> String {
        switch error {
        case ECONNREFUSED: return "connection refused"
        case EHOSTUNREACH: return "no route to host"
        case ETIMEDOUT: return "timeout after \(target.timeoutText)"
        default: return "cannot connect to \(target.host):\(target.port): \(Self.text(error))"
        }
    }

    static func text(_ error: Int32) -> String { String(cString: strerror(error)) }

    /// CLOCK_MONOTONIC in microseconds.
    static func now() -> Int64 {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Int64(t.tv_sec) * 1_000_000 + Int64(t.tv_nsec) / 1000
    }
}

/// An IPv4 or IPv6 socket address parsed from a literal, for the raw socket calls.
struct RawSocketAddress {
    private var storage = sockaddr_storage()
    let length: socklen_t
    let family: Int32

    init?(_ host: String, port: Int) {
        guard (0...65535).contains(port) else { return nil }
        var v4 = sockaddr_in()
        if inet_pton(AF_INET, host, &v4.sin_addr) == 1 {
            v4.sin_family = sa_family_t(AF_INET)
            v4.sin_port = UInt16(port).bigEndian
            withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: v4, as: sockaddr_in.self) }
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
            family = AF_INET
            return
        }
        var v6 = sockaddr_in6()
        guard inet_pton(AF_INET6, host, &v6.sin6_addr) == 1 else { return nil }
        v6.sin6_family = sa_family_t(AF_INET6)
        v6.sin6_port = UInt16(port).bigEndian
        withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: v6, as: sockaddr_in6.self) }
        length = socklen_t(MemoryLayout<sockaddr_in6>.size)
        family = AF_INET6
    }

    func withPointer<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        withUnsafeBytes(of: storage) { body($0.baseAddress!.assumingMemoryBound(to: sockaddr.self), length) }
    }
}
