#if canImport(Glibc)
import Glibc
#endif
import LVS
import Testing
import VigilTypes
@testable import VigilLinux

/// FNAT's nftables table: the rules as text, and applied by the real `nft` in a network
/// namespace of the test's own (root): made, replaced whole, removed, a leftover replaced.
@Suite struct FullNATTableTests {
    static let web = FullNATTable.Rule(service: .endpoint(.v4(IPv4Address(203, 0, 113, 10)), port: 80, protocol: .tcp),
                                       pool: AddressRange(first: .v4(IPv4Address(198, 18, 0, 101)), end: 103))
    static let web6 = FullNATTable.Rule(service: .endpoint(.v6(IPv6Address(0x2001, 0xdb8, 3, 0, 0, 0, 0, 0x10)), port: 80, protocol: .tcp),
                                        pool: AddressRange(first: .v6(IPv6Address(0x2001, 0xdb8, 0x18, 0, 0, 0, 1, 0x101))))
    static let mark = FullNATTable.Rule(service: .firewallMark(7, ipv6: false),
                                        pool: AddressRange(first: .v4(IPv4Address(198, 18, 0, 101)), end: 103))
    static let dns = FullNATTable.Rule(service: .endpoint(.v4(IPv4Address(203, 0, 113, 10)), port: 53, protocol: .udp),
                                       pool: AddressRange(first: .v4(IPv4Address(198, 18, 0, 101))))

    @Test func eachServiceIsNamedExactly() {
        #expect(FullNATTable.line(Self.web) == "meta l4proto tcp ct original ip daddr 203.0.113.10 ct original proto-dst 80 counter snat ip to 198.18.0.101-198.18.0.103 comment \"TCP 203.0.113.10:80\"")
        #expect(FullNATTable.line(Self.web6) == "meta l4proto tcp ct original ip6 daddr 2001:db8:3::10 ct original proto-dst 80 counter snat ip6 to 2001:db8:18::1:101 comment \"TCP [2001:db8:3::10]:80\"")
        #expect(FullNATTable.line(Self.mark) == "meta nfproto ipv4 meta mark 7 counter snat ip to 198.18.0.101-198.18.0.103 comment \"FWM 7\"")
        #expect(FullNATTable.line(Self.dns).hasPrefix("meta l4proto udp ct original ip daddr 203.0.113.10 ct original proto-dst 53 "))
    }

    @Test func aPoolIsEveryAddressOfItsRange() {
        #expect(Self.web.pool.addresses.map(\.description) == ["198.18.0.101", "198.18.0.102", "198.18.0.103"])
        #expect(Self.web6.pool.addresses.map(\.description) == ["2001:db8:18::1:101"])
        let wide = AddressRange(first: Self.web6.pool.first, end: 0x102)
        #expect(wide.addresses.map(\.description) == ["2001:db8:18::1:101", "2001:db8:18::1:102"])
        #expect(wide.description == "2001:db8:18::1:101-102" && Self.web.pool.description == "198.18.0.101-103")
        #expect(Self.web.pool.contains(.v4(IPv4Address(198, 18, 0, 103))) && !Self.web.pool.contains(.v4(IPv4Address(198, 18, 0, 104))))
        #expect(!Self.web.pool.contains(.v4(IPv4Address(198, 18, 0, 100))) && !wide.contains(.v4(IPv4Address(198, 18, 0, 101))))
        let backwards = AddressRange(first: .v4(IPv4Address(198, 18, 0, 101)), end: 100)
        #expect(backwards.endsBelowStart && backwards.addresses.map(\.description) == ["198.18.0.101"] && backwards.last == backwards.first)
    }

    @Test func theScriptReplacesOnlyVigilsTable() {
        let script = FullNATTable.script([Self.web])
        #expect(script.hasPrefix("table inet vigil_fullnat\ndelete table inet vigil_fullnat\ntable inet vigil_fullnat {\n"))
        #expect(script.contains("type nat hook postrouting priority srcnat - 1; policy accept;"))
        #expect(FullNATTable.script([]) == "table inet vigil_fullnat\ndelete table inet vigil_fullnat\n")
        #expect(!script.contains("flush ruleset"))
    }

    /// `nft list table`'s rules, or nil when there is no table.
    static func listed(_ nft: NFTables, _ children: ChildSupervisor) -> [String]? {
        guard let (_, text) = try? nft.runToEnd(["list", "table", "inet", "vigil_fullnat"], script: nil, children: children,
                                               now: ChildSupervisorTests.now) else { return nil }
        return text.split(separator: "\n").map { $0.trimmingSpaces }.filter { $0.contains("snat") }
    }

    @Test(.enabled(if: getuid() == 0 && NFTables.locate() != nil, "needs root and nft: changes nftables in a network namespace"))
    func appliedMadeAgainAndRemovedByTheRealNft() throws {
        struct Seen: Sendable { var first, second, leftover, gone: [String]?; var before: [String]? }
        let seen = try NetworkNamespace.run {
            let nft = try #require(NFTables.locate())
            let children = ChildSupervisor()
            let table = FullNATTable(nft: nft)
            let before = Self.listed(nft, children)
            try table.apply([Self.web, Self.web6, Self.mark], children: children, now: ChildSupervisorTests.now)
            let first = Self.listed(nft, children)
            try table.apply([Self.dns], children: children, now: ChildSupervisorTests.now)
            let second = Self.listed(nft, children)
            // A table another run left (kill -9): a new FullNATTable replaces it all the same.
            try FullNATTable(nft: nft).apply([Self.web], children: children, now: ChildSupervisorTests.now)
            let leftover = Self.listed(nft, children)
            try table.apply([], children: children, now: ChildSupervisorTests.now)
            return Seen(first: first, second: second, leftover: leftover, gone: Self.listed(nft, children), before: before)
        }
        #expect(seen.before == nil)
        #expect(seen.first?.count == 3 && seen.first?.allSatisfy { $0.contains("counter packets 0 bytes 0") } == true, "\(seen.first ?? [])")
        #expect(seen.first?.contains { $0.contains("snat ip6 to 2001:db8:18::1:101") && $0.contains("ct original ip6 daddr 2001:db8:3::10") } == true)
        #expect(seen.second?.count == 1 && seen.second?.first?.contains("proto-dst 53") == true, "\(seen.second ?? [])")
        #expect(seen.leftover?.count == 1 && seen.leftover?.first?.contains("proto-dst 80") == true)
        #expect(seen.gone == nil, "the table is still there: \(seen.gone ?? [])")
    }
}
