#if canImport(Glibc)
import Glibc
#endif
import CNetlink
import VRRP
import VigilTypes

/// keepalived's `use_vmac`: a macvlan interface on top of the instance's interface that
/// carries the VRRP virtual MAC (RFC 3768 §7.3: 00:00:5e:00:01:VRID), so the VIP keeps
/// its MAC when it moves between boxes and no ARP cache has to be corrected.
///
/// Created in bridge mode, then brought up. For an IPv4 instance without IPv6 (a
/// link-local address and its DAD would send frames from the virtual MAC on the backup
/// too). For an IPv6 instance, as keepalived: no address generated from the virtual MAC
/// (addr_gen_mode none), and the parent's link-local address added without DAD, so the
/// adverts leave the macvlan from the same source as the parent's would. The sysctls are
/// keepalived's: on the macvlan arp_ignore 1, accept_local 1, rp_filter 0; on the parent
/// arp_ignore 1 and arp_filter 1 so only the macvlan answers ARP for the VIP. Vigil also
/// sets arp_announce 2 on the parent: replies to clients leave through the parent, and
/// its ARP requests would otherwise carry the VIP as sender address with the parent's MAC,
/// undoing in every client's cache what the macvlan's ARP reply taught it. (The parent's
/// values are put back on removal.)
public final class VirtualMAC {
    public let name: String
    public let index: Int32
    public let hardwareAddress: [UInt8]
    private let parentName: String
    private var savedParentSettings: [(String, String)] = []

    /// 00:00:5e:00:01:VRID, or …:02:VRID for IPv6 (RFC 5798 §7.3).
    public static func address(vrid: UInt8, ipv6: Bool) -> [UInt8] { [0, 0, 0x5e, 0, ipv6 ? 2 : 1, vrid] }

    /// A link of the wanted name exists and is not what an earlier run would have left: a
    /// VLAN, a bond, a bridge, or a macvlan with another MAC. It is not Vigil's to delete.
    public struct Conflict: Error, CustomStringConvertible, Sendable {
        public var name: String
        public var kind: String
        public var description: String {
            "a link named \(name) already exists and is \(kind), not a macvlan with the VRRP virtual MAC; refusing to delete it (choose another name with use_vmac NAME)"
        }
    }

    /// Creates the interface; one of the same name left by an earlier run — a macvlan with
    /// this virtual MAC — is deleted first (reported through `replaced`). Any other link of
    /// that name is refused (`Conflict`), never deleted.
    public init(name: String, parent: String, parentIndex: Int32, hardwareAddress: [UInt8],
                linkLocal: IPv6Address? = nil, replaced: (String) -> Void) throws {
        self.name = name
        self.hardwareAddress = hardwareAddress
        parentName = parent
        let socket = try RouteNetlink.connect()
        defer { nl_socket_free(socket) }
        var result: Int32
        if let kind = Self.foreign(name, hardwareAddress: hardwareAddress, socket: socket) {
            throw Conflict(name: name, kind: kind)
        }
        if Self.delete(name, socket: socket) { replaced(name) }

        guard let link = rtnl_link_macvlan_alloc() else { throw NetlinkError("rtnl_link_macvlan_alloc", code: -NLE_NOMEM) }
        defer { rtnl_link_put(link) }
        name.withCString { rtnl_link_set_name(link, $0) }
        rtnl_link_set_link(link, parentIndex)
        var mac = hardwareAddress
        guard let addr = nl_addr_build(AF_LLC, &mac, 6) else { throw NetlinkError("nl_addr_build", code: -NLE_NOMEM) }
        defer { nl_addr_put(addr) }
        rtnl_link_set_addr(link, addr)
        result = rtnl_link_macvlan_set_mode(link, 4)  // MACVLAN_MODE_BRIDGE
        guard result == 0 else { throw NetlinkError("macvlan mode bridge", code: result) }
        result = rtnl_link_add(socket, link, NLM_F_CREATE | NLM_F_EXCL)
        guard result == 0 else { throw NetlinkError("creating macvlan \(name) on \(parent)", code: result) }

        var created: OpaquePointer?
        result = rtnl_link_get_kernel(socket, 0, name, &created)
        guard result == 0, let created else { throw NetlinkError("reading back \(name)", code: result) }
        index = rtnl_link_get_ifindex(created)
        rtnl_link_put(created)

        if linkLocal == nil {
            Self.write("/proc/sys/net/ipv6/conf/\(name)/disable_ipv6", "1")
        } else {
            Self.write("/proc/sys/net/ipv6/conf/\(name)/addr_gen_mode", "1")  // IN6_ADDR_GEN_MODE_NONE
            Self.write("/proc/sys/net/ipv6/conf/\(name)/accept_dad", "0")
        }
        Self.write("/proc/sys/net/ipv4/conf/\(name)/arp_ignore", "1")
        Self.write("/proc/sys/net/ipv4/conf/\(name)/accept_local", "1")
        Self.write("/proc/sys/net/ipv4/conf/\(name)/rp_filter", "0")
        for (key, value) in [("arp_ignore", "1"), ("arp_filter", "1"), ("arp_announce", "2")] {
            let path = "/proc/sys/net/ipv4/conf/\(parent)/\(key)"
            if let old = Self.read(path), old != value {
                savedParentSettings.append((path, old))
                Self.write(path, value)
            }
        }

        guard let change = rtnl_link_alloc() else { throw NetlinkError("rtnl_link_alloc", code: -NLE_NOMEM) }
        defer { rtnl_link_put(change) }
        rtnl_link_set_flags(change, 0x1)  // IFF_UP
        var current: OpaquePointer?
        result = rtnl_link_get_kernel(socket, index, nil, &current)
        guard result == 0, let current else { throw NetlinkError("reading \(name)", code: result) }
        defer { rtnl_link_put(current) }
        result = rtnl_link_change(socket, current, change, 0)
        guard result == 0 else { throw NetlinkError("bringing \(name) up", code: result) }
        if let linkLocal {
            try AddressManager().add(InterfaceAddress(interfaceIndex: index, address: .v6(linkLocal), prefixLength: 64))
        }
    }

