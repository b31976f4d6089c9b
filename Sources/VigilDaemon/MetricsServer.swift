import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization
import VigilConfig

/// The `metrics_listen` endpoint: `GET /metrics` answers Prometheus' text format. It runs
/// on a SwiftNIO thread of its own, so a slow scraper never holds up the VRRP loop; it
/// reads only the registry (thread-safe) and the kernel's IPVS counters.
final class MetricsServer {
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private var channel: Channel?
    /// Connections open at once (a scraper needs one): the rest are closed on accept, so a
    /// monitoring system gone wild cannot take the descriptors the checkers, the process
    /// scan and reloads need.
    static let maximumConnections = 16
    /// How long a connection may live, idle or sending its request a byte at a time.
    static let connectionLifetime = TimeAmount.seconds(10)
    private let open = OpenConnections()

    /// The count of open connections, shared by the accept path and the close callbacks.
    private final class OpenConnections: Sendable {
        private let count = Mutex<Int>(0)
        /// One more, unless the cap is reached.
        func admit() -> Bool {
            count.withLock { n in
                guard n < MetricsServer.maximumConnections else { return false }
                n += 1
                return true
            }
        }
        func release() { count.withLock { $0 -= 1 } }
    }

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
            .childChannelInitializer { [open] channel in
                guard open.admit() else { return channel.close() }
                channel.closeFuture.whenComplete { _ in open.release() }
                // Whatever it is doing, the connection ends after its lifetime.
                let deadline = channel.eventLoop.scheduleTask(in: Self.connectionLifetime) { channel.close(promise: nil) }
                channel.closeFuture.whenComplete { _ in deadline.cancel() }
                return channel.pipeline.configureHTTPServerPipeline().flatMap {
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
