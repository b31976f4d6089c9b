import LVS
import NIOCore
import NIOPosix

/// Sends keepalived's SMTP alerts on an event loop, off the daemon's thread: one TCP
/// connection per alert (as keepalived opens), opened by the checkers' `Connector`, its
/// conversation the pure `SMTPAlertDialogue`'s. The connection and each answer have
/// `smtp_connect_timeout`; a server that does not answer costs a connection for that
/// long and nothing else.
public enum SMTPAlertSender {
    /// Sends one mail to `server` (its `timeout` is smtp_connect_timeout); the future
    /// always succeeds, with what became of the mail.
    public static func send(_ dialogue: SMTPAlertDialogue, to server: CheckTarget,
                            on group: EventLoopGroup) -> EventLoopFuture<SMTPAlertDialogue.Outcome> {
        let loop = group.next()
        let verdict = Verdict(loop.makePromise(of: SMTPAlertDialogue.Outcome.self))
        return Connector.connect(server, on: loop, initializer: { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(Conversation(dialogue, server, verdict))
            }
        }).flatMap { channel in
            verdict.promise.futureResult.always { _ in channel.close(promise: nil) }
        }.recover { error in
            let outcome = SMTPAlertDialogue.Outcome.failed(Connector.reason(error, server))
            verdict.decide(outcome)
            return outcome
        }
    }

    private final class Conversation: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        private var dialogue: SMTPAlertDialogue
        private var timeout: Scheduled<Void>?
        let server: CheckTarget
        let verdict: Verdict<SMTPAlertDialogue.Outcome>

        init(_ dialogue: SMTPAlertDialogue, _ server: CheckTarget, _ verdict: Verdict<SMTPAlertDialogue.Outcome>) {
            self.dialogue = dialogue
            self.server = server
            self.verdict = verdict
        }

        func channelActive(context: ChannelHandlerContext) {
            wait(context)
            context.fireChannelActive()
        }

        /// Each answer has smtp_connect_timeout to come.
        private func wait(_ context: ChannelHandlerContext) {
            timeout?.cancel()
            let verdict = self.verdict
            let outcome = dialogue.interrupted("\(dialogue.awaited) did not come within \(server.timeoutText)")
            timeout = context.eventLoop.scheduleTask(in: .microseconds(server.timeout)) { verdict.decide(outcome) }
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            for action in dialogue.receive(unwrapInboundIn(data).readableBytesView) {
                switch action {
                case let .send(text):
                    var buffer = context.channel.allocator.buffer(capacity: text.utf8.count)
                    buffer.writeString(text)
                    context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
                    wait(context)
                case let .close(outcome):
                    timeout?.cancel()
                    verdict.decide(outcome)
                    return
                }
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            timeout?.cancel()
            verdict.decide(dialogue.interrupted("the server closed the connection before \(dialogue.awaited)"))
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: Error) {
            timeout?.cancel()
            verdict.decide(dialogue.interrupted(Connector.reason(error, server)))
            context.close(promise: nil)
        }
    }
}
