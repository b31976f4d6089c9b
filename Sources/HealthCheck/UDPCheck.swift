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
    /// `subtype`: the datagram socket's protocol (UDP; ICMP or ICMPv6 for a ping socket,
    /// whose port is ignored).
    static func exchange(_ target: CheckTarget, _ payload: [UInt8], on group: EventLoopGroup,
                         subtype: NIOBSDSocket.ProtocolSubtype = .default,
                         judge: @escaping @Sendable ([UInt8]) -> CheckOutcome?, silence: CheckOutcome) -> EventLoopFuture<CheckOutcome> {
        let loop = group.next()
        let remote: SocketAddress
        do { remote = try SocketAddress(ipAddress: target.host, port: target.port) } catch {
            return loop.makeSucceededFuture(.down("a datagram check needs an address, not '\(target.host)'"))
        }
        let verdict = Verdict(loop.makePromise(of: CheckOutcome.self))
        var bootstrap = DatagramBootstrap(group: loop).protocolSubtype(subtype)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Handler(judge, verdict)) }
            }
        if let name = target.bindInterface {
            guard let index = Connector.interfaceIndex(name) else {
                verdict.decide(.down(Connector.noInterface(name)))
                return verdict.promise.futureResult
            }
            bootstrap = bootstrap.channelOption(Connector.bindToInterface, value: index)
        }
        if let mark = target.fwmark { bootstrap = bootstrap.channelOption(Connector.socketMark, value: SocketOptionValue(truncatingIfNeeded: mark)) }
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
        let verdict: Verdict<CheckOutcome>

        init(_ judge: @escaping @Sendable ([UInt8]) -> CheckOutcome?, _ verdict: Verdict<CheckOutcome>) {
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

/// keepalived's PING_CHECK: one ICMP (or ICMPv6) echo request — keepalived's 128 bytes of
/// "keepalived check - " after the header — from a ping socket; up on an echo reply within
/// connect_timeout, down on silence, on another ICMP type, or on an unreachable. Ping
/// sockets need the daemon's group in net.ipv4.ping_group_range, which the daemon widens
/// as keepalived does (`PingGroupRange`).
public enum PingChecker {
    /// keepalived's payload after the 8-byte header.
    static let payload: [UInt8] = Array(String(repeating: "keepalived check - ", count: 7).utf8.prefix(128))

    /// keepalived's reading of what the ping socket returns (the ICMP message): an echo
    /// reply is up, anything else down.
    static func judge(_ reply: [UInt8], ipv6: Bool) -> CheckOutcome {
        guard reply.count >= 8 else { return .down("short ICMP packet of \(reply.count) bytes") }
        if reply[0] == (ipv6 ? 129 : 0) { return .up }
        return .down("ICMP type \(reply[0]) instead of an echo reply")
    }

    public static func check(_ target: CheckTarget, sequence: UInt16, on group: EventLoopGroup) -> EventLoopFuture<CheckOutcome> {
        let ipv6 = target.host.contains(":")
        let request: [UInt8] = [ipv6 ? 128 : 8, 0, 0, 0, 0, 0, UInt8(sequence >> 8), UInt8(sequence & 0xff)] + payload
        var address = target
        address.port = 0
        return UDPChecker.exchange(address, request, on: group,
                                   subtype: NIOBSDSocket.ProtocolSubtype(rawValue: ipv6 ? 58 : 1),
                                   judge: { judge($0, ipv6: ipv6) }, silence: .down("no echo reply within \(target.timeoutText)"))
            .map { outcome in
                if case let .down(why) = outcome, why.contains("Permission denied") || why.contains("(errno: 13)") {
                    return .down("ICMP echo sockets are not allowed for this group (net.ipv4.ping_group_range)")
                }
                return outcome
            }
    }
}
