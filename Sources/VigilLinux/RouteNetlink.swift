import CNetlink

/// Opening an rtnetlink socket with libnl, shared by everything that reads or changes
/// links, addresses and routes.
enum RouteNetlink {
    /// A connected NETLINK_ROUTE socket; the caller frees it with nl_socket_free.
    static func connect() throws -> OpaquePointer {
        guard let socket = nl_socket_alloc() else { throw NetlinkError("nl_socket_alloc", code: -NLE_NOMEM) }
        let connected = nl_connect(socket, NETLINK_ROUTE)
        guard connected == 0 else {
            nl_socket_free(socket)
            throw NetlinkError("connecting to rtnetlink", code: connected)
        }
        return socket
    }
}
