import CNetlink
import VRRP
import VigilTypes

/// Link state changes as the kernel announces them on rtnetlink's RTNLGRP_LINK group, and
/// addresses added or removed (RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR) — by Vigil or by
/// anyone else: a DHCP client flushing the interface, NetworkManager, an operator's
/// `ip addr del`. The daemon compares the latter with what its masters hold.
///
/// A VRRP instance is only fit to be master while its interface can carry traffic, so
/// "up" here means what keepalived means: administratively up (IFF_UP) *and* with carrier
/// (IFF_RUNNING). Pulling the cable, `ip link set down`, or the peer end of a veth going
/// away all read as down. The daemon polls `fileDescriptor` and calls `changes()` when it
/// is readable.
public final class LinkMonitor {
    public struct Change: Sendable, Equatable {
        public var interfaceIndex: Int32
        public var isUp: Bool
        /// The interface's name (IFLA_IFNAME), when the message carried it.
        public var name: String?
        /// RTM_DELLINK: the interface is gone (a later one of the same name has another index).
        public var removed: Bool

        public init(interfaceIndex: Int32, isUp: Bool, name: String? = nil, removed: Bool = false) {
            self.interfaceIndex = interfaceIndex
            self.isUp = isUp
            self.name = name
            self.removed = removed
        }
    }

    /// An address appeared on or left an interface.
    public struct AddressChange: Sendable, Equatable {
        public var interfaceIndex: Int32
        public var address: InternetAddress
        public var prefixLength: Int
        public var removed: Bool

        public init(interfaceIndex: Int32, address: InternetAddress, prefixLength: Int, removed: Bool) {
            self.interfaceIndex = interfaceIndex
            self.address = address
            self.prefixLength = prefixLength
            self.removed = removed
        }
    }

    /// What one read of the socket produced.
    public enum Reading: Sendable {
        case changes([Change], addresses: [AddressChange])
        /// The kernel dropped messages (the socket's buffer overflowed): the caller must
        /// read the whole link table again to know the current state.
        case lost
    }

    private let subscription: NetlinkSubscription
    public var fileDescriptor: Int32 { subscription.fileDescriptor }
    private var pending: [Change] = []
    private var pendingAddresses: [AddressChange] = []

    public init() throws {
        subscription = try NetlinkSubscription(
            protocol: NETLINK_ROUTE, groups: [RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR].map(\.rawValue),
            what: "link events")
    }

    /// Reads what is waiting (bounded: at most 64 batches per call).
    public func read() -> Reading {
        pending.removeAll(keepingCapacity: true)
        pendingAddresses.removeAll(keepingCapacity: true)
        guard subscription.read({ parse($0) }) else { return .lost }
        return .changes(pending, addresses: pendingAddresses)
    }

    private func parse(_ header: UnsafeMutablePointer<nlmsghdr>) {
        let type = Int32(header.pointee.nlmsg_type)
        if type == RTM_NEWADDR || type == RTM_DELADDR {
            if let change = Self.address(header, removed: type == RTM_DELADDR) { pendingAddresses.append(change) }
            return
        }
        guard type == RTM_NEWLINK || type == RTM_DELLINK,
              Int(header.pointee.nlmsg_len) >= MemoryLayout<nlmsghdr>.size + MemoryLayout<ifinfomsg>.size,
              let body = nlmsg_data(header) else { return }
        let info = body.assumingMemoryBound(to: ifinfomsg.self).pointee
        let up = type == RTM_NEWLINK && info.ifi_flags & Self.upFlags == Self.upFlags
        var name: String?
        if let attribute = nlmsg_find_attr(header, Int32(MemoryLayout<ifinfomsg>.size), Int32(IFLA_IFNAME)),
           let data = nla_data(attribute) {
            let bytes = UnsafeRawBufferPointer(start: data, count: Int(nla_len(attribute)))
            name = String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
        pending.append(Change(interfaceIndex: info.ifi_index, isUp: up, name: name, removed: type == RTM_DELLINK))
    }

    /// An RTM_NEWADDR/RTM_DELADDR message as a change: IFA_LOCAL (the address itself on
    /// IPv4, where IFA_ADDRESS may be a point-to-point peer), else IFA_ADDRESS (IPv6).
    static func address(_ header: UnsafeMutablePointer<nlmsghdr>, removed: Bool) -> AddressChange? {
        let size = MemoryLayout<ifaddrmsg>.size
        guard Int(header.pointee.nlmsg_len) >= MemoryLayout<nlmsghdr>.size + size,
              let body = nlmsg_data(header) else { return nil }
        let info = body.assumingMemoryBound(to: ifaddrmsg.self).pointee
        guard let attribute = nlmsg_find_attr(header, Int32(size), Int32(IFA_LOCAL))
                ?? nlmsg_find_attr(header, Int32(size), Int32(IFA_ADDRESS)),
              let data = nla_data(attribute) else { return nil }
        let bytes = UnsafeRawBufferPointer(start: data, count: Int(nla_len(attribute)))
        let address: InternetAddress
        switch (Int32(info.ifa_family), bytes.count) {
        case (AF_INET, 4): address = .v4(IPv4Address(bytes: Array(bytes)))
        case (AF_INET6, 16): address = .v6(IPv6Address(bytes: Array(bytes)))
        default: return nil
        }
        return AddressChange(interfaceIndex: Int32(info.ifa_index), address: address,
                             prefixLength: Int(info.ifa_prefixlen), removed: removed)
    }

    /// IFF_UP | IFF_RUNNING of <linux/if.h>.
    static let upFlags: UInt32 = 0x1 | 0x40
}
