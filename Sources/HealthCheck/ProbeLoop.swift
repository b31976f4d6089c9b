#if canImport(Glibc)
import Glibc
#endif
import CLinux
import HeapModule
import LVS

/// keepalived's TCP_CHECK and plain HTTP_GET the way keepalived runs them: one thread, one
/// epoll set, a non-blocking socket per check and a heap of timers — no channel, pipeline
/// or future per connection. These checkers are the bulk of most configurations (a
/// thousand real servers at delay_loop 1 s are a thousand connections a second), and
/// through SwiftNIO's bootstrap each cost about three times keepalived's CPU; here a
/// TCP_CHECK is socket, connect, epoll_ctl and close, and an HTTP_GET adds one write and
/// the reads of its answer (`HTTPResponseParser`). Each socket joins the epoll set once,
/// edge-triggered for both directions, so an HTTP_GET needs no second epoll_ctl between
/// its request and its answer; the connection's error is asked for (getsockopt) only when
/// epoll reports one.
///
/// The rules between rounds (retries, HTTP recovery, what is reported) are `CheckCycle`'s,
/// as for the SwiftNIO checkers; `report` and `observe` are called on this loop's thread.
/// Only checks whose addresses are literals and that need no TLS come here (`accepts`);
/// the scheduler keeps the others on SwiftNIO.
final class ProbeLoop: @unchecked Sendable {
    /// Where one connection is.
    private enum Phase {
        case idle
        case connecting
        /// HTTP_GET: the request is being written (`written` bytes so far).
        case sending(written: Int)
        case receiving
        /// HTTP_GET: the verdict is given; the connection waits for the server's close (its
        /// FIN), as keepalived's checker reads to the end, so the TIME_WAIT state stays on
        /// the server's side instead of piling up here, where every connect would search
        /// past it for a port. Bounded by the connection's timeout and the next connect.
        case closing
    }

