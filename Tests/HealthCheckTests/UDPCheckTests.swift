import LVS
import NIOCore
import NIOPosix
import Testing
@testable import HealthCheck

/// UDP_CHECK against real UDP servers on 127.0.0.1: one that echoes what it gets, one
/// that answers a fixed reply, one that never answers, and a port with nothing bound
/// (the kernel's ICMP port unreachable).
@Suite(.serialized) struct UDPCheckTests {
    static let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    /// Answers every datagram with `reply`, or with the datagram itself (nil), or never
    /// (`silent`). Records what it received.
    final class Server: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        typealias OutboundOut = AddressedEnvelope<ByteBuffer>
        let reply: [UInt8]?
        let silent: Bool
        var received: [[UInt8]] = []
        init(reply: [UInt8]? = nil, silent: Bool = false) { self.reply = reply; self.silent = silent }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let envelope = unwrapInboundIn(data)
            let bytes = Array(envelope.data.readableBytesView)
            received.append(bytes)
            guard !silent else { return }
            var out = context.channel.allocator.buffer(capacity: 64)
            out.writeBytes(reply ?? bytes)
            context.writeAndFlush(wrapOutboundOut(AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: out)), promise: nil)
        }
    }

    static func start(_ handler: Server) throws -> Channel { try TestDatagram.server(handler, on: group) }

    static func check(_ port: Int, _ settings: UDPCheckSettings, timeout: Int64 = 300_000) throws -> CheckOutcome {
        try UDPChecker.check(CheckTarget(host: "127.0.0.1", port: port, timeout: timeout), settings, on: group).wait()
    }

    @Test func anEchoingServerIsUpAndGetsKeepalivedsDefaultPayload() throws {
        let handler = Server()
        let server = try Self.start(handler)
        defer { try? server.close().wait() }
        #expect(try Self.check(server.localAddress!.port!, UDPCheckSettings(requireReply: true)) == .up)
        #expect(handler.received.first == Array("keepalived check - keepalived ch".utf8))
    }

    @Test func aClosedPortIsDown() throws {
        let port = try TestDatagram.closedPort(on: Self.group)
        #expect(try Self.check(port, UDPCheckSettings()) == .down("port unreachable"))
    }

    @Test func silenceIsUpUnlessAReplyIsRequired() throws {
        let server = try Self.start(Server(silent: true))
        defer { try? server.close().wait() }
        let port = server.localAddress!.port!
        #expect(try Self.check(port, UDPCheckSettings()) == .up)
        #expect(try Self.check(port, UDPCheckSettings(requireReply: true)) == .down("no UDP reply within 0.3 s"))
    }

    @Test func theReplyMustMatchItsDataAndMask() throws {
        let server = try Self.start(Server(reply: [0x0a, 0x1b, 0x2c, 0x3d]))
        defer { try? server.close().wait() }
        let port = server.localAddress!.port!
        #expect(try Self.check(port, UDPCheckSettings(payload: [1], requireReply: true, replyData: [0x0a, 0x1b])) == .up)
        #expect(try Self.check(port, UDPCheckSettings(payload: [1], requireReply: true, replyData: [0x0a, 0x1c]))
                == .down("UDP reply data mismatch at byte 1"))
        #expect(try Self.check(port, UDPCheckSettings(payload: [1], requireReply: true, replyData: [0x0a, 0x10], mask: [0, 0x0f])) == .up)
        #expect(try Self.check(port, UDPCheckSettings(payload: [1], requireReply: true, replyData: [0x0a], minLength: 5))
                == .down("UDP reply of 4 bytes, expected 5 to 255"))
    }
}

/// PING_CHECK's request and its reading of the answer (the socket itself is proved in
/// Tests/Integration/checkers.sh, inside namespaces whose ping_group_range it may widen).
@Suite struct PingCheckTests {
    @Test func keepalivedsRequestAndReading() {
        #expect(PingChecker.payload.count == 128 && PingChecker.payload.starts(with: Array("keepalived check - keepalived".utf8)))
        #expect(PingChecker.judge([0, 0, 0, 0, 0, 1, 0, 1], ipv6: false) == .up)
        #expect(PingChecker.judge([129, 0, 0, 0, 0, 1, 0, 1], ipv6: true) == .up)
        #expect(PingChecker.judge([3, 1, 0, 0, 0, 0, 0, 0], ipv6: false) == .down("ICMP type 3 instead of an echo reply"))
        #expect(PingChecker.judge([0, 0], ipv6: false) == .down("short ICMP packet of 2 bytes"))
    }
}
