#if canImport(Glibc)
import Glibc
#endif
import CNetlink
import VigilTypes

/// The tun device whose routes announce this director's services to the routing daemon
/// (FRR's zebra imports a main-table route of a protocol it does not own as a `kernel` route,
/// and bgpd redistributes it).
///
/// The device is not persistent: it lives exactly as long as this object's descriptor. When
/// the process dies, however it dies, the kernel closes the descriptor, destroys the device
/// and flushes its routes, and FRR withdraws the announcements (about 125 ms end to end): a
/// crashed director stops attracting traffic without anyone cleaning up after it. Nothing
/// ever reads from the device; it exists only to carry routes.
///
/// Per address, two routes of `protocolNumber`:
/// - `ADDRESS/32 dev <device>` (or /128) in the main table: the announcement. The main table
///   and no other: FRR's `ip import-table` does not withdraw when the device vanishes.
/// - `local ADDRESS/32 dev lo table local`: the address is this host's, so IPVS takes the
///   traffic the router sends. A route, not an address on lo: an address becomes a
///   `connected` route in zebra, which beats the kernel route and breaks the announcement.
///   This route does not vanish with the device; `close()` removes it, and the next run
///   removes what a crash left (`leftovers`).
public final class AnnounceDevice: RouteAnnouncing {
    /// Why the device could not be had. The name is someone else's, or unusable.
    public struct Refusal: Error, CustomStringConvertible, Sendable, Equatable {
        public enum Reason: Sendable, Equatable {
            /// A link of that name exists and is not a tun device (`kind` as the kernel says,
            /// e.g. "bridge"; empty for a device without a link kind, a physical one).
            case notTun(kind: String)
            /// A tun device of that name that someone made persistent (`ip tuntap add`): it
            /// would outlive a crash, and its routes with it.
            case persistentTun
            /// A tun or tap device of that name this process could not attach to (EBUSY:
            /// another process holds it open, another vigil perhaps).
            case inUse(errno: Int32)
            /// Empty, longer than 15 bytes, or with '/', '%' or white space.
            case invalidName
            /// `announce` after `close()`.
            case closed
        }

        public var name: String
        public var reason: Reason

        public init(name: String, reason: Reason) {
            self.name = name
            self.reason = reason
        }

        public var description: String {
            switch reason {
            case let .notTun(kind):
                let what = kind.isEmpty ? "a device without a link kind (a physical interface?)" : "a \(kind)"
                return "announce device \(name): a link of that name already exists and is \(what), not a tun device; refusing to use or delete it (choose another device name)"
            case .persistentTun:
                return "announce device \(name): a persistent tun device of that name exists (created with `ip tuntap add`?); its routes would outlive a crash, so vigil will not use it. Delete it (ip link delete \(name)) or choose another name"
            case let .inUse(errno):
                return "announce device \(name): a tun/tap device of that name exists and cannot be taken (\(String(cString: strerror(errno)))); another process holds it, another vigil perhaps"
            case .invalidName:
                return "announce device \(name): not a valid interface name (1 to 15 bytes, no '/', '%' or white space)"
            case .closed:
                return "announce device \(name): closed"
            }
        }
    }

    /// The device's name, as the kernel gave it.
    public let name: String
    public let interfaceIndex: Int32
    /// RTA_PROTOCOL of every route this object installs, and what marks a leftover.
    public let protocolNumber: UInt8
    /// Routes of `protocolNumber` an earlier run left in the main and local tables, removed
    /// at start (as `ip route` names them): for the daemon's log.
    public private(set) var leftovers: [String]
    /// The addresses announced now.
    public private(set) var announced: Set<InternetAddress> = []
    /// False once `close()` ran.
    public var isOpen: Bool { descriptor >= 0 }

    private var descriptor: Int32
    private let routes: RouteManager
    private let loopbackIndex: Int32

