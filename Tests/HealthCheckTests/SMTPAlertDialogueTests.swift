import LVS
import NIOCore
import NIOPosix
import Testing
@testable import HealthCheck

/// keepalived's SMTP conversation for an alert, step by step (sans IO), and the sender
/// against scripted SMTP servers on 127.0.0.1.
@Suite(.serialized) struct SMTPAlertDialogueTests {
    static func dialogue(_ recipients: [String] = ["ops@example.test", "oncall@example.test"]) -> SMTPAlertDialogue {
        SMTPAlertDialogue(heloName: "lb1.example.test", from: "vigil@example.test", recipients: recipients, message: "MAIL\r\n.\r\n")
    }

    @Test func keepalivedsDialogueOneRcptPerAddress() {
        var d = Self.dialogue()
        #expect(d.receive(Array("220 mail ESMTP\r\n".utf8)) == [.send("HELO lb1.example.test\r\n")])
        #expect(d.receive(Array("250 hi\r\n".utf8)) == [.send("MAIL FROM:<vigil@example.test>\r\n")])
        #expect(d.receive(Array("250 ok\r\n".utf8)) == [.send("RCPT TO:<ops@example.test>\r\n")])
        #expect(d.receive(Array("250 ok\r\n".utf8)) == [.send("RCPT TO:<oncall@example.test>\r\n")])
        #expect(d.receive(Array("250 ok\r\n".utf8)) == [.send("DATA\r\n")])
        #expect(d.receive(Array("354 go on\r\n".utf8)) == [.send("MAIL\r\n.\r\n")])
        #expect(d.receive(Array("250 queued\r\n".utf8)) == [.send("QUIT\r\n")])
        #expect(d.interrupted("closed") == .sent, "the mail was taken: a lost answer to QUIT loses nothing")
        #expect(d.receive(Array("221 bye\r\n".utf8)) == [.close(.sent)])
    }

    @Test func answersSplitAndMultiLine() {
        var d = Self.dialogue(["ops@example.test"])
        #expect(d.receive(Array("220-mail.example.test\r\n220 ES".utf8)).isEmpty, "continuation and half a line: nothing yet")
        #expect(d.receive(Array("MTP\r\n".utf8)) == [.send("HELO lb1.example.test\r\n")])
        #expect(d.receive(Array("250-hi\r\n250-SIZE 10\r\n250 8BITMIME\r\n".utf8)) == [.send("MAIL FROM:<vigil@example.test>\r\n")])
    }

    @Test func anUnexpectedCodeEndsTheMailWithQuit() {
        var d = Self.dialogue()
        _ = d.answer(220); _ = d.answer(250); _ = d.answer(250)
        #expect(d.answer(550) == .send("QUIT\r\n"), "the first RCPT refused: QUIT, as keepalived")
        #expect(d.interrupted("closed") == .refused(command: "RCPT", code: 550))
        #expect(d.answer(221) == .close(.refused(command: "RCPT", code: 550)))
        var greeting = Self.dialogue()
        #expect(greeting.answer(554) == .send("QUIT\r\n"))
        #expect(greeting.answer(500) == .close(.refused(command: "(E)SMTP", code: 554)), "any answer to QUIT ends it")
        var body = Self.dialogue(["a@example.test"])
        for code in [220, 250, 250, 250, 354] { _ = body.answer(code) }
        #expect(body.answer(452) == .send("QUIT\r\n"))
        #expect(body.interrupted("closed") == .refused(command: "BODY", code: 452))
    }

    @Test func interruptedBeforeTheMailIsAFailure() {
        var d = Self.dialogue()
        _ = d.answer(220)
        #expect(d.awaited == "the answer to HELO")
        #expect(d.interrupted("no answer") == .failed("no answer"))
    }

    // MARK: - The sender against scripted servers

    static let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    /// A minimal SMTP server: 220, 250 to HELO/MAIL/RCPT, 354 to DATA, `bodyAnswer` after
    /// the mail's final dot, 221 to QUIT; records what it got.
    final class Server: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        var received = ""
        var inData = false
        let bodyAnswer: String
        let greeting: String?
        init(greeting: String? = "220 mail ESMTP\r\n", bodyAnswer: String = "250 queued\r\n") {
            self.greeting = greeting
            self.bodyAnswer = bodyAnswer
        }
        func say(_ text: String?, _ context: ChannelHandlerContext) {
            guard let text else { return }
            var b = context.channel.allocator.buffer(capacity: text.utf8.count)
            b.writeString(text)
            context.writeAndFlush(wrapOutboundOut(b), promise: nil)
        }
        func channelActive(context: ChannelHandlerContext) { say(greeting, context) }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let text = String(buffer: unwrapInboundIn(data))
            received += text
            if inData {
                if received.hasSuffix("\r\n.\r\n") { inData = false; say(bodyAnswer, context) }
                return
            }
            for line in text.split(separator: "\r\n") {
                if line == "DATA" { inData = true; say("354 go on\r\n", context) }
                else if line == "QUIT" { say("221 bye\r\n", context) }
                else { say("250 ok\r\n", context) }
            }
        }
    }

    static func start(_ handler: Server) throws -> Channel {
        try ServerBootstrap(group: group)
            .childChannelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handler) } }
            .bind(host: "127.0.0.1", port: 0).wait()
    }

    static func send(_ port: Int, _ recipients: [String] = ["ops@example.test"]) throws -> SMTPAlertDialogue.Outcome {
        let d = SMTPAlertDialogue(heloName: "lb1", from: "vigil@example.test", recipients: recipients,
                                  message: "Subject: test\r\n\r\nbody\r\n\r\n.\r\n")
        return try SMTPAlertSender.send(d, to: CheckTarget(host: "127.0.0.1", port: port, timeout: 300_000), on: group).wait()
    }

    @Test func aMailIsSent() throws {
        let handler = Server()
        let server = try Self.start(handler)
        defer { try? server.close().wait() }
        #expect(try Self.send(server.localAddress!.port!, ["ops@example.test", "oncall@example.test"]) == .sent)
        #expect(handler.received == "HELO lb1\r\nMAIL FROM:<vigil@example.test>\r\nRCPT TO:<ops@example.test>\r\n"
            + "RCPT TO:<oncall@example.test>\r\nDATA\r\nSubject: test\r\n\r\nbody\r\n\r\n.\r\nQUIT\r\n")
    }

    @Test func eachWayNotSent() throws {
        let full = try Self.start(Server(bodyAnswer: "452 mailbox full\r\n"))
        defer { try? full.close().wait() }
        #expect(try Self.send(full.localAddress!.port!) == .refused(command: "BODY", code: 452))
        let silent = try Self.start(Server(greeting: nil))
        defer { try? silent.close().wait() }
        #expect(try Self.send(silent.localAddress!.port!) == .failed("the greeting did not come within 0.3 s"))
        let probe = try ServerBootstrap(group: Self.group).bind(host: "127.0.0.1", port: 0).wait()
        let port = probe.localAddress!.port!
        try probe.close().wait()
        #expect(try Self.send(port) == .failed("connection refused"))
    }
}
