import Foundation
import Testing
import VRRP
@testable import VigilLinux
import VigilTypes

/// The nft scripts of strict mode's drop rules, as text (applying them needs root and a
/// network namespace: Tests/Integration/strict-mode.sh does that).
@Suite struct StrictFirewallTests {
    let vip = StrictFirewall.Address.v4(IPv4Address(192, 0, 2, 100))
    let other = StrictFirewall.Address.v4(IPv4Address(192, 0, 2, 7))
    let v6 = StrictFirewall.Address.v6(IPv6Address(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1))

    @Test func createDropsInAndOutButLetsNeighbourDiscoveryThrough() {
        let script = StrictFirewall.createScript([vip, other, v6])
        #expect(script.hasPrefix("table inet vigil {\n"))
        #expect(script.contains("set vips4 { type ipv4_addr; elements = { 192.0.2.7, 192.0.2.100 }; }"))
        #expect(script.contains("set vips6 { type ipv6_addr; elements = { 2001:db8::1 }; }"))
        #expect(script.contains("type filter hook input priority -1; policy accept;"))
        #expect(script.contains("type filter hook output priority -1; policy accept;"))
        #expect(script.contains("ip daddr @vips4 drop"))
        #expect(script.contains("ip saddr @vips4 drop"))
        #expect(script.contains("ip6 daddr @vips6 drop"))
        #expect(script.contains("icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept"))
        // The exception comes before the drops.
        let lines = script.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let accept = lines.firstIndex { $0.hasSuffix("nd-neighbor-advert } accept") }
        let drop = lines.firstIndex { $0 == "ip6 daddr @vips6 drop" }
        #expect(accept != nil && drop != nil && accept! < drop!)
    }

    @Test func anEmptyFamilyHasAnEmptySet() {
        let script = StrictFirewall.createScript([vip])
        #expect(script.contains("set vips6 { type ipv6_addr; }"))
    }

    @Test func replacingElementsTouchesOnlyVigilsSets() {
        let script = StrictFirewall.replaceElementsScript([vip])
        #expect(script == "flush set inet vigil vips4\nflush set inet vigil vips6\nadd element inet vigil vips4 { 192.0.2.100 }\n")
    }

    @Test func deleteNamesOnlyVigilsTable() {
        #expect(StrictFirewall.deleteScript == "table inet vigil\ndelete table inet vigil\n")
        for script in [StrictFirewall.deleteScript, StrictFirewall.createScript([vip]), StrictFirewall.replaceElementsScript([vip])] {
            #expect(!script.contains("flush ruleset"))
            for line in script.split(separator: "\n") where line.hasPrefix("table") || line.hasPrefix("delete") || line.hasPrefix("flush") || line.hasPrefix("add") {
                #expect(line.contains("inet vigil"), "\(line)")
            }
        }
    }

    /// `nft list tables` read line by line, blanks around each ignored.
    @Test func aListingNamesTheTableOnlyOnItsOwnLine() {
        #expect(NFTables.lists("inet vigil", in: "table ip filter\n\ttable inet vigil  \ntable ip6 x\n"))
        #expect(!NFTables.lists("inet vigil", in: "table ip filter\ntable inet vigil_fullnat\n"))
        #expect(!NFTables.lists("inet vigil", in: ""))
        #expect(" \t a b \n".trimmingSpaces == "a b")
        #expect(" \n\t ".trimmingSpaces.isEmpty && "".trimmingSpaces.isEmpty && "x".trimmingSpaces == "x")
    }

    @Test func aFreshFirewallKnowsNothingYet() {
        let firewall = StrictFirewall(nft: NFTables(path: "/nonexistent/nft"))
        #expect(firewall.installed == nil)
        #expect(firewall.script(for: [vip]) == StrictFirewall.deleteScript + StrictFirewall.createScript([vip]), "unknown state: replaced whole")
    }

    @Test func aMissingProgramIsAFailureNotACrash() throws {
        let firewall = StrictFirewall(nft: NFTables(path: "/nonexistent/nft"))
        let children = ChildSupervisor()
        #expect(throws: StrictFirewall.Failure.self) { _ = try firewall.removeLeftover(children: children, now: ChildSupervisorTests.now) }
        #expect(firewall.installed == nil)
        // In the loop: the run fails (exec finds nothing), the wish is not retried, and
        // nothing waits for it any more.
        firewall.request([vip], children: children, now: ChildSupervisorTests.now())
        #expect(firewall.isSettling([vip]))
        var completion: StrictFirewall.Completion?
        for _ in 0..<1000 where completion == nil {
            children.advance(to: ChildSupervisorTests.now())
            completion = firewall.advance(children: children, now: ChildSupervisorTests.now())
            if completion == nil { usleep(5_000) }
        }
        guard case .failed = try #require(completion) else { Issue.record("not a failure: \(String(describing: completion))"); return }
        #expect(!firewall.isSettling([vip]))
        #expect(children.running == 0)
    }
}
