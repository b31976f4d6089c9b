import Testing
import VigilTypes
@testable import VigilLinux
@testable import VigilDaemon
@testable import VigilPlan

/// The daemon's start with virtual servers, on the fake edge and a fake IPVS table: the
/// table goes in before the VRRP side is wired (a restarted director forwards again as
/// soon as it can), and a start that fails after it leaves no table behind.
@Suite struct DaemonStartTests {
    /// An instance on eth0 and one virtual server (192.0.2.100:80, three real servers).
    static let director = TestBox.instance("VI_1", vrid: 51, vips: ["192.0.2.100/24"])
        + LVSRunnerTests.virtualServer(100, [(1, 3), (2, 2), (3, 1)])

    static func edge(_ links: TestBox.Links, _ kernel: LVSRunnerTests.FakeKernel) -> DaemonEdge {
        var edge = TestBox.edge(links: links, box: TestBox.Addresses(journal: links.journal), clock: TestBox.Clock())
        edge.ipvs = {
            links.journal.calls.append("IPVS opened")
            return kernel
        }
        return edge
    }

    /// Made, not yet started: the table is in the kernel already, and the VRRP sockets
    /// were opened after it.
    @Test func theTableIsProgrammedBeforeTheVRRPSideIsWired() throws {
        let kernel = LVSRunnerTests.FakeKernel()
        let links = TestBox.Links()
        let daemon = try Daemon(plan: try TestBox.plan(Self.director), logger: TestBox.quiet, edge: Self.edge(links, kernel))
        #expect(kernel.weights(LVSRunnerTests.web) == LVSRunnerTests.webWeights)
        #expect(links.journal.calls == ["IPVS opened", "socket eth0 multicast", "GARP eth0"])
        daemon.lvs.stop()
        #expect(kernel.table.services.isEmpty)
    }

    /// The VRRP socket cannot be opened: the daemon is not made, and the table it had
    /// programmed is taken out again (programmed first, so the removal is what emptied it).
    @Test func aStartThatFailsAfterTheTableLeavesNoTable() throws {
        let kernel = LVSRunnerTests.FakeKernel()
        let links = TestBox.Links()
        links.refuse = ["eth0"]
        #expect(throws: (any Error).self) {
            _ = try Daemon(plan: try TestBox.plan(Self.director), logger: TestBox.quiet, edge: Self.edge(links, kernel))
        }
        #expect(kernel.changes.first == "add service TCP 192.0.2.100:80 wlc", "programmed: \(kernel.changes)")
        #expect(kernel.changes.last == "delete service TCP 192.0.2.100:80", "then removed: \(kernel.changes)")
        #expect(kernel.table.services.isEmpty)
    }

    /// Someone else's service in the kernel stays through a failed start.
    @Test func aFailedStartLeavesOtherServicesAlone() throws {
        let kernel = LVSRunnerTests.FakeKernel([LVSRunnerTests.foreign])
        let links = TestBox.Links()
        links.refuse = ["eth0"]
        #expect(throws: (any Error).self) {
            _ = try Daemon(plan: try TestBox.plan(Self.director), logger: TestBox.quiet, edge: Self.edge(links, kernel))
        }
        #expect(Array(kernel.table.services.keys) == [LVSRunnerTests.foreign.key])
    }
}
