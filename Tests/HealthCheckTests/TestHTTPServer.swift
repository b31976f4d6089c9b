import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// The real server the checker tests talk to, on 127.0.0.1: /ok answers 200 "hello",
/// /hang never answers, anything else 503; every request's head is recorded; over TLS
/// when given a server context.
enum TestHTTPServer {
    /// What the server saw: each request's head.
    final class Seen: Sendable {
        let heads = Mutex<[HTTPRequestHead]>([])
    }

    final class Routes: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let seen: Seen
        private var uri = ""
        init(_ seen: Seen) { self.seen = seen }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case let .head(head):
                uri = head.uri
                seen.heads.withLock { $0.append(head) }
            case .body: break
            case .end:
                if uri == "/hang" { return }
                let ok = uri == "/ok"
                let body = ok ? "hello" : "unavailable"
                var head = HTTPResponseHead(version: .http1_0, status: ok ? .ok : .serviceUnavailable)
                head.headers.add(name: "Content-Length", value: "\(body.utf8.count)")
                context.write(wrapOutboundOut(.head(head)), promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: body)))), promise: nil)
                let channel = context.channel
                context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
            }
        }
    }

    static func start(on group: EventLoopGroup, seen: Seen = Seen(), tls: NIOSSLContext? = nil) throws -> Channel {
        try ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                do {
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Routes(seen))
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch { return channel.eventLoop.makeFailedFuture(error) }
            }
            .bind(host: "127.0.0.1", port: 0).wait()
    }
}
