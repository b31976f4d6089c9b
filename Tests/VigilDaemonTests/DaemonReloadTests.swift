import Testing
import VRRP
import VigilTypes
@testable import VigilLinux
@testable import VigilDaemon
@testable import VigilPlan

/// The daemon itself on fakes (`DaemonEdge`): its start and its live reload, each case the
/// reload drill covers, judged by what reached the box — VIPs added and removed, adverts
/// sent, sockets opened — and what the log says.
@Suite struct DaemonReloadTests {
    /// A daemon on the test box, its clock at `clock.now`.
    final class Rig {
        let journal = TestBox.Journal()
        let links: TestBox.Links
        let box: TestBox.Addresses
        let clock = TestBox.Clock()
        let lines = TestBox.Lines()
        /// The dump files written, by path.
        var dumps: [String: String] = [:]
        let daemon: Daemon

        init(_ text: String) throws {
            links = TestBox.Links(journal: journal)
            box = TestBox.Addresses(journal: journal)
            let clock = self.clock
            var written: (String, String) -> Void = { _, _ in }
            var edge = TestBox.edge(links: links, box: box, clock: clock)
            edge.wallClock = { 1_700_000_000_000_000 + clock.now.microseconds }
            edge.writeDump = { written($0, $1) }
            daemon = try Daemon(plan: try TestBox.plan(text), logger: lines.logger, edge: edge)
            written = { [unowned self] text, path in dumps[path] = text }
            daemon.start(at: clock.now)
        }

        /// Moves the clock on, running every timer that falls due on the way.
        func pass(_ duration: Microseconds) {
            let end = clock.now + duration
            for _ in 0..<100_000 {
                let next = ([daemon.engine.nextDeadline] + daemon.departures.map(\.router.nextDeadline)).compactMap { $0 }.min()
                guard let next, next <= end else { break }
                clock.now = max(clock.now, next)
                daemon.advanceRouters(to: clock.now)
            }
            clock.now = end
        }

        func reload(_ text: String) throws -> String { try daemon.apply(try TestBox.plan(text)) }

        /// An advert from a peer at 192.0.2.12 for the instance named, arriving on its socket.
        func hear(_ router: VirtualRouter, priority: UInt8, on channel: TestBox.Links.Channel) {
            let payload = router.advertisement(priority: priority)
                .encode(source: IPv4Address(192, 0, 2, 12), destination: IPv4Address(224, 0, 0, 18))
            let total = 20 + payload.count
            let header: [UInt8] = [0x45, 0, UInt8(total >> 8), UInt8(total & 0xff), 0, 0, 0, 0, 255, 112, 0, 0,
                                   192, 0, 2, 12, 224, 0, 0, 18]
            channel.queue.append(.ipv4(ArraySlice(header + payload)))
            daemon.drain(channel, screened: false, at: clock.now)
        }

        var states: [VRRPState] { daemon.routers.map(\.state) }
    }

    static let one = TestBox.instance("VI_1", vrid: 51, vips: ["192.0.2.100/24"])
    static let two = TestBox.instance("VI_2", vrid: 52, vips: ["192.0.2.102/24"])
    static let vip100 = InternetAddress.v4(IPv4Address(192, 0, 2, 100))
    static let vip101 = InternetAddress.v4(IPv4Address(192, 0, 2, 101))
    static let vip102 = InternetAddress.v4(IPv4Address(192, 0, 2, 102))

    /// The harness itself: alone on its link, an instance becomes master after
    /// Master_Down_Interval, and its VIP goes in before it is announced and advertised.
    @Test func aLoneInstanceTakesOverWithItsVIPFirst() throws {
        let rig = try Rig(Self.one)
        #expect(rig.journal.calls == ["socket eth0 multicast", "GARP eth0"])
        rig.pass(3_000_000)
        #expect(rig.states == [.backup] && rig.box.onBox.isEmpty)
        rig.pass(700_000)
        #expect(rig.states == [.master])
        #expect(rig.box.onBox == [Self.vip100])
        let add = try #require(rig.journal.calls.firstIndex(of: "add 192.0.2.100"))
        let announce = try #require(rig.journal.calls.firstIndex(of: "announce 192.0.2.100 on eth0"))
        let advert = try #require(rig.journal.calls.firstIndex(of: "advert vrid 51 priority 100 on eth0"))
        #expect(add < announce && announce < advert)
    }

