import Logging
import Synchronization
import VRRP
import VigilConfig
import VigilTypes
@testable import VigilLinux
@testable import VigilDaemon
@testable import VigilPlan

/// A box for the daemon's unit tests: its interfaces, planning against them, and fakes for
/// everything the daemon changes on it (links, VIPs, routes, the clock), which record what
/// they were asked, in order.
enum TestBox {
    /// eth0 (index 7) on 192.0.2.0/24, eth1 (index 8) on 198.51.100.0/24.
    static let interfaces = InterfaceTable(interfaces: [
        "eth0": .init(name: "eth0", index: 7, isUp: true, isRunning: true, addresses: [[192, 0, 2, 11]],
                      hardwareAddress: [2, 0, 0, 0, 0, 11], primaryIPv4: [192, 0, 2, 11]),
        "eth1": .init(name: "eth1", index: 8, isUp: true, isRunning: true, addresses: [[198, 51, 100, 11]],
                      hardwareAddress: [2, 0, 0, 0, 1, 11], primaryIPv4: [198, 51, 100, 11]),
    ])

    static let quiet = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    /// Plans a keepalived.conf text against `interfaces`; an error in the text fails the test.
    static func plan(_ text: String) throws -> DaemonPlan {
        let result = ConfigurationLoader.load(text: text)
        if let error = result.diagnostics.first(where: { $0.severity == .error }) { throw PlanError(description: "\(error)") }
        return try DaemonPlan.make(result.configuration, host: StaticPlanningHost(interfaces: interfaces))
    }

    struct PlanError: Error, CustomStringConvertible { var description: String }

    /// A vrrp_instance block on eth0 (or `interface`).
    static func instance(_ name: String, vrid: Int, priority: Int = 100, interface: String = "eth0", vips: [String],
                         extra: String = "") -> String {
        """
        vrrp_instance \(name) {
            interface \(interface)
            virtual_router_id \(vrid)
            priority \(priority)
        \(extra)
            virtual_ipaddress {
        \(vips.map { "        \($0)" }.joined(separator: "\n"))
            }
        }

        """
    }

    /// The daemon's edge on these fakes (VIPs and routes both on `box`, the clock's time as
    /// the wall clock too): no nft, no dump written, IPVS refused. A test sets what else it
    /// needs on the value (`ipvs`, `writeDump`, `announcer` …).
    static func edge(links: Links, box: Addresses, clock: Clock) -> DaemonEdge {
        DaemonEdge(links: links, addresses: box, routes: box, interfaces: { interfaces },
                   clock: { clock.now }, wallClock: { clock.now.microseconds }, writeDump: { _, _ in },
                   dumpDirectory: "/dumps", nft: nil, ipvs: { throw PlanError(description: "no IPVS here") })
    }

    /// The time the daemon reads.
    final class Clock {
        var now = Instant(microseconds: 1_000_000_000)
    }

    /// Every call the fakes saw, in order, shared by them.
    final class Journal {
        var calls: [String] = []
        func clear() { calls = [] }
        /// The calls that start with `prefix`.
        func calls(_ prefix: String) -> [String] { calls.filter { $0.hasPrefix(prefix) } }
    }

    /// The links: sockets (whose adverts are journalled and which return queued packets),
    /// macvlans, announcers. Refuses channels on the interfaces in `refuse`.
    final class Links: LinkOpening {
        final class Channel: AdvertChannel {
            let fileDescriptor: Int32
            let screenedDescriptor: Int32 = -1
            let interfaceName: String
            let receives: Bool
            let journal: Journal
            /// Packets `receive()` returns, oldest first.
            var queue: [VRRPSocket.Packet] = []
            /// Packets `receiveScreened()` returns, oldest first.
            var screenedQueue: [VRRPSocket.Packet] = []
            /// Every screen set, in order.
            var screens: [AdvertScreen?] = []
            init(_ fd: Int32, _ name: String, receives: Bool, journal: Journal) {
                fileDescriptor = fd
                interfaceName = name
                self.receives = receives
                self.journal = journal
            }
            func send(_ payload: [UInt8], to destination: InternetAddress) throws {
                // Byte 1 of a VRRP payload is the VRID, byte 2 the priority.
                journal.calls.append("advert vrid \(payload[1]) priority \(payload[2]) on \(interfaceName)")
            }
            func receive() throws -> VRRPSocket.Packet? { queue.isEmpty ? nil : queue.removeFirst() }
            func receiveScreened() throws -> VRRPSocket.Packet? {
                screenedQueue.isEmpty ? nil : screenedQueue.removeFirst()
            }
            func screen(_ screen: AdvertScreen?) throws { screens.append(screen) }
        }
        final class Link: VirtualLink {
            let name: String
            let index: Int32
            var removed = false
            init(_ name: String, _ index: Int32) { self.name = name; self.index = index }
            func remove() throws { removed = true }
        }
        final class Announcer: AddressAnnouncing {
            let interface: String
            let hardwareAddress: [UInt8]
            let journal: Journal
            init(_ interface: String, _ hardwareAddress: [UInt8], journal: Journal) {
                self.interface = interface
                self.hardwareAddress = hardwareAddress
                self.journal = journal
            }
            func announce(_ address: InternetAddress) throws { journal.calls.append("announce \(address) on \(interface)") }
        }

