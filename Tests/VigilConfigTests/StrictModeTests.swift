import Testing
@testable import VigilConfig

/// Strict mode (`vrrp_strict`, `strict_mode`): one test per rule keepalived 2.2.7 enforces,
/// each checked to point at the line that says it.
@Suite struct StrictModeTests {
    let strict = "global_defs {\n    vrrp_strict\n}\n"  // 3 lines: the instance starts at line 4

    /// The instance of `instance(body)` after the strict global_defs; `body` starts at line 10.
    func strictLoad(_ body: String, version3: Bool = false) -> ConfigurationLoader.Result {
        load(strict + instance((version3 ? "version 3\n" : "") + body))
    }

    @Test func aPlainStrictInstanceOnlyGetsTheDropWarning() {
        let result = strictLoad("")
        #expect(result.errors.isEmpty)
        #expect(result.found == ["4:strict-drops-traffic"])
        let message = result.warnings[0].message
        #expect(message.contains("while it is master, traffic addressed to its virtual addresses (192.0.2.100) will be dropped"))
        #expect(message.contains("set 'accept'"))
        #expect(message.contains("version 3"), "v2 needs version 3 for accept to count")
        #expect(result.warnings[0].severity == .warning)
    }

    @Test func strictModeIsOffWithoutVrrpStrictAndPerInstanceOverrides() {
        #expect(load(instance("authentication {\n auth_type PASS\n auth_pass x\n}")).diagnostics.isEmpty)
        // strict_mode off in the instance beats vrrp_strict.
        #expect(load(strict + instance("strict_mode off\nauthentication {\n auth_type PASS\n auth_pass x\n}")).diagnostics.isEmpty)
        // strict_mode on without vrrp_strict.
        #expect(load(instance("strict_mode on\nauthentication {\n auth_type PASS\n auth_pass x\n}")).has("strict-authentication", line: 8, .error))
    }

    @Test func acceptWithVersion3AnswersAndWarnsNothing() {
        let result = strictLoad("accept", version3: true)
        #expect(result.diagnostics.isEmpty)
        #expect(!StrictMode.dropsTrafficToVirtualAddresses(result.configuration.vrrpInstances[0], result.configuration.globalDefs))
    }

    @Test func acceptWithVersion2IsAnError() {
        let result = strictLoad("accept")
        #expect(result.has("strict-accept-v2", line: 10, .error))
        #expect(result.errors[0].message.contains("version 3"))
        // One message about it, not a warning besides.
        #expect(!result.diagnostics.contains { $0.id == "strict-drops-traffic" })
        #expect(StrictMode.dropsTrafficToVirtualAddresses(result.configuration.vrrpInstances[0], result.configuration.globalDefs))
    }

    @Test func theAddressOwnerAcceptsByDefault() {
        let result = strictLoad("state MASTER\npriority 255")
        #expect(result.errors.isEmpty)
        #expect(!result.diagnostics.contains { $0.id == "strict-drops-traffic" })
        // No priority and state MASTER: keepalived makes it the owner (255).
        let derived = strictLoad("state MASTER")
        #expect(derived.errors.isEmpty)
        #expect(!StrictMode.dropsTrafficToVirtualAddresses(derived.configuration.vrrpInstances[0], derived.configuration.globalDefs))
    }

    @Test func noAcceptOutsideStrictModeDropsToo() {
        let result = load(instance("no_accept"))
        #expect(result.has("strict-drops-traffic", line: 1, .warning))
        #expect(result.warnings[0].message.contains("'no_accept'"))
    }

    @Test func unicastPeers() {
        let result = strictLoad("unicast_peer {\n 192.0.2.12\n}")
        #expect(result.has("strict-unicast", line: 10, .error))
        #expect(result.errors.count == 1)
    }

    @Test func authentication() {
        let result = strictLoad("authentication {\n auth_type PASS\n auth_pass x\n}")
        #expect(result.has("strict-authentication", line: 10, .error))
        // AH is refused in any mode already.
        #expect(strictLoad("authentication {\n auth_type AH\n auth_pass x\n}").has("auth-ah", line: 11, .error))
    }

    @Test func stateMasterOnlyForTheOwner() {
        #expect(strictLoad("state MASTER\npriority 100").has("strict-state", line: 10, .error))
        #expect(strictLoad("state BACKUP\npriority 255").has("strict-state", line: 10, .error))
        #expect(strictLoad("state BACKUP\npriority 100").errors.isEmpty)
        // Outside strict mode keepalived runs state MASTER with any priority.
        #expect(load(instance("state MASTER\npriority 100")).errors.isEmpty)
    }

