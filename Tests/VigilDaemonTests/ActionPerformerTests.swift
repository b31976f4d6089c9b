import Logging
import Testing
import VRRP
import VigilConfig
import VigilTypes
@testable import VigilLinux
@testable import VigilDaemon
@testable import VigilPlan

/// The daemon's VIP work against fakes: what reaches the kernel, in what order, and what
/// waits for strict mode's drop rules.
@Suite struct ActionPerformerTests {
    /// Every call the fakes saw, in order.
    final class Wire: AddressInstalling, AdvertTransport, AddressAnnouncing, RouteInstalling {
        var calls: [String] = []
        /// Additions that fail (as the kernel busy) before one succeeds.
        var busy = 0
        /// Additions of one address that fail, for that address only.
        var busyFor: [InternetAddress: Int] = [:]
        func add(_ address: InterfaceAddress) throws -> Bool {
            if let n = busyFor[address.address], n > 0 { busyFor[address.address] = n - 1 }
            if busy > 0 || busyFor[address.address] != nil {
                if busyFor[address.address] == 0 { busyFor[address.address] = nil }
                busy = max(0, busy - 1)
                calls.append("add \(address.address) failed")
                throw NetlinkError("adding \(address)", code: -25)  // NLE_BUSY
            }
            calls.append("add \(address.address)")
            return true
        }
        func remove(_ address: InterfaceAddress) throws -> Bool { calls.append("remove \(address.address)"); return true }
        func send(_ payload: [UInt8], to destination: InternetAddress) throws {
            // Byte 1 of a VRRP payload is the VRID, byte 2 the priority.
            calls.append("advert priority \(payload[2]) to \(destination)")
        }
        func announce(_ address: InternetAddress) throws { calls.append("announce \(address)") }
        func install(_ plan: RoutePlan, for owner: String) { calls.append("routes in \(owner)") }
        func remove(_ plan: RoutePlan, for owner: String) { calls.append("routes out \(owner)") }
    }

    /// Strict mode's rules: an instance settles while listed.
    struct Gate: AddressGate {
        var settling: Set<Int> = []
        var holdOnAdd = false
        mutating func addressesAdding(instance i: Int, at now: Instant) { if holdOnAdd { settling.insert(i) } }
        mutating func addressesRemoved(instance i: Int, at now: Instant) { settling.remove(i) }
        func isSettling(instance i: Int) -> Bool { settling.contains(i) }
    }

    static let interfaces = TestBox.interfaces

