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

extension AddressManager: AddressInstalling {}
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
