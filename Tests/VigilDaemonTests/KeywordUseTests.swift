import Testing
import KeywordProbes
import LVS
import VRRP
import VigilConfig
@testable import VigilLinux
@testable import VigilDaemon
@testable import VigilPlan

/// Nothing read is left unused: every catalog keyword that changes the typed model (the
/// configuration tests check that every other one is reported as not supported) changes
/// what `vigil run` does, i.e. the `DaemonPlan` made from it, or is one of the few listed
/// below whose effect lies outside the plan, each with where it is used.
@Suite struct KeywordUseTests {
    static let interfaces = InterfaceTable(interfaces: [
        "eth0": .init(name: "eth0", index: 2, isUp: true, isRunning: true, addresses: [[192, 0, 2, 11]],
                      hardwareAddress: [2, 0, 0, 0, 0, 1], primaryIPv4: [192, 0, 2, 11],
                      linkLocalIPv6: [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
        "eth1": .init(name: "eth1", index: 3, isUp: true, isRunning: true, addresses: [[198, 51, 100, 11]],
                      hardwareAddress: [2, 0, 0, 0, 0, 2], primaryIPv4: [198, 51, 100, 11]),
    ])

    /// The host the probes are planned on: those interfaces, root and nobody (the probes'
    /// `script_user` and MISC_CHECK `user`), the root-owned tree of `/bin/sh` and `/bin/true`.
    static let host = StaticPlanningHost(
        interfaces: interfaces,
        users: ["root": .root, "nobody": ScriptCredentials(user: "nobody", uid: 65534, gid: 65534, groups: [65534])],
        groups: ["root": 0, "nogroup": 65534])

    /// Keywords read into the model whose effect is not in the plan, as "BLOCK: KEYWORD"
    /// (the probe's name), each with the file and function that acts on it.
    /// router_id, once listed here, is the SMTP alerts' subject prefix (`SMTPAlertPlan.routerID`).
    static let usedOutsideThePlan: [String: String] = [
        // Says an instance without VIPs is meant so: only the warning for none goes
        // (Validator.swift, StrictModeRules.swift); such an instance runs the same either way.
        "vrrp_instance: no_virtual_ipaddress": "Validator.swift Validator.run (no 'no-vip' warning) and StrictModeRules.swift",
    ]

    /// The plan made from a probe's configuration, or the reason it cannot run.
    static func outcome(_ result: ConfigurationLoader.Result) -> PlanFingerprint.Outcome {
        do throws(InstancePlan.Problem) {
            return .plan(PlanFingerprint(try DaemonPlan.make(result.configuration, host: host)))
        } catch {
            return .refused(error.message)
        }
    }

    @Test func everyKeywordThatChangesTheModelChangesThePlan() {
        var unused: [String] = []
        for probe in KeywordProbe.all {
            let with = probe.load(probe.with)
            if probe.isReportedUnsupported(with) { continue }
            let without = probe.load(probe.without)
            guard with.configuration != without.configuration else { continue }
            if Self.outcome(with) == Self.outcome(without) && Self.usedOutsideThePlan[probe.description] == nil {
                unused.append(probe.description)
            }
        }
        #expect(unused.isEmpty, "read into the model, yet the daemon's plan is the same without them: \(unused)")
    }

    /// An entry of the list must name a keyword that is read and in effect somewhere: not
    /// one reported as unsupported, not one that already changes the plan (a stale entry
    /// would hide a keyword that stops being used).
    @Test func theKeywordsUsedOutsideThePlanAreReadAndNotInThePlan() {
        let probes = Dictionary(KeywordProbe.all.map { ($0.description, $0) }, uniquingKeysWith: { a, _ in a })
        for (name, usedIn) in Self.usedOutsideThePlan {
            guard let probe = probes[name] else {
                Issue.record("\(name) is not a catalog keyword")
                continue
            }
            let with = probe.load(probe.with)
            let without = probe.load(probe.without)
            #expect(!probe.isReportedUnsupported(with), "\(name) is reported as not supported, yet listed as used in \(usedIn)")
            #expect(with.configuration != without.configuration, "\(name) does not change the model")
            #expect(Self.outcome(with) == Self.outcome(without), "\(name) changes the plan: remove it from the list")
        }
    }

    /// The fingerprint compares every stored property of the plan; a property added later
    /// must be added to it, or the keywords that set it would look unused.
    @Test func theFingerprintCoversEveryPropertyOfThePlan() throws {
        let result = ConfigurationLoader.load(text: """
            vrrp_instance VI_1 {
                interface eth0
                virtual_router_id 51
            }
            virtual_server 192.0.2.1 80 {
                protocol TCP
                real_server 198.51.100.1 80 {
                }
            }
            """)
        let plan = try DaemonPlan.make(result.configuration, host: Self.host)
        #expect(Self.labels(plan) == PlanFingerprint.planProperties)
        #expect(Self.labels(plan.instances[0]) == PlanFingerprint.instanceProperties)
        #expect(Self.labels(plan.lvs) == PlanFingerprint.lvsProperties)
        #expect(Self.labels(plan.lvs.pools[0]) == PlanFingerprint.poolProperties)
        #expect(Self.labels(plan.lvs.pools[0].members[0]) == PlanFingerprint.memberProperties)
    }

    static func labels(_ value: Any) -> [String] { Mirror(reflecting: value).children.compactMap(\.label) }
}
