import LVS
import NIOCore
import NIOPosix

/// keepalived's SMTP_CHECK: over a TCP connection to the real server, the greeting must be
/// 220, the answer to `HELO name` 250; then QUIT, and any answer to it ends a passing check.
/// Each step has connect_timeout. Continuation lines (`220-…`) are read past to the last.
public enum SMTPChecker {
    public static func check(_ target: CheckTarget, _ settings: SMTPCheckSettings, on group: EventLoopGroup) -> EventLoopFuture<CheckOutcome> {
        let loop = group.next()
        let verdict = Verdict(loop.makePromise(of: CheckOutcome.self))
        return Connector.connect(target, on: loop, initializer: { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(Exchange(settings.heloName, target, verdict))
            }
        }).flatMap { channel in
            verdict.promise.futureResult.always { _ in channel.close(promise: nil) }
        }.recover { error in
            // No connection: the verdict is this (and its promise is kept).
            let outcome = CheckOutcome.down(Connector.reason(error, target))
            verdict.decide(outcome)
            return outcome
        }
    }

    private final class Exchange: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        enum Step { case greeting, helo, quit }
        private var step = Step.greeting
        private var pending: [UInt8] = []
        private var timeout: Scheduled<Void>?
        let helo: String
        let target: CheckTarget
        let verdict: Verdict<CheckOutcome>

        init(_ helo: String, _ target: CheckTarget, _ verdict: Verdict<CheckOutcome>) {
            self.helo = helo
            self.target = target
            self.verdict = verdict
        }

        func channelActive(context: ChannelHandlerContext) {
            wait(context)
            context.fireChannelActive()
        }

        /// Each answer has connect_timeout to come.
        private func wait(_ context: ChannelHandlerContext) {
            timeout?.cancel()
            let verdict = self.verdict, step = self.step, target = self.target
            timeout = context.eventLoop.scheduleTask(in: .microseconds(target.timeout)) {
                verdict.decide(.down("SMTP: no \(step == .greeting ? "greeting" : step == .helo ? "answer to HELO" : "answer to QUIT") within \(target.timeoutText)"))
            }
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            pending += unwrapInboundIn(data).readableBytesView
            while let newline = pending.firstIndex(of: 10) {
                var line = String(decoding: pending[..<newline], as: UTF8.self)
                pending.removeFirst(newline + 1)
                if line.hasSuffix("\r") { line.removeLast() }
                // A continuation line ("250-SIZE …"): the answer is its last line.
                if line.count > 3, line.dropFirst(3).first == "-" { continue }
                answer(line, context)
            }
        }

        private func answer(_ line: String, _ context: ChannelHandlerContext) {
            let code = SMTPCheckSettings.code(line)
            switch step {
            case .greeting:
                guard code == 220 else { return decide(.down("SMTP: bad greeting '\(line.prefix(80))'")) }
                send("HELO \(helo)\r\n", context)
                step = .helo
            case .helo:
                guard code == 250 else { return decide(.down("SMTP: bad answer to HELO '\(line.prefix(80))'")) }
                send("QUIT\r\n", context)
                step = .quit
            case .quit:
                return decide(.up)
            }
            wait(context)
        }

        private func send(_ text: String, _ context: ChannelHandlerContext) {
            var buffer = context.channel.allocator.buffer(capacity: text.utf8.count)
            buffer.writeString(text)
            context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        }

        private func decide(_ outcome: CheckOutcome) {
            timeout?.cancel()
            verdict.decide(outcome)
        }

        func channelInactive(context: ChannelHandlerContext) {
            decide(.down("SMTP: connection closed before the \(step == .greeting ? "greeting" : step == .helo ? "answer to HELO" : "answer to QUIT")"))
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: Error) {
            decide(.down(Connector.reason(error, target)))
            context.close(promise: nil)
        }
    }
}
