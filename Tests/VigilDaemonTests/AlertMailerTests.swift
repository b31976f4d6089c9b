import LVS
import Logging
import NIOCore
import NIOPosix
import Synchronization
import Testing
import VRRP
import VigilConfig
import VigilLinux
@testable import VigilDaemon
@testable import VigilPlan

/// The mailer against SMTP servers on 127.0.0.1: what it sends, what it does not send
/// twice, and what a dead server costs (one log line, a bounded number in flight).
@Suite(.serialized) struct AlertMailerTests {
    static let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    /// 220, 250 to every command, 354 to DATA and 250 after its final dot, 221 to QUIT, or
    /// nothing at all (`silent`). Keeps what it got.
    final class Server: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let silent: Bool
        private let text = Mutex("")
        var received: String { text.withLock { $0 } }
        init(silent: Bool = false) { self.silent = silent }
        func say(_ s: String, _ context: ChannelHandlerContext) {
            var b = context.channel.allocator.buffer(capacity: s.utf8.count)
            b.writeString(s)
            context.writeAndFlush(wrapOutboundOut(b), promise: nil)
        }
        func channelActive(context: ChannelHandlerContext) { if !silent { say("220 test ESMTP\r\n", context) } }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let chunk = String(buffer: unwrapInboundIn(data))
            let all = text.withLock { $0 += chunk; return $0 }
            guard !silent else { return }
            if chunk.hasSuffix("\r\n.\r\n") { return say("250 queued\r\n", context) }
            if all.hasSuffix("DATA\r\n") { return say("354 go on\r\n", context) }
            if chunk.hasPrefix("QUIT") { return say("221 bye\r\n", context) }
            if chunk.hasPrefix("HELO") || chunk.hasPrefix("MAIL") || chunk.hasPrefix("RCPT") { say("250 ok\r\n", context) }
        }
    }

    static func start(_ handler: Server) throws -> Channel {
        try ServerBootstrap(group: group)
            .childChannelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handler) } }
            .bind(host: "127.0.0.1", port: 0).wait()
    }

    static func plan(port: Int, timeout: Int64 = 2_000_000) -> SMTPAlertPlan {
        var plan = SMTPAlertPlan()
        plan.server = SMTPServer(address: IPAddress("127.0.0.1")!, port: port)
        plan.recipients = ["ops@example.test", "oncall@example.test"]
        plan.from = "vigil@example.test"
        plan.heloName = "lb1.example.test"
        plan.routerID = "lb1"
        plan.connectTimeout = timeout
        plan.instances = ["VI_1"]
        return plan
    }

    @Test func aTransitionIsMailedOnce() throws {
        let handler = Server()
        let server = try Self.start(handler)
        defer { try? server.close().wait() }
        let lines = TestBox.Lines()
        let mailer = AlertMailer(Self.plan(port: server.localAddress!.port!), logger: lines.logger)
        mailer.instance("VI_1", to: .master)
        mailer.instance("VI_1", to: .master)
        mailer.instance("VI_2", to: .master)
        mailer.stop(grace: 5_000_000)
        let got = handler.received
        #expect(got.hasPrefix("HELO lb1.example.test\r\nMAIL FROM:<vigil@example.test>\r\nRCPT TO:<ops@example.test>\r\nRCPT TO:<oncall@example.test>\r\nDATA\r\n"))
        #expect(got.contains("\r\nSubject: [lb1] VRRP Instance VI_1 - Entering MASTER state\r\nX-Mailer: Keepalived\r\nTo: ops@example.test, oncall@example.test\r\n\r\n=> VRRP Instance is now owning VRRP VIPs <=\r\n\r\n.\r\nQUIT\r\n"))
        #expect(got.components(separatedBy: "Subject:").count == 2, "one mail: the same state is not mailed twice, VI_2 has no smtp_alert")
        #expect(lines.all == ["SMTP alert sent to 2 recipient(s) by 127.0.0.1:\(server.localAddress!.port!): [lb1] VRRP Instance VI_1 - Entering MASTER state"])
    }

    /// A reload removes VI_1: keepalived's FAULT mail, and not the Stopping one its
    /// shutdown would send.
    @Test func aRemovedInstanceMailsFaultNotStopping() throws {
        let handler = Server()
        let server = try Self.start(handler)
        defer { try? server.close().wait() }
        let mailer = AlertMailer(Self.plan(port: server.localAddress!.port!), logger: TestBox.Lines().logger)
        mailer.removed("VI_1", state: .master) { mailer.instance("VI_1", to: .initialize) }
        mailer.instance("VI_1", to: .master)
        mailer.instance("VI_1", to: .initialize)
        mailer.stop(grace: 5_000_000)
        let subjects = handler.received.components(separatedBy: "\r\n").filter { $0.hasPrefix("Subject: ") }
        #expect(subjects.sorted() == ["Subject: [lb1] VRRP Instance VI_1 - Entering FAULT state",
                                      "Subject: [lb1] VRRP Instance VI_1 - Entering MASTER state",
                                      "Subject: [lb1] VRRP Instance VI_1 - Stopping"],
                "the removal's INIT sends nothing; an instance of that name added again stops as any other")
    }

    @Test func aDeadServerCostsOneLine() throws {
        let probe = try ServerBootstrap(group: Self.group).bind(host: "127.0.0.1", port: 0).wait()
        let port = probe.localAddress!.port!
        try probe.close().wait()
        let lines = TestBox.Lines()
        let mailer = AlertMailer(Self.plan(port: port), logger: lines.logger)
        for state in [VRRPState.backup, .master, .fault, .backup] { mailer.instance("VI_1", to: state) }
        mailer.stop(grace: 5_000_000)
        #expect(lines.all == ["SMTP alert '[lb1] VRRP Instance VI_1 - Entering BACKUP state' not sent: SMTP server 127.0.0.1:\(port): connection refused"],
                "four failures within a minute: the first logged, the rest counted")
    }

    /// The pools' mails through the runner: a checker's failure (its real server DOWN),
    /// and omega's "Shutting down" at the stop.
    @Test func theRunnersMails() throws {
        let handler = Server()
        let server = try Self.start(handler)
        defer { try? server.close().wait() }
        let result = ConfigurationLoader.load(text: """
            virtual_server 192.0.2.100 80 {
                protocol TCP
                omega
                smtp_alert
                real_server 198.51.100.1 80 {
                    TCP_CHECK {
                    }
                }
                real_server 198.51.100.2 80 {
                    smtp_alert off
                }
            }
            """)
        let lvs = try DaemonPlan.make(result.configuration, host: StaticPlanningHost()).lvs
        let lines = TestBox.Lines()
        let mailer = AlertMailer(Self.plan(port: server.localAddress!.port!), logger: lines.logger)
        let children = ChildSupervisor()
        let runner = LVSRunner(lvs, logger: lines.logger, scripts: NotifyRunner(logger: lines.logger, children: children),
                               children: children, alerts: mailer, openKernel: { LVSRunnerTests.FakeKernel() })
        runner.record([(0, .down("connection refused"))])
        runner.stop()
        mailer.stop(grace: 5_000_000)
        let subjects = handler.received.components(separatedBy: "\r\n").filter { $0.hasPrefix("Subject: ") }
        // Two connections: the mails may arrive in either order.
        #expect(subjects.sorted() == [
            "Subject: [lb1] Realserver [198.51.100.1]:tcp:80 of virtual server [192.0.2.100]:tcp:80 - DOWN",
            "Subject: [lb1] Virtualserver [192.0.2.100]:tcp:80 - DOWN",
        ], "the other real server keeps the quorum; .2's smtp_alert is off")
        #expect(handler.received.contains("\r\n\r\n=> TCP CHECK failed on service <=\r\n"))
        #expect(handler.received.contains("\r\n\r\n=> Shutting down <=\r\n"), "omega: the virtual server's mail at the stop")
        #expect(!handler.received.contains("198.51.100.2"), "its smtp_alert is off")
    }

    @Test func atMostSixteenInFlight() throws {
        let server = try Self.start(Server(silent: true))
        defer { try? server.close().wait() }
        let lines = TestBox.Lines()
        var plan = Self.plan(port: server.localAddress!.port!, timeout: 30_000_000)
        plan.instances = Set((0..<17).map { "VI_\($0)" })
        let mailer = AlertMailer(plan, logger: lines.logger)
        for i in 0..<17 { mailer.instance("VI_\(i)", to: .master) }
        #expect(lines.all == ["SMTP alert '[lb1] VRRP Instance VI_16 - Entering MASTER state' dropped: 16 alerts already in flight"])
        mailer.stop(grace: 0)
    }
}
