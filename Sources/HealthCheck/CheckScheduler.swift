import LVS
import NIOCore
import NIOPosix
import Synchronization
import VigilTypes

/// Runs every check on its own delay_loop on SwiftNIO event loops (one thread per core, at
/// most four), so a thousand real servers cost a few threads and no blocking anywhere. A
/// failed check is retried `retry` times, `delay_before_retry` apart, before it is
/// reported down. Only a final outcome that differs from the check's previous one goes to
/// `report` (called on an event loop thread): in steady state the daemon's own thread is
/// never woken.
///
/// An HTTP_GET whose server is down (or `alpha`, before its first success) checks one URL
/// per delay_loop and comes up once every URL has passed in a row, as keepalived does;
/// `fast_recovery` checks them all in one round instead.
///
/// `ha_suspend`: a suspended checker skips its rounds and keeps its last result.
public final class CheckScheduler: Sendable {
    private let group: MultiThreadedEventLoopGroup
    private let report: @Sendable (Int, CheckOutcome) -> Void
    private let tls: TLSClient?
    /// `ha_suspend`: shared with the MISC_CHECK runner (one registry, set by the LVS runner).
    public let suspension: CheckSuspension
    /// Microseconds: the grid first checks are put on.
    static let slot: Int64 = 10_000

    /// What one checker remembers between rounds; touched only on its event loop.
    private final class State: @unchecked Sendable {
        var cycle: CheckCycle
        let loop: EventLoop
        var spec: CheckSpec { cycle.spec }
        init(_ spec: CheckSpec, on loop: EventLoop) {
            cycle = CheckCycle(spec)
            self.loop = loop
        }
    }

    /// Told of every check's final result (after its retries), on the event loop thread:
    /// what `vigil_checker_results_total` counts. `report` hears only changes.
    private let observe: (@Sendable (Int, Bool) -> Void)?
    /// TCP_CHECKs to literal addresses: keepalived's bare connect on a thread of its own.
    private let probes: ProbeLoop

    public init(tls: TLSClient? = nil, threads: Int = min(System.coreCount, 4),
                suspension: CheckSuspension = CheckSuspension(),
                observe: (@Sendable (Int, Bool) -> Void)? = nil,
                report: @escaping @Sendable (Int, CheckOutcome) -> Void) {
        group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, threads))
        self.tls = tls
        self.suspension = suspension
        self.observe = observe
        self.report = report
        probes = ProbeLoop(suspension: suspension, observe: observe, report: report)
    }

    public func start(_ specs: [CheckSpec]) {
        let start = NIODeadline.now()
        probes.start(specs.filter(ProbeLoop.accepts))
        for spec in specs where !ProbeLoop.accepts(spec) {
            // MISC_CHECK's children and FILE_CHECK's files are the daemon's.
            switch spec.kind {
            case .misc, .file: continue
            default: break
            }
            let state = State(spec, on: group.next())
            // Spread over the warmup on a 10 ms grid: checks due in the same slot share one
            // wake-up of their event loop (a thousand one-by-one wake-ups a second cost more
            // CPU than the checks themselves).
            let first = spec.warmup > 0 ? Int64.random(in: 0...spec.warmup) / Self.slot * Self.slot : 0
            let cycle = start + .microseconds(first)
            state.loop.scheduleTask(deadline: cycle) { self.run(state, attempt: 0, cycle: cycle) }
        }
    }

    /// `cycle`: when this round of checks began. The next round begins delay_loop after
    /// it (not after the check ended), so a slow check or a retry never stretches the
    /// period: a thousand servers at delay_loop 1 s are a thousand checks a second.
    private func run(_ state: State, attempt: Int, cycle: NIODeadline) {
        let spec = state.spec
        if attempt == 0, suspension.contains(spec.id) {
            schedule(state, after: cycle)
            return
        }
        let check: EventLoopFuture<CheckOutcome>
        switch spec.kind {
        case let .tcp(target):
            check = TCPChecker.check(target, on: state.loop)
        case let .http(target, settings):
            let urls = settings.urls[state.cycle.recovery.round.clamped(to: settings.urls.indices)]
            check = HTTPGetChecker.check(target, settings, urls: urls, tls: tls, on: state.loop)
        case let .udp(target, settings):
            check = UDPChecker.check(target, settings, on: state.loop)
        case let .dns(target, settings):
            check = DNSChecker.check(target, settings, on: state.loop)
        case let .smtp(target, settings):
            check = SMTPChecker.check(target, settings, on: state.loop)
        case let .ping(target):
            check = PingChecker.check(target, sequence: UInt16(truncatingIfNeeded: spec.id), on: state.loop)
        case .misc, .file:
            return
        }
        check.whenSuccess { outcome in
            switch state.cycle.settle(outcome, attempt: attempt) {
            case let .retry(next, delay):
                state.loop.scheduleTask(in: .microseconds(delay)) { self.run(state, attempt: next, cycle: cycle) }
            case let .done(final, report):
                self.observe?(spec.id, final.isUp)
                if let report { self.report(spec.id, report) }
                self.schedule(state, after: cycle)
            }
        }
    }

    private func schedule(_ state: State, after cycle: NIODeadline) {
        let next = max(cycle + .microseconds(state.spec.delayLoop), .now())
        state.loop.scheduleTask(deadline: next) { self.run(state, attempt: 0, cycle: next) }
    }

    public func stop() {
        probes.stop()
        try? group.syncShutdownGracefully()
    }
}
