import HealthCheck
import LVS
import Logging
import NIOCore
import NIOPosix
import Synchronization
import VRRP
import VigilLinux
import VigilPlan
import VigilTypes
#if canImport(Glibc)
import Glibc
#endif

/// Sends keepalived's SMTP alerts (`SMTPAlert`) as the plan asks (`SMTPAlertPlan`), off
/// the daemon's loop: the loop only formats the mail and hands it to an event loop of its
/// own (`SMTPAlertSender`), so a dead or slow SMTP server never delays an advert.
///
/// Bounded: at most `capacity` alerts in flight (each waits at most smtp_connect_timeout
/// per step); one more is dropped, as one that fails is, with a log line. Failures are
/// logged at most once a minute, with how many more there were since, so a dead server
/// under a flapping pool costs one line, not one per mail.
final class AlertMailer {
    var plan: SMTPAlertPlan
    private let logger: Logger
    /// The event loop the alerts go out on, made at the first alert.
    private var group: MultiThreadedEventLoopGroup?
    private let ledger: Ledger
    /// keepalived's `last_email_state`, by instance ("i NAME") and group ("g NAME").
    private var lastAlerted: [String: VRRPState] = [:]
    /// keepalived's defaults for the sender, the HELO name and the router id: the
    /// daemon's user at the host's name, the host's name (nil: unknown).
    private let localName: String?
    private let user: String?

    static let capacity = 16
    /// At most one failure line per minute.
    static let failureLogInterval: Int64 = 60_000_000

    init(_ plan: SMTPAlertPlan, logger: Logger, localName: String? = hostName(), user: String? = userName()) {
        self.plan = plan
        self.logger = logger
        self.localName = localName
        self.user = user
        ledger = Ledger(logger: logger)
    }

    /// An instance moved to `state` (INIT: stopping).
    func instance(_ name: String, to state: VRRPState) { vrrp(name, group: false, to: state) }

    /// A sync group moved to `state`.
    func group(_ name: String, to state: VRRPState) { vrrp(name, group: true, to: state) }

    /// A reload removed the instance, in `state`: keepalived's FAULT mail; the move to
    /// INIT of its shutdown (`shutdown`, run at once) sends none.
    func removed(_ name: String, state: VRRPState, shutdown: () -> Void = {}) {
        let key = "i " + name
        if let alert = plan.removalAlert(name, state: state, lastAlerted: lastAlerted[key]) {
            lastAlerted[key] = .fault
            send(alert)
        }
        removing.insert(name)
        shutdown()
        removing.remove(name)
    }

    /// Instances being removed by a reload: their move to INIT is not a stop.
    private var removing = Set<String>()

    private func vrrp(_ name: String, group: Bool, to state: VRRPState) {
        if !group, state == .initialize, removing.contains(name) { return }
        let key = (group ? "g " : "i ") + name
        guard let alert = plan.vrrpAlert(name, group: group, to: state, lastAlerted: lastAlerted[key]) else { return }
        lastAlerted[key] = state
        send(alert)
    }

    /// The mail a checker's result asks for, if any (keepalived's rule,
    /// `SMTPAlert.checkerResult`), for a real server with smtp_alert.
    func checkerResult(_ pool: Pool, _ member: Pool.Member, _ kind: CheckSpec.Kind, _ outcome: CheckOutcome,
                       before: RealServerHealth.CheckerState, serverWasUp: Bool, serverIsUp: Bool) -> SMTPAlert? {
        guard member.smtpAlert, plan.isActive else { return nil }
        return SMTPAlert.checkerResult(kind, outcome, before: before, serverWasUp: serverWasUp, serverIsUp: serverIsUp,
                                       noCheckerEmails: plan.noCheckerEmails, realServer: member.fifoName,
                                       virtualServer: pool.fifoName)
    }

    /// A pool with smtp_alert gained or lost its quorum.
    func virtualServer(_ pool: Pool, up: Bool, liveWeight: Int) {
        guard pool.smtpAlert else { return }
        let body = SMTPAlert.quorumBody(up: up, quorum: pool.quorum, hysteresis: pool.hysteresis, liveWeight: liveWeight)
        send(.virtualServer(name: pool.fifoName, up: up, body: body))
    }