    /// Deletes the interface and puts the parent's ARP settings back.
    public func remove() throws {
        for (path, value) in savedParentSettings { Self.write(path, value) }
        savedParentSettings = []
        let socket = try RouteNetlink.connect()
        defer { nl_socket_free(socket) }
        _ = Self.delete(name, socket: socket)
    }

    /// What the link of this name is, if it exists and is not a leftover of ours (a
    /// macvlan carrying `hardwareAddress`); nil when there is none or it is ours.
    private static func foreign(_ name: String, hardwareAddress: [UInt8], socket: OpaquePointer) -> String? {
        var existing: OpaquePointer?
        guard rtnl_link_get_kernel(socket, 0, name, &existing) == 0, let existing else { return nil }
        defer { rtnl_link_put(existing) }
        let type = rtnl_link_get_type(existing).map { String(cString: $0) }
        var mac: [UInt8] = []
        if let addr = rtnl_link_get_addr(existing), let data = nl_addr_get_binary_addr(addr) {
            mac = Array(UnsafeRawBufferPointer(start: data, count: Int(nl_addr_get_len(addr))))
        }
        if type == "macvlan" && mac == hardwareAddress { return nil }
        if type == "macvlan" { return "a macvlan with MAC \(mac.map { String(format2: $0) }.joined(separator: ":"))" }
        return type.map { "a \($0)" } ?? "a device without a link type (a physical interface?)"
    }

    /// Deletes a link by name; false if there was none.
    private static func delete(_ name: String, socket: OpaquePointer) -> Bool {
        var existing: OpaquePointer?
        guard rtnl_link_get_kernel(socket, 0, name, &existing) == 0, let existing else { return false }
        defer { rtnl_link_put(existing) }
        return rtnl_link_delete(socket, existing) == 0
    }

    static func read(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: 32)
        let n = Glibc.read(fd, &bytes, bytes.count)
        guard n > 0 else { return nil }
        return String(decoding: bytes.prefix(n), as: UTF8.self).trimmingCharacters(in: [" ", "\n"])
    }

    @discardableResult
    static func write(_ path: String, _ value: String) -> Bool {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let bytes = Array(value.utf8)
        return Glibc.write(fd, bytes, bytes.count) == bytes.count
    }
}

private extension String {
    /// Two lower-case hex digits.
    init(format2 byte: UInt8) {
        let digits = String(byte, radix: 16)
        self = digits.count == 1 ? "0" + digits : digits
    }

    func trimmingCharacters(in set: Set<Character>) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}
