import Testing
@testable import LVS
import VigilTypes

/// The reconciler sends only the difference, edits in place, and leaves services it does
/// not manage alone.
@Suite struct IPVSReconcilerTests {
    static let vip = InternetAddress.v4(IPv4Address(192, 0, 2, 100))
    static let web = IPVSService.Key.endpoint(vip, port: 80, protocol: .tcp)
    static func rs(_ last: UInt8, weight: Int32 = 1) -> IPVSDestination {
        IPVSDestination(key: .init(address: .v4(IPv4Address(198, 51, 100, last)), port: 80), weight: weight)
    }

    @Test func anEmptyKernelGetsTheServiceThenItsRealServers() {
        let desired = IPVSTable([IPVSService(key: Self.web, scheduler: "wrr", destinations: [Self.rs(1, weight: 3), Self.rs(2)])])
        let changes = IPVSReconciler.changes(from: IPVSTable(), to: desired)
        #expect(changes == [.addService(IPVSService(key: Self.web, scheduler: "wrr")),
                            .addDestination(Self.web, Self.rs(1, weight: 3)), .addDestination(Self.web, Self.rs(2))])
    }

    @Test func theSameTableNeedsNothing() {
        let table = IPVSTable([IPVSService(key: Self.web, scheduler: "wrr", destinations: [Self.rs(1), Self.rs(2)])])
        #expect(IPVSReconciler.changes(from: table, to: table).isEmpty)
        // The kernel reports HASHED on every service: not a difference.
        var kernel = table
        kernel.services[Self.web]!.flags.insert(.hashed)
        #expect(IPVSReconciler.changes(from: kernel, to: table).isEmpty)
    }

    @Test func onlyTheDifferenceIsSent() {
        let actual = IPVSTable([IPVSService(key: Self.web, scheduler: "wrr", destinations: [Self.rs(1, weight: 3), Self.rs(2)])])
        let desired = IPVSTable([IPVSService(key: Self.web, scheduler: "wrr", destinations: [Self.rs(1, weight: 0), Self.rs(3)])])
        #expect(IPVSReconciler.changes(from: actual, to: desired) == [
            .deleteDestination(Self.web, Self.rs(2).key),
            .editDestination(Self.web, Self.rs(1, weight: 0)),
            .addDestination(Self.web, Self.rs(3)),
        ])
    }

    @Test func aChangedSchedulerIsAnEditNotARecreation() {
        let actual = IPVSTable([IPVSService(key: Self.web, scheduler: "rr", destinations: [Self.rs(1)])])
        let desired = IPVSTable([IPVSService(key: Self.web, scheduler: "wlc", flags: .persistent, timeout: 300,
                                             destinations: [Self.rs(1)])])
        #expect(IPVSReconciler.changes(from: actual, to: desired) == [
            .editService(IPVSService(key: Self.web, scheduler: "wlc", flags: .persistent, timeout: 300)),
        ])
    }

    @Test func othersServicesStayOwnedOnesGo() {
        let foreign = IPVSService.Key.endpoint(.v4(IPv4Address(203, 0, 113, 1)), port: 443, protocol: .tcp)
        let mark = IPVSService.Key.firewallMark(7, ipv6: false)
        let actual = IPVSTable([IPVSService(key: foreign), IPVSService(key: mark, destinations: [Self.rs(1)])])
        #expect(IPVSReconciler.changes(from: actual, to: IPVSTable()).isEmpty, "not ours: untouched")
        #expect(IPVSReconciler.changes(from: actual, to: IPVSTable(), owned: [mark]) == [.deleteService(mark)])
    }

    @Test func keysPrintAsIpvsadmNamesThem() {
        #expect(Self.web.description == "TCP 192.0.2.100:80")
        let v6 = IPVSService.Key.endpoint(.v6(IPv6Address(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)), port: 53, protocol: .udp)
        #expect(v6.description == "UDP [2001:db8::1]:53")
        #expect(IPVSService(key: v6).netmask == 128)
        #expect(IPVSService(key: Self.web).netmask == 0xffff_ffff)
    }

    /// Keys sort by what they are, not by their text: 192.0.2.1 before 192.0.2.10, port 80
    /// before 443, TCP before UDP, IPv4 before IPv6, addresses before firewall marks.
    @Test func keysSortByValue() {
        func v4(_ d: UInt8) -> InternetAddress { .v4(IPv4Address(192, 0, 2, d)) }
        let v6 = InternetAddress.v6(IPv6Address(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1))
        let keys: [IPVSService.Key] = [
            .firewallMark(7, ipv6: true), .firewallMark(9, ipv6: false), .endpoint(v6, port: 80, protocol: .tcp),
            .endpoint(v4(10), port: 80, protocol: .tcp), .endpoint(v4(1), port: 443, protocol: .tcp),
            .endpoint(v4(1), port: 80, protocol: .udp), .endpoint(v4(1), port: 80, protocol: .tcp),
        ]
        #expect(keys.sorted() == [
            .endpoint(v4(1), port: 80, protocol: .tcp), .endpoint(v4(1), port: 80, protocol: .udp),
            .endpoint(v4(1), port: 443, protocol: .tcp), .endpoint(v4(10), port: 80, protocol: .tcp),
            .endpoint(v6, port: 80, protocol: .tcp), .firewallMark(9, ipv6: false), .firewallMark(7, ipv6: true),
        ])
    }

    /// What the runner believes between reads: the changes applied to the table it read
    /// give a table with nothing left to change, and the kernel's no-ops are no-ops here.
    @Test func applyingTheChangesToTheBelievedTableLeavesNothingToChange() {
        let other = IPVSService.Key.endpoint(Self.vip, port: 443, protocol: .tcp)
        var believed = IPVSTable([IPVSService(key: Self.web, scheduler: "rr", destinations: [Self.rs(1), Self.rs(3, weight: 5)]),
                                  IPVSService(key: other, scheduler: "rr", destinations: [Self.rs(9)])])
        let desired = IPVSTable([IPVSService(key: Self.web, scheduler: "wrr", destinations: [Self.rs(1, weight: 2), Self.rs(2)])])
        let changes = IPVSReconciler.changes(from: believed, to: desired, owned: [other])
        #expect(changes.count == 5, "\(changes)")
        for change in changes { believed.apply(change) }
        #expect(IPVSReconciler.changes(from: believed, to: desired, owned: [other]).isEmpty, "\(believed)")
        #expect(believed.services[Self.web]?.flags.contains(.hashed) == true, "as the kernel reports it")
        let before = believed
        believed.apply(.addDestination(Self.web, Self.rs(1, weight: 7)))
        believed.apply(.deleteDestination(other, Self.rs(9).key))
        believed.apply(.editDestination(Self.web, Self.rs(8)))
        #expect(believed == before, "adding what is there, deleting what is gone, editing what is not: nothing")
    }
}