    /// The kernel's screen on each socket follows the instances on it — their VRIDs, and a
    /// VRRPv2 PASS password — and a reload that changes a password changes it on the same
    /// socket (a stale screen would queue the instance's own adverts behind a flood).
    @Test func eachSocketIsScreenedForTheInstancesOnIt() throws {
        func pass(_ word: String) -> String {
            "    authentication {\n        auth_type PASS\n        auth_pass \(word)\n    }"
        }
        func screen(_ word: String) -> AdvertScreen {
            AdvertScreen([.init(virtualRouterID: 51, version: .v2, password: Array(word.utf8)),
                          .init(virtualRouterID: 52, version: .v2)], ipv6: false)
        }
        let rig = try Rig(TestBox.instance("VI_1", vrid: 51, vips: ["192.0.2.100/24"], extra: pass("secret")) + Self.two)
        let channel = try #require(rig.links.channels.first)
        #expect(rig.links.channels.count == 1)
        #expect(channel.screens == [screen("secret")])
        _ = try rig.reload(TestBox.instance("VI_1", vrid: 51, vips: ["192.0.2.100/24"], extra: pass("other")) + Self.two)
        #expect(rig.links.channels.count == 1)
        #expect(channel.screens.last == screen("other"))
    }

    /// The same file again: nothing touched (no VIP, no socket, no GARP), the adverts go on
    /// at their pace, the counters stay.
    @Test func reloadingTheSameFileTouchesNothing() throws {
        let rig = try Rig(Self.one + Self.two)
        rig.pass(4_000_000)
        #expect(rig.states == [.master, .master])
        let sentBefore = rig.daemon[counters: 0].stats.advertSent
        rig.journal.clear()
        let summary = try rig.reload(Self.one + Self.two)
        rig.pass(2_500_000)
        #expect(summary.contains("2 unchanged"), "\(summary)")
        #expect(rig.journal.calls.filter { !$0.hasPrefix("advert") } == [])
        #expect(rig.journal.calls("advert vrid 51 priority 100").count == 2, "advert_int 1 over 2.5 s: \(rig.journal.calls)")
        #expect(rig.states == [.master, .master])
        #expect(rig.daemon[counters: 0].stats.advertSent == sentBefore + 2 && rig.daemon[counters: 0].stats.becameMaster == 1)
    }

    /// A VIP added to a master goes in; the VIP it had never leaves, even for a moment.
    @Test func aVIPAddedToAMasterGoesInAndNoneFlaps() throws {
        let rig = try Rig(Self.one)
        rig.pass(4_000_000)
        rig.journal.clear()
        _ = try rig.reload(TestBox.instance("VI_1", vrid: 51, vips: ["192.0.2.100/24", "192.0.2.101/24"]))
        rig.pass(100_000)
        #expect(rig.states == [.master])
        #expect(rig.journal.calls("add") == ["add 192.0.2.101"])
        #expect(rig.journal.calls("remove") == [])
        #expect(rig.box.onBox == [Self.vip100, Self.vip101])
    }

    /// A VIP removed from a master goes, said once in the log like any other removal; the
    /// one that stays is not touched.
    @Test func aVIPRemovedFromAMasterGoesAndTheRestStays() throws {
        let rig = try Rig(TestBox.instance("VI_1", vrid: 51, vips: ["192.0.2.100/24", "192.0.2.101/24"]))
        rig.pass(4_000_000)
        rig.journal.clear()
        _ = try rig.reload(Self.one)
        rig.pass(100_000)
        #expect(rig.states == [.master])
        #expect(rig.journal.calls("remove") == ["remove 192.0.2.101"])
        #expect(rig.journal.calls("add") == [])
        #expect(rig.box.onBox == [Self.vip100])
        #expect(rig.lines.all.contains("(VI_1) removed 192.0.2.101/24 (no longer configured)"), "\(rig.lines.all)")
    }

