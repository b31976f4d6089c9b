import Testing
import LVS
import VRRP
@testable import VigilLinux
import VigilTypes

/// The generic netlink messages of the IPVS driver, encoded with libnl and read back with
/// the same decoder the dumps use. (The kernel side is proved under qemu: Tests/IPVS.)
@Suite struct IPVSMessageTests {
    @Test func aServiceAndADestinationSurviveTheRoundTrip() throws {
        let key = IPVSService.Key.endpoint(.v4(IPv4Address(192, 0, 2, 100)), port: 80, protocol: .tcp)
        let service = IPVSService(key: key, scheduler: "wrr", flags: .persistent, timeout: 300, netmask: 0xffff_ff00)
        let rs = IPVSDestination(key: .init(address: .v4(IPv4Address(198, 51, 100, 1)), port: 8080), forwarding: .route,
                                 weight: 3, upperThreshold: 100, lowerThreshold: 10)
        let (bytes, back, dest) = try IPVSDriver.roundTrip(service, rs)
        #expect(back == service)
        #expect(dest == rs)
        // Ports go in network order: 80 = 0x0050 is "00 50" in the message.
        let port: [UInt8] = [0x06, 0x00, 0x04, 0x00, 0x00, 0x50]  // nla_len 6, type IPVS_SVC_ATTR_PORT, 80
        #expect(bytes.indices.contains { bytes[$0...].starts(with: port) })
        // An IPv4 address travels as 16 bytes, the address first (union nf_inet_addr).
        let address: [UInt8] = [0x14, 0x00, 0x03, 0x00, 192, 0, 2, 100] + [UInt8](repeating: 0, count: 12)
        #expect(bytes.indices.contains { bytes[$0...].starts(with: address) })
    }

    @Test func ipv6AndFirewallMarkServices() throws {
        let v6 = IPVSService.Key.endpoint(.v6(IPv6Address(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x100)), port: 443, protocol: .sctp)
        let rs6 = IPVSDestination(key: .init(address: .v6(IPv6Address(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)), port: 443),
                                  forwarding: .tunnel, weight: 0, tunnelType: 2)
        let a = try IPVSDriver.roundTrip(IPVSService(key: v6, scheduler: "mh", flags: .scheduler1), rs6)
        #expect(a.service == IPVSService(key: v6, scheduler: "mh", flags: .scheduler1))
        #expect(a.destination == rs6)
        let mark = IPVSService.Key.firewallMark(42, ipv6: false)
        let rs = IPVSDestination(key: .init(address: .v4(IPv4Address(198, 51, 100, 2)), port: 0), weight: 1)
        let b = try IPVSDriver.roundTrip(IPVSService(key: mark, scheduler: "sh"), rs)
        #expect(b.service?.key == mark && b.service?.scheduler == "sh")
    }

    @Test func countersAreReadFromTheStatsNest() throws {
        let key = IPVSService.Key.endpoint(.v4(IPv4Address(192, 0, 2, 100)), port: 80, protocol: .tcp)
        let rs = IPVSDestination(key: .init(address: .v4(IPv4Address(198, 51, 100, 1)), port: 80))
        var sent = IPVSCounters(service: key, destination: rs.key)
        sent.connections = 5_000_000_000  // past 32 bits: STATS64
        sent.inPackets = 7
        sent.outPackets = 9
        sent.inBytes = 1 << 40
        sent.outBytes = 12_345
        sent.activeConnections = 3
        sent.inactiveConnections = 11
        #expect(try IPVSDriver.countersRoundTrip(key, rs, sent) == [sent])
    }

    /// Without IPVS in the kernel (this machine's): one clear error, no crash. With it (the
    /// IPVS guest, another machine): the driver opens and reads the table.
    @Test func withoutIPVSTheErrorSaysSo() {
        do {
            let driver = try IPVSDriver()
            #expect(throws: Never.self) { _ = try driver.read() }
        } catch {
            #expect(error.description.hasPrefix("IPVS is not available in this kernel: "))
        }
    }

    /// A sync daemon's start message: what is sent reads back the same, with the kernel's
    /// attribute widths (the sync id as a u32, the port as a host-order u16, the group in
    /// network order).
    @Test func aSyncDaemonSurvivesTheRoundTrip() throws {
        let full = IPVSSyncDaemon(.master, SyncDaemonSettings(interface: "eth0", syncID: 51, maxLength: 1400, port: 8848, ttl: 2,
                                                              group: .v4(IPv4Address(239, 1, 2, 3))))
        #expect(try IPVSDriver.daemonRoundTrip(full) == full)
        let bare = IPVSSyncDaemon(.backup, SyncDaemonSettings(interface: "bond0.12", syncID: 0))
        #expect(try IPVSDriver.daemonRoundTrip(bare) == bare)
        let v6 = IPVSSyncDaemon(.backup, SyncDaemonSettings(interface: "eth1", syncID: 255,
                                                            group: .v6(IPv6Address(0xff02, 0, 0, 0, 0, 0, 0, 0x51))))
        #expect(try IPVSDriver.daemonRoundTrip(v6) == v6)
    }
}
