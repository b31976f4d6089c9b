import Crypto
import LVS
import NIOCore
import NIOHTTP1
import NIOSSL
import NIOPosix

/// keepalived's HTTP_GET: one request per `url`; the server is up when every URL answers
/// with an accepted status code (default 200–299) and, when a `digest` is given, a body
/// whose MD5 matches. The whole exchange must fit in connect_timeout.
public enum HTTPGetChecker {
    /// Checks `urls` (a subset of `settings.urls`, in order); the first failure decides.
    public static func check(_ target: CheckTarget, _ settings: HTTPGetSettings, urls: ArraySlice<HTTPGetSettings.URL>, tls: TLSClient?,
                             on group: EventLoopGroup) -> EventLoopFuture<CheckOutcome> {
        let loop = group.next()
        var result = loop.makeSucceededFuture(CheckOutcome.up)
        for url in urls {
            result = result.flatMap { outcome in
                guard outcome.isUp else { return loop.makeSucceededFuture(outcome) }
                return fetch(target, url, settings, tls: tls, on: loop).map { response in evaluate(response, url) }
                    .recover { .down(Connector.reason($0, target)) }
            }
        }
        return result
    }

    /// The verdict on one response.
    static func evaluate(_ response: Response, _ url: HTTPGetSettings.URL) -> CheckOutcome {
        let accepted = url.statusCodes.isEmpty ? [200...299] : url.statusCodes
        guard accepted.contains(where: { $0.contains(response.status) }) else { return .down("HTTP \(response.status) for \(url.path)") }
        if let digest = url.digest {
            let got = md5Hex(response.body)
            if got != digest.lowercased() { return .down("digest mismatch for \(url.path): \(got), expected \(digest.lowercased())") }
        }
        if let failure = url.regexFailure(response.body) { return .down(failure) }
        return .up
    }

    public static func md5Hex(_ bytes: [UInt8]) -> String {
        Insecure.MD5.hash(data: bytes).map { b in
            let s = String(b, radix: 16)
            return s.count == 1 ? "0" + s : s
        }.joined()
    }

    public struct Response: Sendable {
        public var status: Int
        public var body: [UInt8]
    }

    /// One GET, as the checker does it (for `vigil genhash`).
    public static func get(_ target: CheckTarget, path: String, virtualhost: String?, tls: TLSClient? = nil,
                           sni: Bool = false, on group: EventLoopGroup) -> EventLoopFuture<Response> {
        let url = HTTPGetSettings.URL(path: path, virtualhost: virtualhost)
        return fetch(target, url, HTTPGetSettings(urls: [url], tls: tls != nil, sni: sni), tls: tls, on: group.next())
            .flatMapErrorThrowing { throw GetError(description: Connector.reason($0, target)) }
    }

    public struct GetError: Error, CustomStringConvertible { public var description: String }

    /// keepalived's Host header: the virtualhost as it is, else the address with the port
    /// (brackets around an IPv6 literal, RFC 2732). Both request paths write it.
    static func hostHeader(_ url: HTTPGetSettings.URL, _ target: CheckTarget) -> String {
        url.virtualhost ?? (target.host.contains(":") ? "[\(target.host)]:\(target.port)" : "\(target.host):\(target.port)")
    }

    /// Completes a promise once: the deadline, the end of the response, the connection
    /// closing and an error can all race to it (all on the same event loop).
    final class Once: @unchecked Sendable {
        let promise: EventLoopPromise<Response>
        private var done = false
        init(_ promise: EventLoopPromise<Response>) { self.promise = promise }
        func succeed(_ r: Response) { if !done { done = true; promise.succeed(r) } }
        func fail(_ e: Error) { if !done { done = true; promise.fail(e) } }
    }

    static func fetch(_ target: CheckTarget, _ url: HTTPGetSettings.URL, _ settings: HTTPGetSettings, tls: TLSClient?,
                      on loop: EventLoop) -> EventLoopFuture<Response> {
        let promise = Once(loop.makePromise(of: Response.self))
        let deadline = loop.scheduleTask(in: .microseconds(target.timeout)) {
            promise.fail(CheckError.timeout(target.timeoutText))
        }
        if settings.tls && tls == nil {
            promise.fail(CheckError.protocolError("no TLS context (see the SSL error at start)"))
        }
        let connected = Connector.connect(target, on: loop) { channel in
            do {
                if settings.tls, let tls {
                    try channel.pipeline.syncOperations.addHandler(tls.handler(serverName: settings.sni ? url.virtualhost : nil))
                }
                try channel.pipeline.syncOperations.addHTTPClientHandlers()
                try channel.pipeline.syncOperations.addHandler(ResponseCollector(promise: promise))
                return channel.eventLoop.makeSucceededVoidFuture()
            } catch {
                return channel.eventLoop.makeFailedFuture(error)
            }
        }
        connected.whenFailure { promise.fail($0) }
        connected.whenSuccess { channel in
            let host = hostHeader(url, target)
            let version: HTTPVersion = settings.httpProtocol == .http11 ? .http1_1 : .http1_0
            var head = HTTPRequestHead(version: version, method: .GET, uri: url.path)
            // keepalived's request, header for header: operators' servers may know it by
            // its User-Agent (to keep health checks out of access logs, say).
            head.headers.add(name: "User-Agent", value: "KeepAliveClient")
            if settings.httpProtocol != .http10 { head.headers.add(name: "Connection", value: "close") }
            head.headers.add(name: "Host", value: host)
            channel.write(HTTPClientRequestPart.head(head), promise: nil)
            channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
            promise.promise.futureResult.whenComplete { _ in channel.close(promise: nil) }
        }
        promise.promise.futureResult.whenComplete { _ in deadline.cancel() }
        return promise.promise.futureResult
    }

    final class ResponseCollector: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPClientResponsePart
        private let promise: Once
        private var status: Int?
        private var body: [UInt8] = []
        /// Bodies beyond this are not needed to judge a health page.
        private let limit = 4 << 20

        init(promise: Once) { self.promise = promise }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case let .head(head): status = Int(head.status.code)
            case var .body(buffer):
                if body.count < limit, let bytes = buffer.readBytes(length: min(buffer.readableBytes, limit - body.count)) {
                    body += bytes
                }
            case .end:
                if let status { promise.succeed(Response(status: status, body: body)) }
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            promise.fail(CheckError.closedEarly)
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: Error) {
            // A TLS server that closes without close_notify after a body that ends at the
            // close: the HTTP decoder still ends the response when the channel goes.
            if let tls = error as? NIOSSLError, case .uncleanShutdown = tls { return }
            promise.fail(CheckError.protocolError("bad HTTP response: \(error)"))
            context.close(promise: nil)
        }
    }
}
