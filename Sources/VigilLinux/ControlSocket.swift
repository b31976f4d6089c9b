#if canImport(Glibc)
import Glibc
#endif
import VRRP
import VigilTypes

/// The daemon's control socket: a Unix stream socket (mode 0600, so root only unless the
/// operator loosens it) where `vigil status`, `vigil reload`, `vigil drain` … send one
/// request line and read one reply, after which the daemon closes the connection.
///
/// Everything is non-blocking and driven by the daemon's ppoll: a slow or stuck client
/// can never hold up an advert. A client gets at most `requestLimit` bytes and
/// `clientLimit` connections are served at once; beyond that new ones are closed at once.
public final class ControlSocket {
    public let path: String
    public let fileDescriptor: Int32
    private struct Client {
        var fd: Int32
        var input: [UInt8] = []
        var output: [UInt8] = []
        var replied = false
    }
    private var clients: [Client] = []
    public static let requestLimit = 4096
    public static let clientLimit = 16

    /// Binds `path` (an earlier run's socket file is replaced) with mode `mode`.
    public init(path: String, mode: mode_t = 0o600) throws(SystemCallError) {
        self.path = path
        var address = try Self.address(path)
        // Another daemon answering there keeps its socket: taking it over would cut the
        // operator off from that one. A file nobody answers on is an earlier run's leftover.
        if (try? Self.request("", path: path, timeout: 1, connectOnly: true)) != nil {
            throw SystemCallError("another vigil answers on \(path) (give this one --control-socket)", errno: EADDRINUSE)
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemCallError("socket(AF_UNIX)") }
        unlink(path)
        // The socket is created with the umask's mode; bind under a tight umask so there
        // is no moment when others could connect.
        let old = umask(0o177)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        umask(old)
        guard bound == 0 else {
            let e = SystemCallError("bind \(path)")
            close(fd)
            throw e
        }
        chmod(path, mode)
        guard listen(fd, 16) == 0 else {
            let e = SystemCallError("listen \(path)")
            close(fd)
            unlink(path)
            throw e
        }
        fileDescriptor = fd
    }

    /// `path` as a socket address (at most 107 bytes).
    static func address(_ path: String) throws(SystemCallError) -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw SystemCallError("control socket path \(path) is too long", errno: ENAMETOOLONG)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        return address
    }

    deinit {
        for c in clients { close(c.fd) }
        close(fileDescriptor)
        unlink(path)
    }

    /// The descriptors to poll beside the listening one, with the events each waits for.
    public var clientPolls: [(fd: Int32, events: Int16)] {
        clients.map { ($0.fd, $0.replied ? Int16(POLLOUT) : Int16(POLLIN)) }
    }

    /// Accepts waiting connections (the listening socket was readable).
    /// Out of descriptors (EMFILE, ENFILE), accept fails while the listener stays
    /// readable: polled again at once, the loop would spin. It is left out of the poll
    /// until then, and the clients wait in the kernel's backlog.
    public private(set) var pausedUntil: Instant?
    /// How long the listener rests after running out of descriptors.
    public static let pause: Int64 = 100_000

    /// Whether the listener is polled at `now`.
    public func isListening(at now: Instant) -> Bool {
        guard let until = pausedUntil else { return true }
        if now >= until { pausedUntil = nil }
        return pausedUntil == nil
    }

    /// Takes waiting clients; the error when it ran out of descriptors (the listener then
    /// rests for `pause`), for the daemon's log.
    @discardableResult
    public func accept(at now: Instant) -> SystemCallError? {
        for _ in 0..<Self.clientLimit {
            let fd = Glibc.accept(fileDescriptor, nil, nil)
            guard fd >= 0 else {
                guard errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM else { return nil }
                pausedUntil = now + Self.pause
                return SystemCallError("accept")
            }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            if clients.count >= Self.clientLimit {
                close(fd)
                continue
            }
            clients.append(Client(fd: fd))
        }
        return nil
    }

    /// Reads from readable clients and writes pending replies; returns the complete
    /// request lines, each with the client to answer.
    public func service(ready: Set<Int32>) -> [(client: Int32, request: String)] {
        var requests: [(Int32, String)] = []
        var closed: Set<Int32> = []
        for i in clients.indices where ready.contains(clients[i].fd) {
            if clients[i].replied {
                if !flush(&clients[i]) { closed.insert(clients[i].fd) }
                continue
            }
            var buffer = [UInt8](repeating: 0, count: 1024)
            let n = read(clients[i].fd, &buffer, buffer.count)
            if n <= 0 {
                if n == 0 || (errno != EAGAIN && errno != EINTR) { closed.insert(clients[i].fd) }
                continue
            }
            clients[i].input += buffer[0..<n]
            if let end = clients[i].input.firstIndex(of: UInt8(ascii: "\n")) {
                requests.append((clients[i].fd, String(decoding: clients[i].input[..<end], as: UTF8.self)))
                clients[i].replied = true
            } else if clients[i].input.count > Self.requestLimit {
                clients[i].output = Array("error: request longer than \(Self.requestLimit) bytes\n".utf8)
                clients[i].replied = true
            }
        }
        drop(closed)
        return requests
    }

    /// Queues the reply for `client` and writes what the socket takes now.
    public func reply(_ client: Int32, _ text: String) {
        guard let i = clients.firstIndex(where: { $0.fd == client }) else { return }
        clients[i].output = Array(text.utf8)
        if !text.hasSuffix("\n") { clients[i].output.append(UInt8(ascii: "\n")) }
        if !flush(&clients[i]) { drop([client]) }
    }

    /// False when the client is done with (all written, or gone).
    private func flush(_ c: inout Client) -> Bool {
        while !c.output.isEmpty {
            let n = c.output.withUnsafeBytes { send(c.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 { return errno == EAGAIN || errno == EINTR }
            c.output.removeFirst(n)
        }
        return false
    }

    private func drop(_ fds: Set<Int32>) {
        guard !fds.isEmpty else { return }
        for fd in fds {
            // Unread input at close() makes the kernel reset the connection, and the
            // client would lose the reply (an overlong request): read it away first.
            var sink = [UInt8](repeating: 0, count: 4096)
            for _ in 0..<64 where read(fd, &sink, sink.count) > 0 {}
            close(fd)
        }
        clients.removeAll { fds.contains($0.fd) }
    }

    /// Client side: sends one request and returns the whole reply (`vigil status` …).
    public static func request(_ line: String, path: String, timeout seconds: Int = 10,
                               connectOnly: Bool = false) throws(SystemCallError) -> String {
        var address = try Self.address(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemCallError("socket(AF_UNIX)") }
        defer { close(fd) }
        var tv = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else { throw SystemCallError("connect \(path) (is vigil running?)") }
        if connectOnly { return "" }
        let out = Array((line + "\n").utf8)
        guard out.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == out.count else {
            throw SystemCallError("send to \(path)")
        }
        var reply: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemCallError("reading the reply from \(path)")
            }
            if n == 0 { break }
            reply += buffer[0..<n]
        }
        return String(decoding: reply, as: UTF8.self)
    }
}
