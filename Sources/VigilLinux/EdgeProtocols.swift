import LVS
import VigilTypes

// The edge as the daemon's VIP work sees it: three small protocols the kernel types below
// conform to, so the work can be driven against fakes in unit tests (what was added, sent
// and announced, in order) and against the kernel in the drills.

/// Puts VIPs on interfaces and takes them off (rtnetlink: `AddressManager`).
public protocol AddressInstalling: AnyObject {
    /// Says whether it was added (false: it was there already).
    @discardableResult func add(_ address: InterfaceAddress) throws -> Bool
    /// Says whether it was there.
    @discardableResult func remove(_ address: InterfaceAddress) throws -> Bool
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
}

extension AddressManager: AddressInstalling {}
extension IPVSDriver: IPVSKernel {}
extension VRRPSocket: AdvertTransport {}

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
