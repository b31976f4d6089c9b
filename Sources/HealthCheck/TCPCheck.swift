#if canImport(Glibc)
import Glibc
#endif
import LVS
import NIOCore
import NIOPosix

/// keepalived's TCP_CHECK: the real server is up when a TCP connection to it succeeds
/// within connect_timeout; the connection is closed at once.
public enum TCPChecker {
    public static func check(_ target: CheckTarget, on group: EventLoopGroup) -> EventLoopFuture<CheckOutcome> {
        let loop = group.next()
        return Connector.connect(target, on: loop).flatMap { channel in
            channel.close().map { CheckOutcome.up }.recover { _ in .up }
        }.recover { error in
            .down(Connector.reason(error, target))
        }
    }
}

/// Opening a checker's connection: bind address/port if set, connect_timeout enforced.
enum Connector {
    static func connect(_ target: CheckTarget, on loop: EventLoop,
                        initializer: (@Sendable (Channel) -> EventLoopFuture<Void>)? = nil) -> EventLoopFuture<Channel> {
        var bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(.microseconds(target.timeout))
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
        if let initializer { bootstrap = bootstrap.channelInitializer(initializer) }
        if let name = target.bindInterface {
            guard let index = interfaceIndex(name) else { return loop.makeFailedFuture(CheckError.protocolError(noInterface(name))) }
            bootstrap = bootstrap.channelOption(bindToInterface, value: index)
        }
        if let mark = target.fwmark { bootstrap = bootstrap.channelOption(socketMark, value: SocketOptionValue(truncatingIfNeeded: mark)) }
        if let bind = target.bindAddress {
            do {
                let address = try SocketAddress(ipAddress: bind, port: target.bindPort ?? 0)
                bootstrap = bootstrap.bind(to: address)
            } catch {
                return loop.makeFailedFuture(error)
            }
        }
        // An address literal (the usual case: the real server's address) needs no resolver:
        // connect(host:) would run getaddrinfo and happy eyeballs for every check.
        if let address = try? SocketAddress(ipAddress: target.host, port: target.port) {
            return bootstrap.connect(to: address)
        }
        return bootstrap.connect(host: target.host, port: target.port)
    }

    /// `bind_if`: SO_BINDTOIFINDEX (Linux 5.0), whose index fits NIO's integer socket
    /// options where SO_BINDTODEVICE would need the name as a string. For every checker
    /// that opens a socket (TCP and datagram alike).
    static let bindToInterface = ChannelOptions.socketOption(NIOBSDSocket.Option(rawValue: 62))

    /// `fwmark`: SO_MARK (needs CAP_NET_ADMIN, which the daemon has).
    static let socketMark = ChannelOptions.socketOption(NIOBSDSocket.Option(rawValue: SO_MARK))

    /// The interface's index for `bindToInterface`, nil when there is no such interface.
    static func interfaceIndex(_ name: String) -> SocketOptionValue? {
        let index = if_nametoindex(name)
        return index == 0 ? nil : SocketOptionValue(index)
    }

    static func noInterface(_ name: String) -> String { "bind_if \(name): no such interface" }

    /// The connection errors keepalived users expect to read by name (SwiftNIO's path and
    /// the bare prober alike); nil for the others, which each path words itself.
    static func reason(errno: Int32, _ target: CheckTarget) -> String? {
        switch errno {
        case ECONNREFUSED: return "connection refused"
        case EHOSTUNREACH: return "no route to host"
        case ETIMEDOUT: return "timeout after \(target.timeoutText)"
        default: return nil
        }
    }

    /// The reason as keepalived users expect to read it.
    static func reason(_ error: Error, _ target: CheckTarget) -> String {
        if let e = error as? ChannelError, case .connectTimeout = e { return "timeout after \(target.timeoutText)" }
        if let e = error as? CheckError { return e.description }
        if let e = error as? IOError { return reason(errno: e.errnoCode, target) ?? "\(e)" }
        if let e = error as? NIOConnectionError {
            if let first = e.connectionErrors.first?.error { return reason(first, target) }
            return "cannot connect to \(target.host):\(target.port)"
        }
        return "\(error)"
    }
}

enum CheckError: Error, CustomStringConvertible {
    case timeout(String)
    case closedEarly
    case protocolError(String)

    var description: String {
        switch self {
        case let .timeout(after): return "timeout after \(after)"
        case .closedEarly: return "connection closed before a complete response"
        case let .protocolError(what): return what
        }
    }
}
