#if canImport(Glibc)
import Glibc
#endif
import CNetlink
import VRRP
import VigilTypes

/// An address as `ip addr` holds it: what a `virtual_ipaddress` line installs.
public struct InterfaceAddress: Hashable, Sendable, CustomStringConvertible {
    public var interfaceIndex: Int32
    public var address: InternetAddress
    public var prefixLength: Int
    public var broadcast: IPv4Address?
    /// `label` (at most 15 characters, e.g. `eth0:vip`).
    public var label: String?
    /// rtnetlink scope: 0 global, 200 site, 253 link, 254 host, 255 nowhere.
    public var scope: UInt8?
    /// IFA_F_* flags set on the address (`home`, `noprefixroute`, `autojoin`, `mngtmpaddr`).
    public var flags: UInt32 = 0
    /// IPv6: add without Duplicate Address Detection (keepalived's default; `-nodad` off).
    public var noDAD = true
    /// IPv6 `preferred_lft` in seconds (0: deprecated, not chosen as a source); nil: forever.
    public var preferredLifetime: UInt32?

    public static let homeAddress: UInt32 = 0x10        // IFA_F_HOMEADDRESS
    public static let manageTemporaryAddress: UInt32 = 0x100  // IFA_F_MANAGETEMPADDR
    public static let noPrefixRoute: UInt32 = 0x200     // IFA_F_NOPREFIXROUTE
    public static let multicastAutoJoin: UInt32 = 0x400 // IFA_F_MCAUTOJOIN

    public init(interfaceIndex: Int32, address: InternetAddress, prefixLength: Int, broadcast: IPv4Address? = nil,
                label: String? = nil, scope: UInt8? = nil) {
        self.interfaceIndex = interfaceIndex
        self.address = address
        self.prefixLength = prefixLength
        self.broadcast = broadcast
        self.label = label
        self.scope = scope
    }

    public var description: String { "\(address)/\(prefixLength)" }
}

/// Adds and removes addresses over rtnetlink with libnl-route-3.
public final class AddressManager {
    private let socket: OpaquePointer

    public init() throws {
        socket = try RouteNetlink.connect()
    }

    deinit { nl_socket_free(socket) }

    /// Fault drills only: `VIGIL_FAULT_ADDRESS_ADD=N` makes the first N additions fail as
    /// if the kernel were busy (NLE_BUSY), to prove the retry and its report on a real run.
    private var injectedFailures = getenv("VIGIL_FAULT_ADDRESS_ADD").flatMap { Int(String(cString: $0)) } ?? 0

    /// Installs the address; one that is already there is fine. Says whether it was
    /// added (false: it was there already).
    @discardableResult
    public func add(_ address: InterfaceAddress) throws -> Bool {
        if injectedFailures > 0 {
            injectedFailures -= 1
            throw NetlinkError("adding \(address) (injected by VIGIL_FAULT_ADDRESS_ADD)", code: -Int32(NLE_BUSY))
        }
        let result = try withAddress(address) { rtnl_addr_add(socket, $0, 0) }
        if result == -NLE_EXIST { return false }
        if result < 0 { throw NetlinkError("adding \(address)", code: result) }
        return true
    }

    /// Removes the address; one that is already gone is fine. Says whether it was there.
    @discardableResult
    public func remove(_ address: InterfaceAddress) throws -> Bool {
        let result = try withAddress(address) { rtnl_addr_delete(socket, $0, 0) }
        // Gone with its interface (deleted under a master) is gone too.
        if result == -NLE_NOADDR || result == -NLE_OBJ_NOTFOUND || result == -NLE_NODEV { return false }
        if result < 0 { throw NetlinkError("removing \(address)", code: result) }
        return true
    }

    private func withAddress(_ a: InterfaceAddress, _ body: (OpaquePointer) -> Int32) throws -> Int32 {
        guard let object = rtnl_addr_alloc() else { throw NetlinkError("rtnl_addr_alloc", code: -NLE_NOMEM) }
        defer { rtnl_addr_put(object) }
        rtnl_addr_set_ifindex(object, a.interfaceIndex)
        let family = a.address.isIPv6 ? AF_INET6 : AF_INET
        rtnl_addr_set_family(object, family)
        var bytes = a.address.bytes
        guard let local = nl_addr_build(family, &bytes, bytes.count) else { throw NetlinkError("nl_addr_build", code: -NLE_NOMEM) }
        // An IPv6 VIP must work the moment it is added: no Duplicate Address Detection
        // (the peer that held it has just let it go), as keepalived adds them.
        var flags = a.flags
        if a.address.isIPv6 && a.noDAD { flags |= 0x02 }  // IFA_F_NODAD
        if flags != 0 { rtnl_addr_set_flags(object, flags) }
        if a.address.isIPv6, let preferred = a.preferredLifetime {
            rtnl_addr_set_preferred_lifetime(object, preferred)
            rtnl_addr_set_valid_lifetime(object, 0xffff_ffff)
        }
        defer { nl_addr_put(local) }
        nl_addr_set_prefixlen(local, Int32(a.prefixLength))
        var result = rtnl_addr_set_local(object, local)
        guard result == 0 else { throw NetlinkError("address \(a)", code: result) }
        rtnl_addr_set_prefixlen(object, Int32(a.prefixLength))
        if let broadcast = a.broadcast {
            var b = broadcast.bytes
            if let brd = nl_addr_build(AF_INET, &b, 4) {
                result = rtnl_addr_set_broadcast(object, brd)
                nl_addr_put(brd)
            }
        }
        if let label = a.label {
            result = label.withCString { rtnl_addr_set_label(object, $0) }
            guard result == 0 else { throw NetlinkError("label '\(label)'", code: result) }
        }
        if let scope = a.scope { rtnl_addr_set_scope(object, Int32(scope)) }
        return body(object)
    }
}