    /// Creates the device (`name`, IFF_TUN | IFF_NO_PI, never persistent) and brings it up:
    /// the kernel refuses a route over a device that is down. Then removes the routes of
    /// `protocolNumber` that an earlier run left in the main and local tables (`leftovers`):
    /// only once the device is this process's, so a second vigil started by mistake is
    /// refused before it can strip the running one's routes.
    ///
    /// Refuses (`Refusal`) a link of that name that is not a tun device, a persistent tun
    /// device, or one another process holds.
    public init(name: String = "vigil0", protocolNumber: UInt8 = 250) throws {
        guard !name.isEmpty, name.utf8.count < 16, !name.contains(where: { $0 == "/" || $0 == "%" || $0.isWhitespace }) else {
            throw Refusal(name: name, reason: .invalidName)
        }
        self.protocolNumber = protocolNumber
        let socket = try RouteNetlink.connect()
        defer { nl_socket_free(socket) }
        if let kind = Self.linkKind(name, socket: socket), kind != "tun" {
            throw Refusal(name: name, reason: .notTun(kind: kind))
        }
        let descriptor = try Self.openTun(name)
        var done = false
        defer { if !done { Glibc.close(descriptor) } }

        var link: OpaquePointer?
        var result = rtnl_link_get_kernel(socket, 0, name, &link)
        guard result == 0, let link else { throw NetlinkError("reading back \(name)", code: result) }
        defer { rtnl_link_put(link) }
        interfaceIndex = rtnl_link_get_ifindex(link)
        // Through rtnetlink, as every other link change of vigil: the change names IFF_UP
        // alone, so the kernel keeps the other flags, and no ioctl socket is needed.
        guard let change = rtnl_link_alloc() else { throw NetlinkError("rtnl_link_alloc", code: -NLE_NOMEM) }
        defer { rtnl_link_put(change) }
        rtnl_link_set_flags(change, 0x1)  // IFF_UP
        result = rtnl_link_change(socket, link, change, 0)
        guard result == 0 else { throw NetlinkError("bringing \(name) up", code: result) }

        var loopback: OpaquePointer?
        result = rtnl_link_get_kernel(socket, 0, "lo", &loopback)
        guard result == 0, let loopback else { throw NetlinkError("reading lo", code: result) }
        loopbackIndex = rtnl_link_get_ifindex(loopback)
        rtnl_link_put(loopback)

        routes = try RouteManager()
        leftovers = try routes.removeAll(protocolNumber: protocolNumber,
                                         tables: [RouteManager.mainTable, RouteManager.localTable])
        self.name = name
        self.descriptor = descriptor
        done = true
    }

    /// Closing the descriptor destroys the device and its main-table routes: a crash's
    /// effect. The local-table routes stay (the next run removes them); `close()` first to
    /// remove them too.
    deinit {
        if descriptor >= 0 { Glibc.close(descriptor) }
    }

    /// The local route first, then the announcement: by the time the router sends traffic,
    /// IPVS takes it. If the local route cannot be added, nothing is announced.
    @discardableResult
    public func announce(_ address: InternetAddress) throws -> Bool {
        guard isOpen else { throw Refusal(name: name, reason: .closed) }
        try routes.add(localRoute(address))
        let added: Bool
        do {
            added = try routes.add(announcedRoute(address))
        } catch {
            if !announced.contains(address) { _ = try? routes.remove(localRoute(address)) }
            throw error
        }
        announced.insert(address)
        return added
    }

    /// The announcement first, then the local route: the router stops sending before the
    /// host stops taking. After `close()` there is nothing left to withdraw (false).
    @discardableResult
    public func withdraw(_ address: InternetAddress) throws -> Bool {
        guard isOpen else { return false }
        let was = try routes.remove(announcedRoute(address))
        try routes.remove(localRoute(address))
        announced.remove(address)
        return was
    }