    static func performer(holdOnAdd: Bool = false) throws -> (ActionPerformer<Gate>, Wire, VirtualRouter) {
        let text = """
        vrrp_instance VI_1 {
            interface eth0
            virtual_router_id 51
            priority 100
            virtual_ipaddress {
                192.0.2.100/24
                192.0.2.101/24
            }
        }
        """
        let result = ConfigurationLoader.load(text: text)
        let plan = try DaemonPlan.make(result.configuration, host: StaticPlanningHost(interfaces: interfaces))
        let wire = Wire()
        let performer = ActionPerformer(plans: plan.instances, gate: Gate(holdOnAdd: holdOnAdd), addresses: wire,
                                        routes: wire, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        performer.transport = { (_: Int) -> (any AdvertTransport)? in wire }
        performer.announcer = { (link: Int32, _: Bool) -> (any AddressAnnouncing)? in link == 7 ? wire : nil }
        return (performer, wire, VirtualRouter(plan.instances[0].router))
    }

    static func advert(_ router: VirtualRouter, priority: UInt8) -> Action {
        .sendAdvertisement(router.advertisement(priority: priority))
    }

    @Test func aMastersVIPsGoInWithTheirRoutesThenTheAnnouncementsThenTheAdvert() throws {
        let (performer, wire, router) = try Self.performer()
        var sent = 0, vips: [([InternetAddress], Bool)] = []
        performer.advertSent = { _, _ in sent += 1 }
        performer.addressesChanged = { vips.append(($0, $1)) }
        for action in [Action.addVirtualAddresses, .sendGratuitousARP, Self.advert(router, priority: 100)] {
            performer.perform(action, instance: 0, at: .zero)
        }
        #expect(wire.calls == ["add 192.0.2.100", "add 192.0.2.101", "routes in VI_1",
                               "announce 192.0.2.100", "announce 192.0.2.101", "advert priority 100 to 224.0.0.18"])
        #expect(sent == 1)
        #expect(vips.count == 1 && vips[0].0.count == 2 && vips[0].1)
    }

    /// The drop rules are not in yet: the VIPs, their announcements and the advert wait
    /// (the advert only as the newest one); a priority-0 advert never waits. When the rules
    /// are in, the work goes out in its order.
    @Test func vipWorkAndTheAdvertWaitForTheDropRules() throws {
        let (performer, wire, router) = try Self.performer(holdOnAdd: true)
        performer.perform(.addVirtualAddresses, instance: 0, at: .zero)
        performer.perform(.sendGratuitousARP, instance: 0, at: .zero)
        performer.perform(Self.advert(router, priority: 100), instance: 0, at: .zero)
        performer.perform(Self.advert(router, priority: 90), instance: 0, at: .zero)
        #expect(wire.calls.isEmpty)
        #expect(performer.heldBack[0]?.count == 3)
        performer.perform(Self.advert(router, priority: 0), instance: 0, at: .zero)
        #expect(wire.calls == ["advert priority 0 to 224.0.0.18"])
        performer.releaseHeldBack(at: .zero)
        #expect(wire.calls.count == 1, "still settling: nothing released")
        performer.gate.settling = []
        performer.releaseHeldBack(at: .zero)
        #expect(wire.calls == ["advert priority 0 to 224.0.0.18", "add 192.0.2.100", "add 192.0.2.101", "routes in VI_1",
                               "announce 192.0.2.100", "announce 192.0.2.101", "advert priority 90 to 224.0.0.18"])
        #expect(performer.heldBack.isEmpty)
    }

    @Test func leavingMasterDropsTheWorkStillWaiting() throws {
        let (performer, wire, router) = try Self.performer(holdOnAdd: true)
        performer.perform(.addVirtualAddresses, instance: 0, at: .zero)
        performer.perform(Self.advert(router, priority: 100), instance: 0, at: .zero)
        performer.perform(.transition(from: .master, to: .backup, reason: .shutdown), instance: 0, at: .zero)
        #expect(performer.heldBack.isEmpty)
        performer.gate.settling = []
        performer.releaseHeldBack(at: .zero)
        #expect(wire.calls.isEmpty)
    }

    /// A VIP the kernel refuses for a passing reason is tried again at 10 ms, twice at most.
    @Test func aBusyKernelGetsTwoMoreTries() throws {
        #expect(NetlinkError("x", code: -25).isTransient)
        let (performer, wire, _) = try Self.performer()
        wire.busy = 2
        performer.perform(.addVirtualAddresses, instance: 0, at: .zero)
        #expect(wire.calls.prefix(2) == ["add 192.0.2.100 failed", "add 192.0.2.101 failed"])
        #expect(performer.nextDeadline == Instant(microseconds: 10_000))
        performer.retryAddresses(at: Instant(microseconds: 9_999))
        #expect(wire.calls.count == 3, "not due yet")
        performer.retryAddresses(at: Instant(microseconds: 10_000))
        #expect(wire.calls.suffix(2) == ["add 192.0.2.100", "add 192.0.2.101"])
        #expect(performer.nextDeadline == nil)

        wire.busyFor = [.v4(IPv4Address(192, 0, 2, 100)): 3]
        wire.calls = []
        performer.perform(.removeVirtualAddresses, instance: 0, at: .zero)
        performer.perform(.addVirtualAddresses, instance: 0, at: .zero)
        performer.retryAddresses(at: Instant(microseconds: 10_000))
        performer.retryAddresses(at: Instant(microseconds: 20_000))
        // 192.0.2.100: failed, failed (attempt 2), failed (attempt 3): given up.
        #expect(wire.calls.filter { $0.hasPrefix("add 192.0.2.100") }.count == 3)
        #expect(!wire.calls.contains("add 192.0.2.100"))
        #expect(performer.nextDeadline == nil)
    }

    @Test func aRemovalTakesTheRoutesAndTheVIPsAndCancelsRetries() throws {
        let (performer, wire, _) = try Self.performer()
        var vips: [Bool] = []
        performer.addressesChanged = { _, present in vips.append(present) }
        wire.busy = 1
        performer.perform(.addVirtualAddresses, instance: 0, at: .zero)
        #expect(performer.nextDeadline != nil)
        wire.calls = []
        performer.perform(.removeVirtualAddresses, instance: 0, at: .zero)
        #expect(wire.calls == ["routes out VI_1", "remove 192.0.2.100", "remove 192.0.2.101"])
        #expect(performer.nextDeadline == nil)
        #expect(vips == [true, false])
    }

    @Test func aReloadCarriesWaitingWorkToTheInstancesNewPlace() throws {
        let (performer, wire, _) = try Self.performer(holdOnAdd: true)
        performer.perform(.addVirtualAddresses, instance: 0, at: .zero)
        performer.carryHeldBack([:])
        #expect(performer.heldBack.isEmpty, "a changed instance starts again")
        performer.perform(.addVirtualAddresses, instance: 0, at: .zero)
        performer.carryHeldBack([0: 0])
        #expect(performer.heldBack[0] == [.addVirtualAddresses])
        #expect(wire.calls.isEmpty)
    }
}