    /// A master the reload removes sends priority 0 and keeps its VIP until its successor is
    /// heard, then 20 ms more; the instance that stays is not touched.
    @Test func aRemovedMasterKeepsItsVIPUntilItsSuccessorIsHeard() throws {
        let rig = try Rig(Self.one + Self.two)
        rig.pass(4_000_000)
        rig.journal.clear()
        _ = try rig.reload(Self.two)
        #expect(rig.journal.calls("advert vrid 51") == ["advert vrid 51 priority 0 on eth0"])
        #expect(rig.box.onBox == [Self.vip100, Self.vip102], "the VIP stays until the new master is heard")
        let departure = try #require(rig.daemon.departures.first)
        rig.pass(500_000)
        #expect(rig.box.onBox.contains(Self.vip100))
        let channel = try #require(departure.socket as? TestBox.Links.Channel)
        rig.hear(departure.router, priority: 100, on: channel)
        rig.pass(100_000)
        #expect(rig.box.onBox.contains(Self.vip100), "heard, but it has not announced the VIP yet (keepalived's order)")
        rig.daemon.announcementsHeard([Self.vip101, Self.vip100], at: rig.clock.now)
        rig.pass(10_000)
        #expect(rig.box.onBox.contains(Self.vip100), "the overlap: the new master's GARP lands first")
        rig.pass(10_000)
        #expect(rig.box.onBox == [Self.vip102])
        #expect(rig.daemon.departures.isEmpty)
        #expect(rig.lines.all.contains("(VI_1) removed 192.0.2.100/24 (left the configuration; new master 192.0.2.12 heard and announced)"), "\(rig.lines.all)")
        #expect(rig.journal.calls("remove") == ["remove 192.0.2.100"])
    }

    /// A successor whose announcement this box never hears: the departure's VIP goes
    /// `announcementWait` after its advert, not at Master_Down_Interval.
    @Test func aSuccessorNeverHeardAnnouncingCostsTheAnnouncementWait() throws {
        let rig = try Rig(Self.one + Self.two)
        rig.pass(4_000_000)
        _ = try rig.reload(Self.two)
        let departure = try #require(rig.daemon.departures.first)
        let channel = try #require(departure.socket as? TestBox.Links.Channel)
        rig.hear(departure.router, priority: 100, on: channel)
        rig.daemon.announcementsHeard([Self.vip102], at: rig.clock.now)   // another instance's VIP: not this one's
        rig.pass(VirtualRouter.announcementWait - 1)
        #expect(rig.box.onBox.contains(Self.vip100))
        rig.pass(1)
        #expect(rig.box.onBox == [Self.vip102])
    }

    /// A running master preempted by a higher priority keeps its VIP until the new master
    /// has announced it, then for the overlap.
    @Test func aPreemptedMasterKeepsItsVIPUntilTheAnnouncement() throws {
        let rig = try Rig(Self.one)
        rig.pass(4_000_000)
        #expect(rig.states == [.master])
        let channel = try #require(rig.links.channels.first)
        rig.hear(rig.daemon.routers[0], priority: 200, on: channel)
        #expect(rig.states == [.backup])
        rig.pass(200_000)
        #expect(rig.box.onBox == [Self.vip100])
        rig.daemon.announcementsHeard([Self.vip100], at: rig.clock.now)
        rig.pass(VirtualRouter.handoverOverlap)
        #expect(rig.box.onBox.isEmpty)
        #expect(rig.lines.all.contains("(VI_1) removed 192.0.2.100/24 (new master 192.0.2.12 heard and announced)"), "\(rig.lines.all)")
    }

    /// Renamed: the old name's departure lets go of its VIP after Master_Down_Interval
    /// (nobody answers for its VRID), but not of the address the new instance holds now.
    @Test func aDepartureSparesTheAddressANewInstanceHolds() throws {
        let rig = try Rig(Self.one)
        rig.pass(4_000_000)
        rig.journal.clear()
        _ = try rig.reload(TestBox.instance("VI_9", vrid: 59, priority: 255, vips: ["192.0.2.100/24"]))
        rig.pass(100_000)
        #expect(rig.states == [.master])
        rig.pass(4_000_000)
        #expect(rig.daemon.departures.isEmpty)
        #expect(rig.journal.calls("remove") == [])
        #expect(rig.box.onBox == [Self.vip100])
    }

    /// Counters follow their instance when a reload puts a new one before it, and go with it.
    @Test func countersFollowTheirInstance() throws {
        let rig = try Rig(Self.one)
        rig.pass(4_000_000)
        let before = rig.daemon[counters: 0]
        _ = try rig.reload(Self.two + Self.one)
        #expect(rig.daemon.routers.map(\.configuration.name) == ["VI_2", "VI_1"])
        #expect(rig.daemon[counters: 1].stats.advertSent == before.stats.advertSent && rig.daemon[counters: 1].stats.becameMaster == 1)
        #expect(rig.daemon[counters: 0].stats.advertSent == 0 && rig.daemon[counters: 0].stats.becameMaster == 0)
        // Removed: its counts go with it (a later instance of that name starts from zero).
        _ = try rig.reload(Self.two)
        #expect(rig.daemon.counters["VI_1"] == nil && rig.daemon.counters.count == 1)
    }

