import Testing
import VRRP
import VigilConfig
@testable import VigilLinux
@testable import VigilDaemon
@testable import VigilPlan

/// The reload's decisions, from the two plans alone: each case the reload drill walks
/// through (same file, a VIP added, an instance removed and another added, a bad file
/// never gets here) and the ones around sync groups and tracked objects.
@Suite struct ReloadPlanTests {
    static let interfaces = TestBox.interfaces

    static func instance(_ name: String, vrid: Int, priority: Int = 100, vips: [String], track: String? = nil) -> String {
        """
        vrrp_instance \(name) {
            interface eth0
            virtual_router_id \(vrid)
            priority \(priority)
            virtual_ipaddress {
        \(vips.map { "        \($0)" }.joined(separator: "\n"))
            }
        \(track.map { "    track_script {\n        \($0)\n    }\n" } ?? "")}

        """
    }

    static func script(_ name: String, interval: Int = 1) -> String {
        "vrrp_script \(name) {\n    script \"/bin/true\"\n    interval \(interval)\n}\n"
    }

    static func group(_ name: String, _ members: [String]) -> String {
        "vrrp_sync_group \(name) {\n    group {\n\(members.map { "        \($0)\n" }.joined())    }\n}\n"
    }

    static func plan(_ text: String) throws -> DaemonPlan {
        let result = ConfigurationLoader.load(text: text)
        #expect(!result.diagnostics.contains { $0.severity == .error }, "\(result.diagnostics)")
        return try DaemonPlan.make(result.configuration, host: StaticPlanningHost(interfaces: interfaces))
    }

    static let two = instance("VI_1", vrid: 51, vips: ["192.0.2.100/24"]) + instance("VI_2", vrid: 52, vips: ["192.0.2.101/24"])

    @Test func theSameFileLeavesEveryInstanceRunning() throws {
        let diff = ReloadPlan.diff(old: try Self.plan(Self.two), new: try Self.plan(Self.two))
        #expect(diff.fates == [.unchanged(old: 0), .unchanged(old: 1)])
        #expect(diff.removed.isEmpty)
        #expect(diff.summary(virtualServers: 0) == "2 unchanged, 0 changed, 0 added, 0 removed instance(s); 0 virtual server(s)")
    }

    @Test func aVIPAddedChangesOnlyItsInstance() throws {
        let new = Self.instance("VI_1", vrid: 51, vips: ["192.0.2.100/24"])
            + Self.instance("VI_2", vrid: 52, vips: ["192.0.2.101/24", "192.0.2.102/24"])
        let diff = ReloadPlan.diff(old: try Self.plan(Self.two), new: try Self.plan(new))
        #expect(diff.fates == [.unchanged(old: 0), .changed(old: 1)])
        #expect(diff.summary(virtualServers: 0).hasPrefix("1 unchanged, 1 changed, 0 added, 0 removed"))
    }

    @Test func aRemovedAndAnAddedInstanceAreFoundByName() throws {
        // VI_2 goes, VI_3 comes, and the order of the blocks changes: names decide.
        let new = Self.instance("VI_3", vrid: 53, vips: ["192.0.2.103/24"]) + Self.instance("VI_1", vrid: 51, vips: ["192.0.2.100/24"])
        let diff = ReloadPlan.diff(old: try Self.plan(Self.two), new: try Self.plan(new))
        #expect(diff.fates == [.added, .unchanged(old: 0)])
        #expect(diff.removed == [1])
        #expect(diff.summary(virtualServers: 0).hasPrefix("1 unchanged, 0 changed, 1 added, 1 removed"))
    }

    @Test func aRenamedInstanceIsRemovedAndAdded() throws {
        let new = Self.instance("VI_1", vrid: 51, vips: ["192.0.2.100/24"]) + Self.instance("web", vrid: 52, vips: ["192.0.2.101/24"])
        let diff = ReloadPlan.diff(old: try Self.plan(Self.two), new: try Self.plan(new))
        #expect(diff.fates == [.unchanged(old: 0), .added])
        #expect(diff.removed == [1])
    }

    @Test func aPriorityChangeIsAChange() throws {
        let new = Self.instance("VI_1", vrid: 51, priority: 90, vips: ["192.0.2.100/24"]) + Self.instance("VI_2", vrid: 52, vips: ["192.0.2.101/24"])
        let diff = ReloadPlan.diff(old: try Self.plan(Self.two), new: try Self.plan(new))
        #expect(diff.fates == [.changed(old: 0), .unchanged(old: 1)])
    }

    /// The instance's block is the same, but the script it tracks runs at another interval:
    /// its context changed, so it starts again; the instance that does not track it runs on.
    @Test func aTrackedScriptsSpecIsPartOfTheInstance() throws {
        let body = Self.instance("VI_1", vrid: 51, vips: ["192.0.2.100/24"], track: "chk") + Self.instance("VI_2", vrid: 52, vips: ["192.0.2.101/24"])
        let diff = ReloadPlan.diff(old: try Self.plan(Self.script("chk") + body), new: try Self.plan(Self.script("chk", interval: 2) + body))
        #expect(diff.fates == [.changed(old: 0), .unchanged(old: 1)])
    }

    @Test func aSyncGroupKeepsItsStateOnlyWhenEveryMemberIsUnchanged() throws {
        let grouped = Self.two + Self.group("G", ["VI_1", "VI_2"])
        let same = ReloadPlan.diff(old: try Self.plan(grouped), new: try Self.plan(grouped))
        #expect(same.carriedGroups == ["G"])

        let changedMember = Self.instance("VI_1", vrid: 51, vips: ["192.0.2.100/24"])
            + Self.instance("VI_2", vrid: 52, vips: ["192.0.2.101/24", "192.0.2.102/24"]) + Self.group("G", ["VI_1", "VI_2"])
        let changed = ReloadPlan.diff(old: try Self.plan(grouped), new: try Self.plan(changedMember))
        #expect(changed.carriedGroups.isEmpty)
        #expect(changed.fates == [.unchanged(old: 0), .changed(old: 1)])
    }

    /// A member joins: the group is another group now (its members' context changed), and
    /// so is every member.
    @Test func aGroupThatGainsAMemberStartsAgain() throws {
        let before = Self.two + Self.instance("VI_3", vrid: 53, vips: ["192.0.2.103/24"]) + Self.group("G", ["VI_1", "VI_2"])
        let after = Self.two + Self.instance("VI_3", vrid: 53, vips: ["192.0.2.103/24"]) + Self.group("G", ["VI_1", "VI_2", "VI_3"])
        let diff = ReloadPlan.diff(old: try Self.plan(before), new: try Self.plan(after))
        #expect(diff.fates == [.changed(old: 0), .changed(old: 1), .changed(old: 2)])
        #expect(diff.carriedGroups.isEmpty)
    }
}
