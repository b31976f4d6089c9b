import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import VigilConfig

/// The `metrics_listen` endpoint: `GET /metrics` answers Prometheus' text format. It runs
/// on a SwiftNIO thread of its own, so a slow scraper never holds up the VRRP loop; it
/// reads only the registry (thread-safe) and the kernel's IPVS counters.
final class MetricsServer {
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private var channel: Channel?

    /// Binds `listen` (`ADDRESS:PORT`, IPv6 as `[ADDRESS]:PORT`).
    init(listen: String, metrics: Metrics, logger: Logger) throws {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]) else {
            throw MetricsError(description: "metrics_listen '\(listen)' is not ADDRESS:PORT")
        }
        var host = String(listen[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 16)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(Handler(metrics: metrics))
                }
            }
        do {
            channel = try bootstrap.bind(host: host, port: port).wait()
        } catch {
            try? group.syncShutdownGracefully()
            throw MetricsError(description: "metrics_listen \(listen): \(error)")
        }
    }

    func stop() {
        try? channel?.close().wait()
        try? group.syncShutdownGracefully()
    }

    struct MetricsError: Error, CustomStringConvertible { var description: String }

    private final class Handler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let metrics: Metrics
        private var path: String?

        init(metrics: Metrics) { self.metrics = metrics }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case let .head(head):
                path = head.method == .GET ? String(head.uri.split(separator: "?").first ?? "") : nil
            case .body:
                break
            case .end:
                let (status, body, type): (HTTPResponseStatus, String, String) = switch path {
                case "/metrics"?: (.ok, metrics.scrape(), "text/plain; version=0.0.4; charset=utf-8")
                case nil: (.methodNotAllowed, "GET /metrics\n", "text/plain")
                default: (.notFound, "Vigil serves its metrics at /metrics\n", "text/plain")
                }
                var headers = HTTPHeaders()
                headers.add(name: "Content-Type", value: type)
                headers.add(name: "Content-Length", value: "\(body.utf8.count)")
                headers.add(name: "Connection", value: "close")
                context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: body)))), promise: nil)
                let channel = context.channel
                context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
            }
        }
    }
}