    @Test func atLeastOneVirtualAddress() {
        let text = strict + "vrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 51\n}\n"
        let result = load(text)
        #expect(result.has("strict-no-vip", line: 4, .error))
    }

    @Test func resetsAreErrorsAtTheirLine() {
        #expect(strictLoad("preempt_delay 5").has("strict-preempt-delay", line: 10, .error))
        #expect(strictLoad("preempt_delay 0").errors.isEmpty)
        #expect(strictLoad("garp_lower_prio_repeat 2").has("strict-garp-lower-prio", line: 10, .error))
        #expect(strictLoad("garp_lower_prio_delay 2").has("strict-garp-lower-prio", line: 10, .error))
        #expect(strictLoad("down_timer_adverts 4").has("strict-down-timer-adverts", line: 10, .error))
        #expect(strictLoad("down_timer_adverts 3").errors.isEmpty)
        #expect(strictLoad("lower_prio_no_advert false").has("strict-lower-prio-no-advert", line: 10, .error))
        #expect(strictLoad("lower_prio_no_advert").errors.isEmpty)
        #expect(strictLoad("higher_prio_send_advert").has("strict-higher-prio-send-advert", line: 10, .error))
        #expect(strictLoad("higher_prio_send_advert off").errors.isEmpty)
        #expect(strictLoad("use_vmac\nvmac_xmit_base").has("strict-vmac-xmit-base", line: 11, .error))
    }

    @Test func v2AdvertIntervalStaysWholeSeconds() {
        // Not a strict rule in keepalived 2.2.7 (it rounds in any mode); the validator's error holds.
        #expect(strictLoad("advert_int 1.5").has("advert-int-v2", line: 4, .error))
    }

    @Test func firstIPv6AddressMustBeLinkLocal() {
        let v6 = strict + instance("version 3").replacingOccurrences(of: "192.0.2.100/24", with: "2001:db8::1/64")
        #expect(load(v6).has("strict-ipv6-link-local", line: 8, .error))
        let linkLocal = v6.replacingOccurrences(of: "2001:db8::1/64", with: "fe80::1/64\n        2001:db8::1/64")
        #expect(!load(linkLocal).diagnostics.contains { $0.id == "strict-ipv6-link-local" })
    }

    @Test func globalDefaultsKeepalivedIgnoresForStrictInstances() {
        let text = "global_defs {\n    vrrp_strict\n    vrrp_garp_lower_prio_repeat 3\n    vrrp_higher_prio_send_advert\n}\n" + instance("")
        let result = load(text)
        #expect(result.has("strict-global-ignored", line: 3, .warning))
        #expect(result.has("strict-global-ignored", line: 4, .warning))
        #expect(result.errors.isEmpty)
        // Without a strict instance they apply, and nothing is said.
        let relaxed = load(text.replacingOccurrences(of: "    vrrp_strict\n", with: ""))
        #expect(!relaxed.diagnostics.contains { $0.id == "strict-global-ignored" })
    }

    @Test func ipv6IsVersion3WithoutSayingSo() {
        // keepalived runs an IPv6 instance as VRRPv3 unless told otherwise: accept counts.
        let v6 = strict + instance("accept").replacingOccurrences(of: "192.0.2.100/24", with: "fe80::100/64")
        let result = load(v6)
        #expect(!result.diagnostics.contains { $0.id == "strict-accept-v2" })
        #expect(!StrictMode.dropsTrafficToVirtualAddresses(result.configuration.vrrpInstances[0], result.configuration.globalDefs))
    }

    @Test func mixedVersionsAreAllowed() {
        // keepalived 2.2.7 has no rule against v2 and v3 instances side by side.
        let text = strict + instance("", name: "A") + "\n" + instance("version 3", name: "B").replacingOccurrences(of: "51", with: "52")
        #expect(load(text).errors.isEmpty)
    }

    @Test func dumpedStrictConfigurationReadsBackTheSame() {
        let original = strictLoad("accept\npreempt_delay 2", version3: true)
        let again = ConfigurationLoader.load(text: Dumper.dump(original.configuration), path: "dump.conf")
        #expect(again.configuration == original.configuration)
        #expect(Set(again.errors.map(\.id)) == Set(original.errors.map(\.id)))
    }
}