    /// Withdraws every address announced, then closes the device (the kernel destroys it).
    /// Closes it even if a withdrawal failed, and then throws the first failure. Calling it
    /// again does nothing.
    public func close() throws {
        guard isOpen else { return }
        var failure: Error?
        for address in announced.sorted() {
            do { try withdraw(address) } catch { failure = failure ?? error }
        }
        Glibc.close(descriptor)
        descriptor = -1
        if let failure { throw failure }
    }

    /// `address/32 dev <device> proto N` in the main table, link scope as `ip route` gives a
    /// route without gateway.
    func announcedRoute(_ address: InternetAddress) -> KernelRoute {
        KernelRoute(kind: .unicast, destination: address, prefixLength: address.isIPv6 ? 128 : 32,
                    interfaceIndex: interfaceIndex, scope: 253, table: RouteManager.mainTable,
                    protocolNumber: protocolNumber)
    }

    /// `local address/32 dev lo table local proto N`: host scope, the only one the kernel
    /// takes for a local route.
    func localRoute(_ address: InternetAddress) -> KernelRoute {
        KernelRoute(kind: .local, destination: address, prefixLength: address.isIPv6 ? 128 : 32,
                    interfaceIndex: loopbackIndex, scope: 254, table: RouteManager.localTable,
                    protocolNumber: protocolNumber)
    }

    /// The link kind (IFLA_INFO_KIND: "tun" for tun and tap alike, "" for a device without
    /// one) of the link of that name; nil when there is none.
    private static func linkKind(_ name: String, socket: OpaquePointer) -> String? {
        var existing: OpaquePointer?
        guard rtnl_link_get_kernel(socket, 0, name, &existing) == 0, let existing else { return nil }
        defer { rtnl_link_put(existing) }
        return rtnl_link_get_type(existing).map { String(cString: $0) } ?? ""
    }

    /// TUNSETIFF and TUNGETIFF of <linux/if_tun.h>, and the flags they carry.
    private static let setInterface: UInt = 0x4004_54ca
    private static let getInterface: UInt = 0x8004_54d2
    private static let tunFlag: Int16 = 0x0001, noPacketInformation: Int16 = 0x1000, persistFlag: Int16 = 0x0800

    /// Opens /dev/net/tun (close-on-exec: no script inherits it) and creates the device, or
    /// attaches to a tun of that name no process holds, which can only be a persistent one:
    /// TUNGETIFF then says so, and it is let go untouched.
    private static func openTun(_ name: String) throws -> Int32 {
        let descriptor = open("/dev/net/tun", O_RDWR | O_CLOEXEC)
        guard descriptor >= 0 else { throw SystemCallError("open /dev/net/tun") }
        // struct ifreq: ifr_name[IFNAMSIZ], then the union, whose ifr_flags (a short) comes first.
        var request = [UInt8](repeating: 0, count: 40)
        request.replaceSubrange(0..<name.utf8.count, with: name.utf8)
        request.withUnsafeMutableBytes { $0.storeBytes(of: tunFlag | noPacketInformation, toByteOffset: 16, as: Int16.self) }
        if request.withUnsafeMutableBytes({ ioctl(descriptor, setInterface, $0.baseAddress!) }) != 0 {
            let error = errno
            Glibc.close(descriptor)
            if error == EBUSY || error == EINVAL || error == EPERM { throw Refusal(name: name, reason: .inUse(errno: error)) }
            throw SystemCallError("TUNSETIFF \(name)", errno: error)
        }
        var current = [UInt8](repeating: 0, count: 40)
        guard current.withUnsafeMutableBytes({ ioctl(descriptor, getInterface, $0.baseAddress!) }) == 0 else {
            let error = errno
            Glibc.close(descriptor)
            throw SystemCallError("TUNGETIFF \(name)", errno: error)
        }
        let flags = current.withUnsafeBytes { $0.load(fromByteOffset: 16, as: Int16.self) }
        if flags & persistFlag != 0 {
            Glibc.close(descriptor)
            throw Refusal(name: name, reason: .persistentTun)
        }
        return descriptor
    }
}