    /// A reload whose sockets cannot be opened is refused whole: the running instances
    /// go on as they were, nothing was removed or handed over.
    @Test func aReloadThatCannotBeWiredChangesNothing() throws {
        let rig = try Rig(Self.one)
        rig.pass(4_000_000)
        rig.journal.clear()
        rig.links.refuse = ["eth1"]
        #expect(throws: SystemCallError.self) {
            _ = try rig.reload(TestBox.instance("VI_3", vrid: 53, interface: "eth1", vips: ["198.51.100.100/24"]))
        }
        rig.pass(1_100_000)
        #expect(rig.states == [.master] && rig.daemon.routers.map(\.configuration.name) == ["VI_1"])
        #expect(rig.journal.calls.allSatisfy { $0 == "advert vrid 51 priority 100 on eth0" }, "\(rig.journal.calls)")
        #expect(!rig.journal.calls.isEmpty)
        #expect(rig.box.onBox == [Self.vip100])
    }
}

/// keepalived's dump signals on the real daemon: the files it writes, the counters they
/// show, and that the daemon runs on untouched.
@Suite struct DaemonDumpTests {
    typealias Rig = DaemonReloadTests.Rig

    @Test func theDumpSignalsWriteKeepalivedsFilesAndNothingElseMoves() throws {
        let rig = try Rig(DaemonReloadTests.one)
        rig.pass(4_000_000)
        rig.journal.clear()
        #expect(rig.daemon.dump(for: .data) == ["/dumps/keepalived.data"])
        #expect(rig.daemon.dump(for: .stats) == ["/dumps/keepalived.stats"])
        #expect(rig.daemon.dump(for: .json) == ["/dumps/keepalived.json"])
        let data = try #require(rig.dumps["/dumps/keepalived.data"]).split(separator: "\n").map(String.init)
        #expect(data.contains(" VRRP Instance = VI_1") && data.contains("   State = MASTER") && data.contains("   Interface = eth0"))
        #expect(data.contains("     192.0.2.100/24 dev eth0 scope global set"))
        #expect(data.contains("   Master down timer = 3609375 usecs"))
        // The transition's wall-clock time: the fake wall clock at the takeover (3.609375 s in).
        #expect(data.contains { $0.hasPrefix("   Last transition = 1700001003.609375 (") }, "\(data.filter { $0.contains("transition") })")
        let stats = try #require(rig.dumps["/dumps/keepalived.stats"])
        #expect(stats.hasPrefix("VRRP Instance: VI_1\n  Advertisements:\n    Received: 0\n    Sent: 1\n  Became master: 1\n"), "\(stats)")
        let json = try #require(rig.dumps["/dumps/keepalived.json"])
        #expect(json.contains("\"iname\":\"VI_1\"") && json.contains("\"ifp_ifname\":\"eth0\"") && json.contains("\"state\":2"))
        #expect(rig.journal.calls.isEmpty, "a dump sends, adds and removes nothing: \(rig.journal.calls)")
        #expect(rig.states == [.master])
    }

    @Test func statsClearWritesTheCountsThenZeroesThem() throws {
        let rig = try Rig(DaemonReloadTests.one)
        rig.pass(6_000_000)
        let sent = rig.daemon[counters: 0].stats.advertSent
        #expect(sent >= 3)
        rig.daemon.dump(for: .statsClear)
        #expect(rig.dumps["/dumps/keepalived.stats"]?.contains("    Sent: \(sent)\n") == true)
        #expect(rig.daemon[counters: 0].stats == KeepalivedDump.Stats())
        rig.pass(1_000_000)
        #expect(rig.daemon[counters: 0].stats.advertSent == 1, "counting goes on from zero")
    }

    /// A peer's priority-0 advert is counted as received; the mastership this box takes
    /// then gives up to a higher priority is counted as released.
    @Test func priorityZeroAndReleasedMastershipAreCounted() throws {
        let rig = try Rig(DaemonReloadTests.one)
        let channel = try #require(rig.links.channels.first)
        let peer = rig.daemon.routers[0]
        rig.pass(1_000_000)
        rig.hear(peer, priority: 200, on: channel)
        rig.pass(500_000)
        rig.hear(peer, priority: 0, on: channel)
        rig.pass(1_000_000)
        #expect(rig.states == [.master])
        rig.hear(peer, priority: 200, on: channel)
        #expect(rig.states == [.backup])
        let s = rig.daemon[counters: 0].stats
        #expect(s.priorityZeroReceived == 1 && s.advertReceived == 3 && s.becameMaster == 1 && s.releasedMaster == 1)
    }
}
