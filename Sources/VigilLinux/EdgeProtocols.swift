import LVS
import VigilTypes

// The edge as the daemon sees it: small protocols the kernel types below conform to, so
// the daemon's VIP work and its wiring (which sockets, macvlans and announcers the
// instances share, what a reload reuses) can be driven against fakes in unit tests and
// against the kernel in the drills.

/// Puts VIPs on interfaces and takes them off (rtnetlink: `AddressManager`).
public protocol AddressInstalling: AnyObject {
    /// Says whether it was added (false: it was there already).
    @discardableResult func add(_ address: InterfaceAddress) throws -> Bool
    /// Says whether it was there.
    @discardableResult func remove(_ address: InterfaceAddress) throws -> Bool
}

/// Host routes announced to the routing daemon (FRR's zebra redistributes them): installed
/// while a service is healthy here, withdrawn when not. `AnnounceDevice` is the kernel's.
public protocol RouteAnnouncing: AnyObject {
    /// `address/32` (or /128) over the announce device in the main table, and the address as
    /// local (table local, on lo) so IPVS takes its traffic. Says whether it was newly added.
    @discardableResult func announce(_ address: InternetAddress) throws -> Bool
    /// Removes both routes; says whether the announced one was there.
    @discardableResult func withdraw(_ address: InternetAddress) throws -> Bool
    /// Routes an earlier run left, removed when the device was opened (for the log).
    var leftovers: [String] { get }
    /// Withdraws everything and closes the device.
    func close() throws
}

/// Sends an instance's VRRP payloads (a raw socket: `VRRPSocket`).
public protocol AdvertTransport: AnyObject {
    func send(_ payload: [UInt8], to destination: InternetAddress) throws
}

/// Tells a link's neighbours where an address lives now: gratuitous ARP for IPv4
/// (`GratuitousARP`), unsolicited neighbour advertisement for IPv6 (`NeighbourAdvertisement`).
public protocol AddressAnnouncing: AnyObject {
    func announce(_ address: InternetAddress) throws
}

/// A link's VRRP socket as the loop uses it: it sends, it is waited on, it is read — in
/// two queues the kernel sorts by an `AdvertScreen`, the one that passes it first.
public protocol AdvertChannel: AdvertTransport {
    var fileDescriptor: Int32 { get }
    /// The queue of what did not pass the screen; -1 when there is none.
    var screenedDescriptor: Int32 { get }
    var interfaceName: String { get }
    /// The next packet queued that passed the screen (all, without one), or nil.
    func receive() throws -> VRRPSocket.Packet?
    /// The next packet queued that did not pass the screen, or nil.
    func receiveScreened() throws -> VRRPSocket.Packet?
    /// Sorts what arrives from now on by `screen` (nil: no sorting).
    func screen(_ screen: AdvertScreen?) throws
}

/// A `use_vmac` macvlan this run created (`VirtualMAC`): deleted with its instance.
public protocol VirtualLink: AnyObject {
    var name: String { get }
    var index: Int32 { get }
    func remove() throws
}

/// Opens what instances need on their links: sockets, macvlans, announcers. The kernel's
/// is `KernelLinks`; a test's records what was opened and can refuse.
public protocol LinkOpening {
    /// A raw IP protocol 112 socket bound to the interface (`receives: false`: send only).
    func openChannel(interface: String, index: Int32, source: InternetAddress?, multicast: Bool, ipv6: Bool,
                     receives: Bool) throws -> any AdvertChannel
    /// A macvlan with the virtual MAC; one left by an earlier run is replaced (said
    /// through `replaced`), any other link of that name refused (`VirtualMAC.Conflict`).
    func createVirtualMAC(name: String, parent: String, parentIndex: Int32, hardwareAddress: [UInt8],
                          linkLocal: IPv6Address?, replaced: (String) -> Void) throws -> any VirtualLink
    /// Gratuitous ARP (IPv4) or unsolicited neighbour advertisements (IPv6) from a link.
    func announcer(interface: String, index: Int32, hardwareAddress: [UInt8], ipv6: Bool) throws -> any AddressAnnouncing
}

/// This box's links, through raw sockets and rtnetlink.
public struct KernelLinks: LinkOpening {
    public init() {}

    public func openChannel(interface: String, index: Int32, source: InternetAddress?, multicast: Bool, ipv6: Bool,
                            receives: Bool) throws -> any AdvertChannel {
        try VRRPSocket(interface: interface, index: index, source: source, multicast: multicast, ipv6: ipv6, receives: receives)
    }

    public func createVirtualMAC(name: String, parent: String, parentIndex: Int32, hardwareAddress: [UInt8],
                                 linkLocal: IPv6Address?, replaced: (String) -> Void) throws -> any VirtualLink {
        try VirtualMAC(name: name, parent: parent, parentIndex: parentIndex, hardwareAddress: hardwareAddress,
                       linkLocal: linkLocal, replaced: replaced)
    }

    public func announcer(interface: String, index: Int32, hardwareAddress: [UInt8], ipv6: Bool) throws -> any AddressAnnouncing {
        ipv6 ? try NeighbourAdvertisement(interface: interface, index: index, hardwareAddress: hardwareAddress)
            : try GratuitousARP(interfaceIndex: index, hardwareAddress: hardwareAddress)
    }
}

/// The kernel's IPVS table as the LVS runner uses it (generic netlink: `IPVSDriver`): read
/// it, change it one `IPVSChange` at a time, read its traffic counters. A protocol so the
/// runner's reconciling (what it programs at start, changes on a check result, a drain or a
/// reload, and removes at exit; what it leaves alone) can be driven against a fake table in
/// unit tests, without root or the ip_vs module.
public protocol IPVSKernel: AnyObject {
    /// Every service and its destinations, as the kernel holds them now.
    func read() throws -> IPVSTable
    /// Applies one change; adding what is there, or deleting what is gone, is not an error.
    func apply(_ change: IPVSChange) throws
    /// The traffic counters of every service and destination.
    func readCounters() throws -> [IPVSCounters]
    /// Every service removed (`ipvsadm -C`).
    func flush() throws
    /// The connection sync daemons running now.
    func syncDaemons() throws -> [IPVSSyncDaemon]
    /// Starts or stops a sync daemon; starting one that runs, or stopping one that does
    /// not, is not an error.
    func apply(_ change: SyncDaemonChange) throws
    /// Sets the connection timeouts given (`ipvsadm --set`).
    func setTimeouts(_ timeouts: IPVSTimeouts) throws
}

extension AddressManager: AddressInstalling {}
extension IPVSDriver: IPVSKernel {}
extension VRRPSocket: AdvertChannel {}
extension VirtualMAC: VirtualLink {}

extension GratuitousARP: AddressAnnouncing {
    public func announce(_ address: InternetAddress) throws {
        guard case let .v4(a) = address else { return }
        try announce(a)
    }
}

extension NeighbourAdvertisement: AddressAnnouncing {
    public func announce(_ address: InternetAddress) throws {
        guard case let .v6(a) = address else { return }
        try announce(a)
    }
}