    /// One checker: its rules, where it connects, and its connection in flight.
    private struct Probe {
        var cycle: CheckCycle
        let target: CheckTarget
        let address: RawSocketAddress
        let bind: RawSocketAddress?
        /// HTTP_GET: the settings and each URL's request, as bytes.
        let http: (settings: HTTPGetSettings, requests: [[UInt8]])?
        /// The connection in flight (-1: none).
        var fd: Int32 = -1
        /// Counts connections: a timer or an event of an earlier one is stale.
        var generation: UInt32 = 0
        var attempt = 0
        /// When this round began (µs): the next begins delay_loop after it.
        var round: Int64 = 0
        var phase = Phase.idle
        /// HTTP_GET: the URLs of this round, and the one being fetched.
        var urls = 0..<1
        var url = 0
        var response = HTTPResponseParser()
        /// bind_if or bindto to set on each socket.
        var prepared: Bool { target.bindInterface != nil || bind != nil || target.fwmark != nil }
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
    /// The reads' buffer (one thread reads).
    private let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 8)
    /// epoll's data for the stop request (a probe's is its index and generation).
    private static let stopToken = UInt64.max
    private static let socketType = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
    /// What a connection waits for, once for its whole life: edge-triggered, so a readiness
    /// already handled does not wake the thread again.
    private static let interest = EPOLLIN.rawValue | EPOLLOUT.rawValue | EPOLLRDHUP.rawValue | EPOLLET.rawValue
    private static let failed = EPOLLERR.rawValue | EPOLLHUP.rawValue

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
        readBuffer.deallocate()
    }

    /// A check this loop can run: TCP_CHECK or HTTP_GET (not SSL_GET) whose addresses are
    /// literals (a host name needs the resolver, which SwiftNIO's path has).
    static func accepts(_ spec: CheckSpec) -> Bool {
        let target: CheckTarget
        switch spec.kind {
        case let .tcp(t): target = t
        case let .http(t, settings) where !settings.tls: target = t
        default: return false
        }
        guard RawSocketAddress(target.host, port: target.port) != nil else { return false }
        return target.bindAddress.map { RawSocketAddress($0, port: target.bindPort ?? 0) != nil } ?? true
    }

    /// keepalived's request, header for header, as the SwiftNIO path writes it: operators'
    /// servers may know it by its User-Agent (to keep health checks out of access logs).
    static func request(_ url: HTTPGetSettings.URL, _ settings: HTTPGetSettings, _ target: CheckTarget) -> [UInt8] {
        let host = HTTPGetChecker.hostHeader(url, target)
        var text = "GET \(url.path) HTTP/\(settings.httpProtocol == .http11 ? "1.1" : "1.0")\r\nUser-Agent: KeepAliveClient\r\n"
        if settings.httpProtocol != .http10 { text += "Connection: close\r\n" }
        text += "Host: \(host)\r\n\r\n"
        return Array(text.utf8)
    }

    /// Starts the checks, the first rounds spread over each one's warmup on a 10 ms grid
    /// (checks due in the same slot share one wake-up).
    func start(_ specs: [CheckSpec]) {
        let now = Self.now()
        for spec in specs where Self.accepts(spec) {
            var http: (settings: HTTPGetSettings, requests: [[UInt8]])?
            let target: CheckTarget
            switch spec.kind {
            case let .http(t, settings):
                target = t
                http = (settings, settings.urls.map { Self.request($0, settings, t) })
            case let .tcp(t): target = t
            default: continue
            }
            guard let address = RawSocketAddress(target.host, port: target.port) else { continue }
            let bind = target.bindAddress.flatMap { RawSocketAddress($0, port: target.bindPort ?? 0) }
            let first = spec.warmup > 0 ? Int64.random(in: 0...spec.warmup) / CheckScheduler.slot * CheckScheduler.slot : 0
            timers.insert(Timer(deadline: now + first, probe: probes.count, kind: .round))
            probes.append(Probe(cycle: CheckCycle(spec), target: target, address: address, bind: bind, http: http))
        }
        guard !probes.isEmpty else { return }
        let box = Unmanaged.passRetained(self)
        var thread = pthread_t()
        pthread_create(&thread, nil, { arg in
            let loop = Unmanaged<ProbeLoop>.fromOpaque(arg!).takeRetainedValue()
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
        // One clock read per wake-up, for its events and then its timers (in a guest the
        // clock can be a device register, as dear as the rest of a check).
        var now = Self.now()
        while true {
            runTimers(due: now)
            dropStaleTimeouts()
            let wait = timers.min.map { Int32(clamping: max(0, ($0.deadline - now + 999) / 1000)) } ?? -1
            let n = epoll_wait(epoll, &events, Int32(events.count), wait)
            now = Self.now()
            if n < 0 {
                if errno == EINTR { continue }
                return
            }
            for i in 0..<Int(n) {
                let data = events[i].data.u64
                if data == Self.stopToken { return }
                ready(Int(data & 0xffff_ffff), generation: UInt32(truncatingIfNeeded: data >> 32), events: events[i].events, now: now)
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
                    begin(p, attempt: 0, now: now)
                }
            case let .retry(attempt):
                begin(p, attempt: attempt, now: now)
            case let .timeout(generation):
                guard probes[p].fd >= 0, probes[p].generation == generation else { continue }
                // A server that never closes after its answer: close from this side.
                if case .closing = probes[p].phase { finish(p); continue }
                finish(p)
                settle(p, .down("timeout after \(probes[p].target.timeoutText)"), now: now)
            }
        }
    }

    /// A connection that ended before its connect_timeout leaves its timer in the heap; the
    /// ones on top are dropped before the wait, so they never wake the thread (a thousand a
    /// second at a thousand checks).
    private func dropStaleTimeouts() {
        while let timer = timers.min, case let .timeout(generation) = timer.kind,
              probes[timer.probe].fd < 0 || probes[timer.probe].generation != generation {
            _ = timers.popMin()
        }
    }

    /// A round (or a retry): an HTTP_GET fetches this round's URLs one after the other.
    private func begin(_ p: Int, attempt: Int, now: Int64) {
        probes[p].attempt = attempt
        if let http = probes[p].http {
            probes[p].urls = probes[p].cycle.recovery.round.clamped(to: http.settings.urls.indices)
            probes[p].url = probes[p].urls.lowerBound
        }
        connect(p, now: now)
    }

    /// One connection: non-blocking; its end comes from epoll or the timeout.
    private func connect(_ p: Int, now: Int64) {
        if probes[p].fd >= 0 { finish(p) }  // the previous connection's close, still awaited
        let fd = socket(probes[p].address.family, Self.socketType, 0)
        guard fd >= 0 else { return settle(p, .down("socket: \(Self.text(errno))"), now: now) }
        if probes[p].prepared, let failure = prepare(fd, probes[p]) {
            close(fd)
            return settle(p, .down(failure), now: now)
        }
        let result = probes[p].address.withPointer { Glibc.connect(fd, $0, $1) }
        let error = result == 0 ? 0 : errno
        if error != 0 && error != EINPROGRESS {
            close(fd)
            return settle(p, .down(reason(error, probes[p].target)), now: now)
        }
        if error == 0 && probes[p].http == nil {
            close(fd)
            return settle(p, .up, now: now)
        }
        probes[p].generation &+= 1
        probes[p].fd = fd
        probes[p].phase = .connecting
        var event = epoll_event(events: Self.interest, data: epoll_data_t(u64: UInt64(probes[p].generation) << 32 | UInt64(p)))
        guard epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event) == 0 else {
            let failure = "epoll: \(Self.text(errno))"
            finish(p)
            return settle(p, .down(failure), now: now)
        }
        timers.insert(Timer(deadline: now + probes[p].target.timeout, probe: p, kind: .timeout(generation: probes[p].generation)))
    }

    /// bind_if and bindto/bind_port before the connect; the reason when one fails.
    private func prepare(_ fd: Int32, _ probe: Probe) -> String? {
        if let name = probe.target.bindInterface {
            // SO_BINDTOIFINDEX (Linux 5.0), looked up at each check: the interface may come later.
            var index = Int32(bitPattern: if_nametoindex(name))
            guard index != 0 else { return Connector.noInterface(name) }
            guard setsockopt(fd, SOL_SOCKET, 62, &index, 4) == 0 else { return "bind_if \(name): \(Self.text(errno))" }
        }
        if var mark = probe.target.fwmark {
            guard setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, 4) == 0 else { return "fwmark \(mark): \(Self.text(errno))" }
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

    /// epoll says the connection can go on (`events`: what it reports).
    private func ready(_ p: Int, generation: UInt32, events: UInt32, now: Int64) {
        guard probes.indices.contains(p), probes[p].fd >= 0, probes[p].generation == generation else { return }
        switch probes[p].phase {
        case .connecting:
            // Writable without an error: connected. Otherwise the socket says why not.
            if events & Self.failed != 0 || events & EPOLLOUT.rawValue == 0 {
                var error: Int32 = 0
                var length = socklen_t(4)
                if getsockopt(probes[p].fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0 { error = errno }
                if error == 0, events & EPOLLOUT.rawValue == 0 { error = ECONNRESET }
                if error != 0 {
                    finish(p)
                    return settle(p, .down(reason(error, probes[p].target)), now: now)
                }
            }
            guard probes[p].http != nil else {
                finish(p)
                return settle(p, .up, now: now)
            }
            probes[p].response = HTTPResponseParser()
            probes[p].phase = .sending(written: 0)
            send(p, events: events, now: now)
        case .sending:
            send(p, events: events, now: now)
        case .receiving:
            receive(p, events: events, now: now)
        case .closing:
            awaitClose(p)
        case .idle:
            break
        }
    }

    /// HTTP_GET: the request, then wait for the answer (`events`: the readiness that woke
    /// this; an edge of the answer it already carries will not come again).
    private func send(_ p: Int, events: UInt32, now: Int64) {
        guard case let .sending(written) = probes[p].phase, let http = probes[p].http else { return }
        let request = http.requests[probes[p].url]
        let n = request.withUnsafeBytes { Glibc.send(probes[p].fd, $0.baseAddress! + written, $0.count - written, Int32(MSG_NOSIGNAL)) }
        if n < 0 {
            if errno == EAGAIN || errno == EWOULDBLOCK { return }
            let failure = reason(errno, probes[p].target)
            finish(p)
            return settle(p, .down(failure), now: now)
        }
        guard written + n == request.count else {
            // The rest when the socket is writable again (the next EPOLLOUT edge).
            probes[p].phase = .sending(written: written + n)
            return
        }
        // The answer's bytes, and its end, come as EPOLLIN edges on the same registration.
        probes[p].phase = .receiving
        if events & (EPOLLIN.rawValue | EPOLLRDHUP.rawValue | Self.failed) != 0 { receive(p, events: events, now: now) }
    }

    /// HTTP_GET: what has come of the answer; once complete, its verdict, then the round's
    /// next URL (a new connection) or the round's outcome. A complete answer whose
    /// connection the server has not closed yet (no FIN in `events`, no end read) leaves it
    /// open until the server does (`closing`).
    private func receive(_ p: Int, events: UInt32, now: Int64) {
        var step = HTTPResponseParser.Step.needMore
        while step == .needMore {
            let n = read(probes[p].fd, readBuffer.baseAddress, readBuffer.count)
            if n > 0 {
                step = probes[p].response.feed(UnsafeRawBufferPointer(rebasing: readBuffer[..<n]))
            } else if n == 0 {
                step = probes[p].response.end()
            } else if errno == EAGAIN || errno == EWOULDBLOCK {
                return
            } else if errno != EINTR {
                step = .malformed(reason(errno, probes[p].target))
            }
        }
        if case .complete = step, events & (EPOLLRDHUP.rawValue | Self.failed) == 0 {
            probes[p].phase = .closing
        } else {
            finish(p)
        }
        guard let http = probes[p].http else { return }
        let url = http.settings.urls[probes[p].url]
        let outcome: CheckOutcome
        switch step {
        case let .complete(status, body):
            outcome = HTTPGetChecker.evaluate(HTTPGetChecker.Response(status: status, body: body), url)
        case let .malformed(failure):
            outcome = .down(failure)
        case .needMore:
            return
        }
        // The first URL that fails decides the round.
        if outcome.isUp, probes[p].url + 1 < probes[p].urls.upperBound {
            probes[p].url += 1
            return connect(p, now: now)
        }
        settle(p, outcome, now: now)
    }

    /// A connection whose answer is read: it ends when the server's close (or an error)
    /// reaches this side; anything more the server sends is read and dropped.
    private func awaitClose(_ p: Int) {
        while true {
            let n = read(probes[p].fd, readBuffer.baseAddress, readBuffer.count)
            if n > 0 || (n < 0 && errno == EINTR) { continue }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return }
            return finish(p)
        }
    }

    /// Closes the connection in flight (which also takes it out of the epoll set).
    private func finish(_ p: Int) {
        close(probes[p].fd)
        probes[p].fd = -1
        probes[p].generation &+= 1
        probes[p].phase = .idle
        probes[p].response = HTTPResponseParser()
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
        Connector.reason(errno: error, target) ?? "cannot connect to \(target.host):\(target.port): \(Self.text(error))"
    }

    static func text(_ error: Int32) -> String { String(cString: strerror(error)) }

    /// CLOCK_MONOTONIC in microseconds.
    static func now() -> Int64 {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Int64(t.tv_sec) * 1_000_000 + Int64(t.tv_nsec) / 1000
    }
}
