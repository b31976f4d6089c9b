import LVS
import NIOCore
import NIOPosix
import Testing
@testable import HealthCheck

/// DNS_CHECK against a real UDP server on 127.0.0.1 that answers each query with the
/// configured code, after first sending an answer with another ID (which must be waited
/// past); and a silent one, and a closed port.
@Suite(.serialized) struct DNSCheckTests {
    static let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    final class Server: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        typealias OutboundOut = AddressedEnvelope<ByteBuffer>
        let rcode: UInt8?
        var queries: [[UInt8]] = []
        init(rcode: UInt8?) { self.rcode = rcode }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let envelope = unwrapInboundIn(data)
            let q = Array(envelope.data.readableBytesView)
            queries.append(q)
            guard let rcode, q.count >= 12 else { return }
            for id in [[q[0] ^ 0xff, q[1]], [q[0], q[1]]] {
                var out = context.channel.allocator.buffer(capacity: q.count)
                out.writeBytes(id + [0x81, 0x80 | rcode] + q[4...])
                context.writeAndFlush(wrapOutboundOut(AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: out)), promise: nil)
            }
        }
    }

    static func start(_ handler: Server) throws -> Channel { try TestDatagram.server(handler, on: group) }

    static func check(_ port: Int, _ settings: DNSCheckSettings = DNSCheckSettings(type: 1, name: "example.com")) throws -> CheckOutcome {
        try DNSChecker.check(CheckTarget(host: "127.0.0.1", port: port, timeout: 300_000), settings, on: group).wait()
    }

    @Test func noErrorIsUpAndAnotherIDIsWaitedPast() throws {
        let handler = Server(rcode: 0)
        let server = try Self.start(handler)
        defer { try? server.close().wait() }
        #expect(try Self.check(server.localAddress!.port!) == .up)
        let q = try #require(handler.queries.first)
        #expect(q[2] == 0x01 && q.suffix(4) == [0, 1, 0, 1], "RD set; type A, class IN")
    }

    @Test func anErrorCodeSilenceAndAClosedPortAreDown() throws {
        let refusing = try Self.start(Server(rcode: 5))
        defer { try? refusing.close().wait() }
        #expect(try Self.check(refusing.localAddress!.port!) == .down("DNS A example.com: rcode 5 (REFUSED)"))
        let silent = try Self.start(Server(rcode: nil))
        defer { try? silent.close().wait() }
        #expect(try Self.check(silent.localAddress!.port!) == .down("no DNS answer within 0.3 s"))
        let port = try TestDatagram.closedPort(on: Self.group)
        #expect(try Self.check(port) == .down("port unreachable"))
    }
}
