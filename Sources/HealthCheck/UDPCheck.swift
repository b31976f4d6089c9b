#if canImport(Glibc)
import Glibc
#endif
import LVS
import NIOCore
import NIOPosix

/// keepalived's UDP_CHECK: a datagram (the payload, or keepalived's default 32 bytes) to the
/// real server from a connected UDP socket. An ICMP port unreachable (ECONNREFUSED on the
/// socket) is down; a reply is judged by `UDPCheckSettings.judge`; silence for
/// connect_timeout is up, unless `require_reply`.
public enum UDPChecker {
    public static func check(_ target: CheckTarget, _ settings: UDPCheckSettings, on group: EventLoopGroup) -> EventLoopFuture<CheckOutcome> {
        exchange(target, settings.payload, on: group, judge: { settings.judge($0) },
                 silence: settings.requireReply ? .down("no UDP reply within \(target.timeoutText)") : .up)
    }

    /// One datagram out, then the first reply `judge` decides on (nil: not an answer to
    /// it, keep waiting), an ICMP error, or `silence` after connect_timeout. UDP_CHECK and
    /// DNS_CHECK both ask this way.
    static func exchange(_ target: CheckTarget, _ payload: [UInt8], on group: EventLoopGroup,
                         judge: @escaping @Sendable ([UInt8]) -> CheckOutcome?, silence: CheckOutcome) -> EventLoopFuture<CheckOutcome> {
        let loop = group.next()
        let remote: SocketAddress
        do { remote = try SocketAddress(ipAddress: target.host, port: target.port) } catch {
            return loop.makeSucceededFuture(.down("a UDP check needs an address, not '\(target.host)'"))
        }
        let verdict = Verdict(loop.makePromise(of: CheckOutcome.self))
        var bootstrap = DatagramBootstrap(group: loop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Handler(judge, verdict)) }
            }
        if let name = target.bindInterface {
            let index = if_nametoindex(name)
            guard index != 0 else {
                verdict.decide(.down("bind_if \(name): no such interface"))
                return verdict.promise.futureResult
            }
            bootstrap = bootstrap.channelOption(.socketOption(NIOBSDSocket.Option(rawValue: 62)), value: SocketOptionValue(index))
        }
        let opened: EventLoopFuture<Channel>
        if let bind = target.bindAddress {
            do {
                let local = try SocketAddress(ipAddress: bind, port: target.bindPort ?? 0)
                opened = bootstrap.bind(to: local).flatMap { channel in channel.connect(to: remote).map { channel } }
            } catch {
                verdict.decide(.down("bindto \(bind): \(error)"))
                return verdict.promise.futureResult
            }
        } else {
            opened = bootstrap.connect(to: remote)
        }
        return opened.flatMap { channel -> EventLoopFuture<CheckOutcome> in
            let timeout = loop.scheduleTask(in: .microseconds(target.timeout)) { verdict.decide(silence) }
            var buffer = channel.allocator.buffer(capacity: payload.count)
            buffer.writeBytes(payload)
            channel.writeAndFlush(AddressedEnvelope(remoteAddress: remote, data: buffer)).whenFailure { error in
                verdict.decide(.down(Self.reason(error)))
            }
            return verdict.promise.futureResult.always { _ in
                timeout.cancel()
                channel.close(promise: nil)
            }
        }.recover { error in
            // The socket never opened: the verdict is this (and its promise is kept).
            let outcome = CheckOutcome.down(Self.reason(error))
            verdict.decide(outcome)
            return outcome
        }
    }

    static func reason(_ error: Error) -> String {
        if let e = error as? IOError, e.errnoCode == ECONNREFUSED { return "port unreachable" }
        if let e = error as? IOError, e.errnoCode == EHOSTUNREACH { return "no route to host" }
        return "\(error)"
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        let judge: @Sendable ([UInt8]) -> CheckOutcome?
        let verdict: Verdict

        init(_ judge: @escaping @Sendable ([UInt8]) -> CheckOutcome?, _ verdict: Verdict) {
            self.judge = judge
            self.verdict = verdict
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let envelope = unwrapInboundIn(data)
            if let outcome = judge(Array(envelope.data.readableBytesView)) { verdict.decide(outcome) }
        }

        func errorCaught(context: ChannelHandlerContext, error: Error) {
            verdict.decide(.down(UDPChecker.reason(error)))
        }
    }
}

/// keepalived's DNS_CHECK: the query over UDP, a fresh random ID each time; up on the
/// answer's NOERROR, down on another code, on silence for connect_timeout, or on an ICMP
/// unreachable. Answers to another ID are not for it and are waited past.
public enum DNSChecker {
    public static func check(_ target: CheckTarget, _ settings: DNSCheckSettings, on group: EventLoopGroup) -> EventLoopFuture<CheckOutcome> {
        let id = UInt16.random(in: 0...UInt16.max)
        return UDPChecker.exchange(target, settings.query(id: id), on: group, judge: { settings.judge($0, id: id) },
                                   silence: .down("no DNS answer within \(target.timeoutText)"))
    }
}
