import NIOCore
import NIOPosix

/// UDP servers on 127.0.0.1 for the datagram checkers' tests (UDP_CHECK, DNS_CHECK).
enum TestDatagram {
    /// A server on a free port whose datagrams go to `handler`.
    static func server(_ handler: some ChannelInboundHandler & Sendable, on group: EventLoopGroup) throws -> Channel {
        try DatagramBootstrap(group: group)
            .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handler) } }
            .bind(host: "127.0.0.1", port: 0).wait()
    }

    /// A port with nothing bound (bound, then closed): the kernel answers ICMP port
    /// unreachable.
    static func closedPort(on group: EventLoopGroup) throws -> Int {
        let probe = try DatagramBootstrap(group: group).bind(host: "127.0.0.1", port: 0).wait()
        let port = probe.localAddress!.port!
        try probe.close().wait()
        return port
    }
}
