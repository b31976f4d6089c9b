import Testing
import VRRP
import VigilTypes
@testable import VigilLinux
@testable import VigilDaemon
@testable import VigilPlan

/// `announce` in the daemon, on fakes: the route follows the instance it names (MASTER:
/// announced), a reload that drops the block withdraws it, the stop withdraws and closes.
@Suite struct DaemonAnnounceTests {
    /// The announce device as the daemon uses it: what it was asked, in order.
    final class Announcer: RouteAnnouncing {
        var calls: [String] = []
        var leftovers: [String] = ["local 203.0.113.10/32 table 255"]
        func announce(_ address: InternetAddress) throws -> Bool { calls.append("announce \(address)"); return true }
        func withdraw(_ address: InternetAddress) throws -> Bool { calls.append("withdraw \(address)"); return true }
        func close() throws { calls.append("close") }
    }

    static let block = "@vigil announce 203.0.113.10 {\n@vigil     vrrp_instance VI_1\n@vigil }\n"

    @Test func theRouteFollowsTheInstanceAReloadAndTheStop() throws {
        let journal = TestBox.Journal()
        let clock = TestBox.Clock()
        let lines = TestBox.Lines()
        let announcer = Announcer()
        var opened: [String] = []
        var edge = TestBox.edge(links: TestBox.Links(journal: journal), box: TestBox.Addresses(journal: journal), clock: clock)
        edge.announcer = { name, number in opened.append("\(name) \(number)"); return announcer }
        let config = TestBox.instance("VI_1", vrid: 51, vips: ["192.0.2.100/24"]) + Self.block
        let daemon = try Daemon(plan: try TestBox.plan(config), logger: lines.logger, edge: edge)
        daemon.start(at: clock.now)
        #expect(opened == ["vigil0 250"])
        #expect(announcer.calls == ["withdraw 203.0.113.10"], "decided at start: not MASTER yet, so withdrawn")
        #expect(lines.all.contains { $0.contains("announce: removed a route an earlier run left: local 203.0.113.10/32 table 255") })

        // Alone on its link: master after Master_Down_Interval, and announced with it.
        for _ in 0..<40 {
            clock.now = clock.now + 100_000
            daemon.advanceRouters(to: clock.now)
        }
        #expect(daemon.routers.map(\.state) == [.master])
        #expect(announcer.calls == ["withdraw 203.0.113.10", "announce 203.0.113.10"])
        #expect(lines.all.contains { $0.contains("announce: 203.0.113.10 announced (vrrp_instance VI_1 is MASTER)") })
        #expect(daemon.statusReport().announcements?.map(\.announced) == [true])

        // A reload without the block withdraws it; with it again, announced again.
        _ = try daemon.apply(try TestBox.plan(TestBox.instance("VI_1", vrid: 51, vips: ["192.0.2.100/24"])))
        #expect(announcer.calls.last == "withdraw 203.0.113.10")
        #expect(lines.all.contains { $0.contains("announce: 203.0.113.10 withdrawn (no longer in the configuration)") })
        #expect(daemon.statusReport().announcements == nil)
        _ = try daemon.apply(try TestBox.plan(config))
        #expect(announcer.calls.last == "announce 203.0.113.10")

        daemon.stopAnnouncements(at: clock.now)
        #expect(Array(announcer.calls.suffix(2)) == ["withdraw 203.0.113.10", "close"])
        #expect(opened.count == 1, "one device for the daemon's life")
    }

    /// Preempted, the master keeps its route while it holds its VIPs and for
    /// `routeHandoverGrace` after they went (the new master's route reaches the routers
    /// meanwhile); then it is withdrawn. The loop asks the rule every turn (`reannounce`).
    @Test func aMasterHandingOverKeepsItsRouteForAGraceAfterItsVIPsWent() throws {
        let journal = TestBox.Journal()
        let clock = TestBox.Clock()
        let lines = TestBox.Lines()
        let announcer = Announcer()
        let links = TestBox.Links(journal: journal)
        var edge = TestBox.edge(links: links, box: TestBox.Addresses(journal: journal), clock: clock)
        edge.announcer = { _, _ in announcer }
        let config = TestBox.instance("VI_1", vrid: 51, vips: ["192.0.2.100/24"]) + Self.block
        let daemon = try Daemon(plan: try TestBox.plan(config), logger: lines.logger, edge: edge)
        daemon.start(at: clock.now)
        func pass(_ duration: Microseconds) {
            clock.now = clock.now + duration
            daemon.advanceRouters(to: clock.now)
            daemon.reannounce(at: clock.now)
        }
        for _ in 0..<40 { pass(100_000) }
        #expect(daemon.routers.map(\.state) == [.master])
        #expect(announcer.calls == ["withdraw 203.0.113.10", "announce 203.0.113.10"])

        // A higher priority from 192.0.2.12: preempted, handing over.
        let payload = daemon.routers[0].advertisement(priority: 200)
            .encode(source: IPv4Address(192, 0, 2, 12), destination: IPv4Address(224, 0, 0, 18))
        let total = 20 + payload.count
        let header: [UInt8] = [0x45, 0, UInt8(total >> 8), UInt8(total & 0xff), 0, 0, 0, 0, 255, 112, 0, 0,
                               192, 0, 2, 12, 224, 0, 0, 18]
        let channel = try #require(links.channels.first)
        channel.queue.append(.ipv4(ArraySlice(header + payload)))
        daemon.drain(channel, screened: false, at: clock.now)
        daemon.reannounce(at: clock.now)
        #expect(daemon.routers.map(\.state) == [.backup])
        #expect(daemon.routers[0].isHandingOver)
        #expect(announcer.calls.count == 2, "still announced while the VIPs are held: \(announcer.calls)")
        daemon.announcementsHeard([.v4(IPv4Address(192, 0, 2, 100))], at: clock.now)
        pass(VirtualRouter.handoverOverlap)
        #expect(!daemon.routers[0].isHandingOver)
        #expect(journal.calls("remove") == ["remove 192.0.2.100"])
        #expect(announcer.calls.count == 2, "the VIPs went; the route has its grace: \(announcer.calls)")
        pass(Daemon.routeHandoverGrace - 1)
        #expect(announcer.calls.count == 2)
        #expect(daemon.nextAnnounceDeadline == clock.now + 1, "the loop wakes when the grace ends")
        pass(1)
        #expect(announcer.calls.last == "withdraw 203.0.113.10")
        #expect(lines.all.contains { $0.contains("announce: 203.0.113.10 withdrawn (vrrp_instance VI_1 is not MASTER)") })
        #expect(daemon.nextAnnounceDeadline == nil)
    }
}