        let journal: Journal
        var refuse: Set<String> = []
        /// A macvlan of this name exists as another kind of link.
        var conflicting: String?
        var links: [Link] = []
        var channels: [Channel] = []
        init(journal: Journal = Journal()) { self.journal = journal }

        func openChannel(interface: String, index: Int32, source: InternetAddress?, multicast: Bool, ipv6: Bool,
                         receives: Bool) throws -> any AdvertChannel {
            guard !refuse.contains(interface) else { throw SystemCallError("socket on \(interface)") }
            journal.calls.append("socket \(interface) \(multicast ? "multicast" : "unicast from \(source.map(\.description) ?? "-")")\(receives ? "" : " send-only")")
            let channel = Channel(100 + Int32(channels.count), interface, receives: receives, journal: journal)
            channels.append(channel)
            return channel
        }

        func createVirtualMAC(name: String, parent: String, parentIndex: Int32, hardwareAddress: [UInt8],
                              linkLocal: IPv6Address?, replaced: (String) -> Void) throws -> any VirtualLink {
            if name == conflicting { throw VirtualMAC.Conflict(name: name, kind: "bridge") }
            journal.calls.append("macvlan \(name) on \(parent)")
            let link = Link(name, 200 + Int32(links.count))
            links.append(link)
            return link
        }

        func announcer(interface: String, index: Int32, hardwareAddress: [UInt8], ipv6: Bool) throws -> any AddressAnnouncing {
            journal.calls.append("\(ipv6 ? "NA" : "GARP") \(interface)")
            return Announcer(interface, hardwareAddress, journal: journal)
        }
    }

    /// The VIPs on the box and the routes: an address added twice is there once (the
    /// kernel's EEXIST), and only real changes are journalled.
    final class Addresses: AddressInstalling, RouteKeeping {
        let journal: Journal
        private(set) var onBox: Set<InternetAddress> = []
        init(journal: Journal) { self.journal = journal }
        func add(_ address: InterfaceAddress) throws -> Bool {
            guard onBox.insert(address.address).inserted else { return false }
            journal.calls.append("add \(address.address)")
            return true
        }
        func remove(_ address: InterfaceAddress) throws -> Bool {
            guard onBox.remove(address.address) != nil else { return false }
            journal.calls.append("remove \(address.address)")
            return true
        }
        func install(_ plan: RoutePlan, for owner: String) { if !plan.isEmpty { journal.calls.append("routes in \(owner)") } }
        func remove(_ plan: RoutePlan, for owner: String) { if !plan.isEmpty { journal.calls.append("routes out \(owner)") } }
        func reinstallMissing(_ plan: RoutePlan, for owner: String) -> (routes: [String], rules: [String]) { ([], []) }
        func removeLeftovers(_ plan: RoutePlan, for owner: String) {}
    }

    /// The log's lines (info and above), as the journal would show them.
    final class Lines: @unchecked Sendable {
        private let lines = Mutex<[String]>([])
        var all: [String] { lines.withLock { $0 } }
        func append(_ line: String) { lines.withLock { $0.append(line) } }
        var logger: Logger {
            Logger(label: "test") { _ in Handler(lines: self) }
        }
        struct Handler: LogHandler {
            let lines: Lines
            var metadata: Logger.Metadata = [:]
            var logLevel: Logger.Level = .info
            subscript(metadataKey key: String) -> Logger.Metadata.Value? {
                get { metadata[key] }
                set { metadata[key] = newValue }
            }
            func log(event: LogEvent) { lines.append("\(event.message)") }
        }
    }
}
