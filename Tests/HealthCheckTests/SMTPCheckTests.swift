import LVS
import NIOCore
import NIOPosix
import Testing
@testable import HealthCheck

/// SMTP_CHECK against scripted SMTP servers on 127.0.0.1 (a greeting, an answer to HELO,
/// an answer to QUIT), the up path and each way down.
@Suite(.serialized) struct SMTPCheckTests {
    static let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    /// Says `greeting` on connect, `helo` to a HELO line, `221 bye` to QUIT (nil: says
    /// nothing). Records the lines it got.
    final class Server: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let greeting: String?, helo: String?
        var lines: [String] = []
        init(greeting: String?, helo: String? = "250 pleased to meet you\r\n") { self.greeting = greeting; self.helo = helo }
        func say(_ text: String?, _ context: ChannelHandlerContext) {
            guard let text else { return }
            var b = context.channel.allocator.buffer(capacity: text.utf8.count)
            b.writeString(text)
            context.writeAndFlush(wrapOutboundOut(b), promise: nil)
        }
        func channelActive(context: ChannelHandlerContext) { say(greeting, context) }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let text = String(buffer: unwrapInboundIn(data))
            for line in text.split(separator: "\r\n") {
                lines.append(String(line))
                say(line.hasPrefix("HELO") ? helo : line == "QUIT" ? "221 bye\r\n" : nil, context)
            }
        }
    }

    static func start(_ handler: Server) throws -> Channel {
        try ServerBootstrap(group: group)
            .childChannelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handler) } }
            .bind(host: "127.0.0.1", port: 0).wait()
    }

    static func check(_ port: Int, helo: String = SMTPCheckSettings.defaultHeloName) throws -> CheckOutcome {
        try SMTPChecker.check(CheckTarget(host: "127.0.0.1", port: port, timeout: 300_000), SMTPCheckSettings(heloName: helo), on: group).wait()
    }

    @Test func greetingHeloQuitIsUp() throws {
        let handler = Server(greeting: "220 mail.example.test ESMTP\r\n")
        let server = try Self.start(handler)
        defer { try? server.close().wait() }
        #expect(try Self.check(server.localAddress!.port!, helo: "lb1.example.test") == .up)
        #expect(handler.lines == ["HELO lb1.example.test", "QUIT"])
        let multi = try Self.start(Server(greeting: "220-mail.example.test\r\n220 ESMTP ready\r\n", helo: "250-hi\r\n250 SIZE 10\r\n"))
        defer { try? multi.close().wait() }
        #expect(try Self.check(multi.localAddress!.port!) == .up, "continuation lines are read past")
    }

    @Test func eachWayDown() throws {
        let refusing = try Self.start(Server(greeting: "554 no service\r\n"))
        defer { try? refusing.close().wait() }
        #expect(try Self.check(refusing.localAddress!.port!) == .down("SMTP: bad greeting '554 no service'"))
        let rude = try Self.start(Server(greeting: "220 hi\r\n", helo: "501 who are you\r\n"))
        defer { try? rude.close().wait() }
        #expect(try Self.check(rude.localAddress!.port!) == .down("SMTP: bad answer to HELO '501 who are you'"))
        let silent = try Self.start(Server(greeting: nil))
        defer { try? silent.close().wait() }
        #expect(try Self.check(silent.localAddress!.port!) == .down("SMTP: no greeting within 0.3 s"))
        let probe = try ServerBootstrap(group: Self.group).bind(host: "127.0.0.1", port: 0).wait()
        let port = probe.localAddress!.port!
        try probe.close().wait()
        #expect(try Self.check(port) == .down("connection refused"))
    }
}
