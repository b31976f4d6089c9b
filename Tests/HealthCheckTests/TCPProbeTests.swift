#if canImport(Glibc)
import Glibc
#endif
import LVS
import NIOPosix
import Synchronization
import Testing
@testable import HealthCheck

/// TCP_CHECK through the scheduler, which runs it on the bare prober (`ProbeLoop`) when
/// the addresses are literals: real listeners on 127.0.0.1, a closed port, a listener
/// whose accept queue is full (its SYNs go unanswered: a timeout), bind_if, ha_suspend,
/// and the checker's rules between rounds (`CheckCycle`).
@Suite(.serialized) struct TCPProbeTests {
    /// A listening socket on 127.0.0.1 with `backlog`, never accepting.
    final class Listener {
        let fd: Int32
        let port: Int
        init(backlog: Int32 = 64) throws {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            self.fd = fd
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Bool in
                    bind(fd, pointer, length) == 0 && listen(fd, backlog) == 0 && getsockname(fd, pointer, &length) == 0
                }
            }
            guard bound else { throw Failure(description: "listener: errno \(errno)") }
            port = Int(UInt16(bigEndian: address.sin_port))
        }
        deinit { close(fd) }
    }

    struct Failure: Error, CustomStringConvertible { var description: String }

    /// The scheduler's reports, in order.
    final class Reports: Sendable {
        let all = Mutex<[(Int, CheckOutcome)]>([])
        let observed = Mutex<Int>(0)
        var outcomes: [CheckOutcome] { all.withLock { $0.map(\.1) } }
        /// Waits (bounded) until `count` reports have come.
        func wait(for count: Int, seconds: Double = 5) -> [CheckOutcome] {
            var waited = 0.0
            while outcomes.count < count && waited < seconds { Thread.sleep(0.02); waited += 0.02 }
            return outcomes
        }
    }

    static func scheduler(_ reports: Reports, suspension: CheckSuspension = CheckSuspension()) -> CheckScheduler {
        CheckScheduler(threads: 1, suspension: suspension, observe: { _, _ in reports.observed.withLock { $0 += 1 } }) { id, outcome in
            reports.all.withLock { $0.append((id, outcome)) }
        }
    }

    static func spec(_ target: CheckTarget, id: Int = 1, delayLoop: Int64 = 50_000, retry: Int = 0) -> CheckSpec {
        CheckSpec(id: id, kind: .tcp(target), delayLoop: delayLoop, retry: retry, delayBeforeRetry: 20_000)
    }

    @Test func literalTargetsGoToTheProberHostNamesStayWithNIO() {
        #expect(ProbeLoop.accepts(Self.spec(CheckTarget(host: "198.51.100.1", port: 80))))
        #expect(ProbeLoop.accepts(Self.spec(CheckTarget(host: "2001:db8::1", port: 80, bindAddress: "2001:db8::2"))))
        #expect(!ProbeLoop.accepts(Self.spec(CheckTarget(host: "localhost", port: 80))))
        #expect(!ProbeLoop.accepts(Self.spec(CheckTarget(host: "198.51.100.1", port: 80, bindAddress: "gateway"))))
        #expect(!ProbeLoop.accepts(CheckSpec(id: 1, kind: .ping(CheckTarget(host: "198.51.100.1", port: 0)))))
    }

    @Test func upWhileTheServerListensThenRefusedOnceItIsGone() throws {
        var listener: Listener? = try Listener()
        let port = listener!.port
        let reports = Reports()
        let scheduler = Self.scheduler(reports)
        defer { scheduler.stop() }
        scheduler.start([Self.spec(CheckTarget(host: "127.0.0.1", port: port, timeout: 1_000_000))])
        #expect(reports.wait(for: 1) == [.up])
        listener = nil
        #expect(reports.wait(for: 2) == [.up, .down("connection refused")])
        Thread.sleep(0.2)
        #expect(reports.outcomes.count == 2, "only changes are reported")
        #expect(reports.observed.withLock { $0 } >= 4, "every round is observed")
    }

    /// A full accept queue drops new SYNs: the connect neither succeeds nor fails.
    @Test func aServerThatNeverAnswersIsATimeout() throws {
        let listener = try Listener(backlog: 0)
        // Fill the queue (it holds backlog + 1) with connections nobody accepts.
        var fillers: [Int32] = []
        defer { fillers.forEach { _ = close($0) } }
        for _ in 0..<3 {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
            address.sin_port = UInt16(listener.port).bigEndian
            _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            fillers.append(fd)
        }
        Thread.sleep(0.1)
        let reports = Reports()
        let scheduler = Self.scheduler(reports)
        defer { scheduler.stop() }
        scheduler.start([Self.spec(CheckTarget(host: "127.0.0.1", port: listener.port, timeout: 300_000), delayLoop: 1_000_000)])
        #expect(reports.wait(for: 1) == [.down("timeout after 0.3 s")])
    }

    @Test func bindIfUsesTheInterfaceOrSaysItIsMissing() throws {
        let listener = try Listener()
        let reports = Reports()
        let scheduler = Self.scheduler(reports)
        defer { scheduler.stop() }
        scheduler.start([
            Self.spec(CheckTarget(host: "127.0.0.1", port: listener.port, bindInterface: "lo"), id: 1, delayLoop: 10_000_000),
            Self.spec(CheckTarget(host: "127.0.0.1", port: listener.port, bindInterface: "vigil-none0"), id: 2, delayLoop: 10_000_000),
            Self.spec(CheckTarget(host: "127.0.0.1", port: listener.port, bindAddress: "127.0.0.2"), id: 3, delayLoop: 10_000_000),
        ])
        _ = reports.wait(for: 3)
        let byID = reports.all.withLock { Dictionary($0.map { ($0.0, $0.1) }, uniquingKeysWith: { a, _ in a }) }
        #expect(byID == [1: .up, 2: .down("bind_if vigil-none0: no such interface"), 3: .up], "\(byID)")
    }

    /// A passing checker is retried before it is reported down; the retries come
    /// delay_before_retry apart and do not stretch the period.
    @Test func aPassingCheckerIsRetriedBeforeItGoesDown() throws {
        var listener: Listener? = try Listener()
        let reports = Reports()
        let scheduler = Self.scheduler(reports)
        defer { scheduler.stop() }
        scheduler.start([Self.spec(CheckTarget(host: "127.0.0.1", port: listener!.port, timeout: 1_000_000), retry: 2)])
        #expect(reports.wait(for: 1) == [.up])
        let before = reports.observed.withLock { $0 }
        listener = nil
        #expect(reports.wait(for: 2) == [.up, .down("connection refused")])
        // The round with two retries is one observation, not three.
        #expect(reports.observed.withLock { $0 } - before <= 2)
    }

    @Test func aSuspendedCheckerConnectsNotUntilResumed() throws {
        let listener = try Listener()
        let reports = Reports()
        let suspension = CheckSuspension([5])
        let scheduler = Self.scheduler(reports, suspension: suspension)
        defer { scheduler.stop() }
        scheduler.start([Self.spec(CheckTarget(host: "127.0.0.1", port: listener.port), id: 5, delayLoop: 20_000)])
        Thread.sleep(0.2)
        #expect(reports.outcomes.isEmpty && reports.observed.withLock { $0 } == 0)
        suspension.set([5], suspended: false)
        #expect(reports.wait(for: 1) == [.up])
    }

    // MARK: - The rules between rounds

    @Test func theCycleRetriesOnlyAPassingCheckerAndReportsOnlyChanges() {
        let target = CheckTarget(host: "127.0.0.1", port: 80)
        var cycle = CheckCycle(CheckSpec(id: 1, kind: .tcp(target), retry: 2, delayBeforeRetry: 7))
        #expect(cycle.settle(.up, attempt: 0) == .done(final: .up, report: .up))
        #expect(cycle.settle(.up, attempt: 0) == .done(final: .up, report: nil))
        #expect(cycle.settle(.down("x"), attempt: 0) == .retry(attempt: 1, delay: 7))
        #expect(cycle.settle(.down("x"), attempt: 1) == .retry(attempt: 2, delay: 7))
        #expect(cycle.settle(.down("x"), attempt: 2) == .done(final: .down("x"), report: .down("x")))
        #expect(cycle.settle(.down("x"), attempt: 0) == .done(final: .down("x"), report: nil), "a failing checker is not retried")
        var alpha = CheckCycle(CheckSpec(id: 2, kind: .tcp(target), retry: 3, startsDown: true))
        #expect(alpha.settle(.down("y"), attempt: 0) == .done(final: .down("y"), report: .down("y")), "alpha: not passing yet")
    }

    @Test func anHTTPCheckerRecoveringReportsOnlyWhenEveryURLHasPassed() {
        let target = CheckTarget(host: "127.0.0.1", port: 80)
        let settings = HTTPGetSettings(urls: [.init(path: "/a"), .init(path: "/b")])
        var cycle = CheckCycle(CheckSpec(id: 1, kind: .http(target, settings), retry: 0, startsDown: true))
        #expect(cycle.settle(.up, attempt: 0) == .done(final: .up, report: nil), "one URL of two")
        #expect(cycle.settle(.up, attempt: 0) == .done(final: .up, report: .up))
    }
}