    /// The daemon stops: under `omega`, keepalived mails each live real server and the
    /// virtual server down, "=> Shutting down <=" (each if its smtp_alert is on).
    func shuttingDown(_ pool: Pool, liveMembers: [Pool.Member]) {
        for member in liveMembers where member.smtpAlert {
            send(.realServer(name: member.fifoName, virtualServer: pool.fifoName, up: false, body: SMTPAlert.shuttingDown))
        }
        if pool.smtpAlert { send(.virtualServer(name: pool.fifoName, up: false, body: SMTPAlert.shuttingDown)) }
    }

    func send(_ alert: SMTPAlert) {
        guard plan.isActive, let server = plan.server else { return }
        let routerID = plan.routerID ?? localName
        let subject = alert.subject(routerID: routerID)
        guard ledger.admit(subject, capacity: Self.capacity) else { return }
        let from = plan.from ?? localName.map { "\(user ?? "root")@\($0)" } ?? ""
        let message = alert.message(date: WallClock.mailDate(), from: from, to: plan.recipients, routerID: routerID)
        let dialogue = SMTPAlertDialogue(heloName: plan.heloName ?? localName ?? "localhost", from: from,
                                         recipients: plan.recipients, message: message)
        let target = CheckTarget(host: "\(server.address)", port: server.port, timeout: plan.connectTimeout)
        let group = self.group ?? MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.group = group
        let ledger = self.ledger, count = plan.recipients.count
        let serverName = "\(server.address):\(server.port)"
        SMTPAlertSender.send(dialogue, to: target, on: group).whenSuccess { outcome in
            ledger.finished(outcome, subject: subject, server: serverName, recipients: count)
        }
    }

    /// At exit: the alerts in flight (the stopping ones among them) get up to `grace`
    /// microseconds to go, then the event loop ends.
    func stop(grace: Int64 = 1_000_000) {
        guard let group else { return }
        let deadline = Monotonic.now() + grace
        while ledger.inFlight > 0, Monotonic.now() < deadline {
            var pause = timespec(tv_sec: 0, tv_nsec: 10_000_000)
            nanosleep(&pause, nil)
        }
        try? group.syncShutdownGracefully()
        self.group = nil
    }

    /// What is in flight and the failure log's throttle, shared with the event loop.
    final class Ledger: Sendable {
        private struct State {
            var inFlight = 0
            var lastFailureLog: Instant?
            var unlogged = 0
        }
        private let state = Mutex(State())
        private let logger: Logger

        init(logger: Logger) { self.logger = logger }

        var inFlight: Int { state.withLock { $0.inFlight } }

        /// Room for one more alert: counted in; none: the alert is dropped (and logged
        /// as a failure is).
        func admit(_ subject: String, capacity: Int) -> Bool {
            let admitted = state.withLock { s in
                guard s.inFlight < capacity else { return false }
                s.inFlight += 1
                return true
            }
            if !admitted { failed("'\(subject)' dropped: \(capacity) alerts already in flight") }
            return admitted
        }

        func finished(_ outcome: SMTPAlertDialogue.Outcome, subject: String, server: String, recipients: Int) {
            state.withLock { $0.inFlight -= 1 }
            switch outcome {
            case .sent:
                logger.info("SMTP alert sent to \(recipients) recipient(s) by \(server): \(subject)")
            case let .refused(command, code):
                failed("'\(subject)' not sent: SMTP server \(server) answered \(code) to \(command)")
            case let .failed(why):
                failed("'\(subject)' not sent: SMTP server \(server): \(why)")
            }
        }

        /// One line a minute at most, saying how many failed since the last.
        private func failed(_ line: String) {
            let now = Monotonic.now()
            let more: Int? = state.withLock { s in
                if let last = s.lastFailureLog, now - last < AlertMailer.failureLogInterval {
                    s.unlogged += 1
                    return nil
                }
                defer { s.unlogged = 0; s.lastFailureLog = now }
                return s.unlogged
            }
            guard let more else { return }
            logger.warning("SMTP alert \(line)\(more > 0 ? " (\(more) more failed since the last such line)" : "")")
        }
    }
}
