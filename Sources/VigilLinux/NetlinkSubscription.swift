import CNetlink

/// A netlink socket subscribed to multicast groups and read without blocking: what the
/// link, routing and nftables monitors share. Each parses its own messages.
final class NetlinkSubscription {
    let fileDescriptor: Int32
    private let socket: OpaquePointer
    private let callbacks: OpaquePointer
    /// The parser of the read in progress (set only inside `read`).
    private var parse: ((UnsafeMutablePointer<nlmsghdr>) -> Void)?

    /// `bufferSize`: the socket's receive buffer, for groups that come in bursts.
    init(protocol family: Int32, groups: [UInt32], bufferSize: Int32? = nil, what: String) throws {
        guard let socket = nl_socket_alloc() else { throw NetlinkError("nl_socket_alloc", code: -NLE_NOMEM) }
        // Notifications carry sequence number 0; there is no request to match them to.
        nl_socket_disable_seq_check(socket)
        var result = nl_connect(socket, family)
        for group in groups where result == 0 { result = nl_socket_add_membership(socket, Int32(group)) }
        if result == 0 { result = nl_socket_set_nonblocking(socket) }
        if result == 0, let bufferSize { result = nl_socket_set_buffer_size(socket, bufferSize, 0) }
        guard result == 0, let callbacks = nl_socket_get_cb(socket) else {
            nl_socket_free(socket)
            throw NetlinkError("subscribing to \(what)", code: result == 0 ? -NLE_NOMEM : result)
        }
        self.socket = socket
        self.callbacks = callbacks
        fileDescriptor = nl_socket_get_fd(socket)
        nl_cb_set(callbacks, NL_CB_VALID, NL_CB_CUSTOM, { message, context in
            guard let message, let context else { return Int32(NL_SKIP.rawValue) }
            Unmanaged<NetlinkSubscription>.fromOpaque(context).takeUnretainedValue().parse?(nlmsg_hdr(message))
            return Int32(NL_OK.rawValue)
        }, Unmanaged.passUnretained(self).toOpaque())
    }

    deinit {
        nl_cb_put(callbacks)
        nl_socket_free(socket)
    }

    /// Hands each waiting message to `body` (bounded: at most 64 batches per call). False
    /// when the kernel dropped messages (the buffer overflowed, ENOBUFS arriving as
    /// -NLE_NOMEM) or the socket failed: the caller must read the state afresh.
    func read(_ body: (UnsafeMutablePointer<nlmsghdr>) -> Void) -> Bool {
        withoutActuallyEscaping(body) { body in
            parse = body
            defer { parse = nil }
            for _ in 0..<64 {
                let result = nl_recvmsgs_report(socket, callbacks)
                if result == 0 { break }
                if result < 0 {
                    if result == -NLE_AGAIN || result == -NLE_INTR { break }
                    return false
                }
            }
            return true
        }
    }
}
