import Testing
@testable import VigilConfig
#if canImport(Glibc)
import Glibc
#endif

/// The keywords keepalived 2.2.8 … 2.4.3 read beyond 2.2.7, and the 2.2.7 ones this work
/// implements: vrrp_startup_delay, vrrp_min_garp, v3_checksum_as_v2, old_unicast_checksum,
/// no_virtual_ipaddress; the rest recognised with a clear "not supported" warning.
@Suite struct Keepalived24KeywordTests {
    @Test func vrrpDelayAfterBootIsRead() {
        let r = load("global_defs {\n    vrrp_delay_after_boot 15.23\n}\n" + instance(""))
        #expect(r.diagnostics.isEmpty, "\(r.diagnostics)")
        #expect(r.configuration.globalDefs.vrrpDelayAfterBoot == 15_230_000)
        #expect(r.dumpReadsBack)
    }

    @Test func vrrpStartupDelayIsReadInMilliseconds() {
        let r = load("global_defs {\n    vrrp_startup_delay 5.5004\n}\n" + instance(""))
        #expect(r.diagnostics.isEmpty, "\(r.diagnostics)")
        #expect(r.configuration.globalDefs.vrrpStartupDelay == 5_500_000)
        #expect(r.dumpReadsBack)
        let bad = load("global_defs {\n    vrrp_startup_delay soon\n}\n" + instance(""))
        #expect(bad.has("out-of-range", line: 2, .error), "\(bad.diagnostics)")
        #expect(bad.configuration.globalDefs.vrrpStartupDelay == nil)
    }

    /// keepalived's rule: one gratuitous ARP and no second burst, except for a setting
    /// written after vrrp_min_garp; a setting before it keeps its value unless it is the default.
    @Test func vrrpMinGarpChangesWhatStillHoldsTheDefault() {
        let alone = load("global_defs {\n    vrrp_min_garp\n}\n" + instance(""))
        #expect(alone.diagnostics.isEmpty, "\(alone.diagnostics)")
        let g = alone.configuration.globalDefs.garp
        #expect(g.masterRepeat == 1 && g.masterDelay == 0 && g.masterRefreshRepeat == 0 && g.masterRefresh == nil)
        #expect(alone.dumpReadsBack)
        let before = load("global_defs {\n    vrrp_garp_master_repeat 3\n    vrrp_garp_master_delay 5\n    vrrp_min_garp\n}\n" + instance(""))
        #expect(before.configuration.globalDefs.garp.masterRepeat == 3)
        #expect(before.configuration.globalDefs.garp.masterDelay == 0, "5 s is the default: changed, as keepalived")
        let after = load("global_defs {\n    vrrp_min_garp\n    vrrp_garp_master_repeat 3\n}\n" + instance(""))
        #expect(after.configuration.globalDefs.garp.masterRepeat == 3)
        let off = load("global_defs {\n    vrrp_min_garp false\n}\n" + instance(""))
        #expect(off.configuration.globalDefs.garp == GratuitousARPSettings())
        let bad = load("global_defs {\n    vrrp_min_garp maybe\n}\n" + instance(""))
        #expect(bad.has("bad-value", line: 2, .error))
    }

    static let peer = "    unicast_peer {\n        192.0.2.12\n    }\n"

    @Test func checksumKeywords() {
        let r = load("global_defs {\n    v3_checksum_as_v2\n}\n"
            + instance("    v3_checksum_as_v2 false\n    old_unicast_checksum never\n" + Self.peer, name: "VI_1") + "\n"
            + instance("    old_unicast_checksum\n" + Self.peer, name: "VI_2").replacingOccurrences(of: "virtual_router_id 51", with: "virtual_router_id 52"))
        #expect(r.diagnostics.isEmpty, "\(r.diagnostics)")
        #expect(r.configuration.globalDefs.v3ChecksumAsV2)
        let instances = r.configuration.vrrpInstances
        #expect(instances.map(\.v3ChecksumAsV2) == [false, nil])
        #expect(instances.map(\.oldUnicastChecksum) == [.never, .always])
        #expect(r.dumpReadsBack)
        // Without unicast_peer the adverts are multicast, where both forms are one.
        let multicast = load(instance("    old_unicast_checksum\n"))
        #expect(multicast.has("unicast-keyword-without-peer", line: 7, .warning), "\(multicast.diagnostics)")
        let bad = load(instance("    old_unicast_checksum sometimes\n"))
        #expect(bad.has("bad-value", line: 7, .error), "\(bad.diagnostics)")
    }

    @Test func noVirtualIPAddressSilencesTheNoVIPWarning() {
        let bare = "vrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 51\n"
        let without = load(bare + "}\n")
        #expect(without.has("no-vip", line: 1, .warning))
        let with = load(bare + "    no_virtual_ipaddress\n}\n")
        #expect(with.diagnostics.isEmpty, "\(with.diagnostics)")
        #expect(with.configuration.vrrpInstances.first?.noVirtualIPAddress == true)
        #expect(with.dumpReadsBack)
        // VRRPv3 without a VIP: keepalived refuses the instance unless no_virtual_ipaddress.
        let v3 = load(bare + "    version 3\n}\n")
        #expect(v3.has("no-vip", line: 1, .error), "\(v3.diagnostics)")
        let v3Meant = load(bare + "    version 3\n    no_virtual_ipaddress\n}\n")
        #expect(v3Meant.diagnostics.isEmpty, "\(v3Meant.diagnostics)")
        let strict = load(bare + "    no_virtual_ipaddress\n    strict_mode\n}\n")
        #expect(strict.has("strict-no-virtual-ipaddress", line: 4, .warning), "\(strict.diagnostics)")
        #expect(strict.errors.contains { $0.id == "strict-no-vip" })
    }

    /// track_group is an option of static_ipaddress lines only (2.2.7 and 2.4.3 alike):
    /// in a virtual address it is reported, not silently dropped; metric and valid_lft are
    /// no address options at all, as keepalived says.
    @Test func trackGroupInAVirtualAddressIsReported() {
        let r = load(instance("").replacingOccurrences(of: "192.0.2.100/24", with: "192.0.2.100/24 track_group TG"))
        #expect(r.has("unknown-option", line: 5, .warning), "\(r.diagnostics)")
        #expect(r.configuration.vrrpInstances.first?.virtualIPAddresses.first?.flags == [])
        let other = load(instance("").replacingOccurrences(of: "192.0.2.100/24", with: "192.0.2.100/24 metric 5 preferred_lft 0"))
        #expect(other.found.filter { $0 == "5:unknown-option" }.count == 2, "metric and its value, as keepalived: \(other.found)")
        #expect(other.configuration.vrrpInstances.first?.virtualIPAddresses.first?.flags == ["preferred_lft", "0"])
        #expect(other.has("ipv6-only", line: 5, .warning), "an IPv4 address has no preferred lifetime: said, not dropped silently")
    }

    static func loadIn(_ text: String, environment: [String: String]) -> ConfigurationLoader.Result {
        let options = ConfigurationLoader.Options(environment: environment)
        return try! ConfigurationLoader.load(path: "/cfg/keepalived.conf",
                                             reader: InMemorySourceReader(["/cfg/keepalived.conf": text]), options: options)
    }

    /// keepalived 2.4's `${_ENV NAME}`: the variable's value, inside quotes too; unset it is
    /// empty (Vigil warns); more than one name is an error and the word stays as written.
    @Test func environmentExpansion() {
        let text = instance("    priority ${_ENV VIGIL_PRIO}\n    notify_master \"/bin/echo ${_ENV VIGIL_WHO}\"\n")
        let r = Self.loadIn(text, environment: ["VIGIL_PRIO": "150", "VIGIL_WHO": "lb 1"])
        #expect(r.errors.isEmpty && !r.diagnostics.contains { $0.id.hasPrefix("env") }, "\(r.diagnostics)")
        #expect(r.configuration.vrrpInstances.first?.priority == 150)
        #expect(r.configuration.vrrpInstances.first?.notify.master == "/bin/echo lb 1")
        let unset = Self.loadIn(text, environment: ["VIGIL_WHO": "x"])
        #expect(unset.has("env-unset", line: 7, .warning), "\(unset.diagnostics)")
        #expect(unset.has("missing-argument", line: 7, .error), "priority with nothing after it, as keepalived reads it")
        let two = Self.loadIn(instance("    priority ${_ENV A B}\n"), environment: ["A": "1", "B": "2"])
        #expect(two.has("env-syntax", line: 7, .error), "\(two.diagnostics)")
        // A definition named _ENV written in the file takes its place, as in keepalived.
        let defined = Self.loadIn("$_ENV=7\n" + instance("    priority ${_ENV}0\n"), environment: [:])
        #expect(defined.configuration.vrrpInstances.first?.priority == 70, "\(defined.diagnostics)")
    }

    /// Without a table given, `${_ENV NAME}` reads the process's own environment.
    @Test func environmentExpansionReadsTheProcesssEnvironment() throws {
        setenv("VIGIL_TEST_ENV_PRIORITY", "140", 1)
        defer { unsetenv("VIGIL_TEST_ENV_PRIORITY") }
        let text = instance("    priority ${_ENV VIGIL_TEST_ENV_PRIORITY}\n    notify_master \"/bin/echo ${_ENV VIGIL_TEST_ENV_UNSET}\"\n")
        let r = try ConfigurationLoader.load(path: "/cfg/k.conf", reader: InMemorySourceReader(["/cfg/k.conf": text]))
        #expect(r.configuration.vrrpInstances.first?.priority == 140, "\(r.diagnostics)")
        #expect(r.has("env-unset", line: 8, .warning), "\(r.diagnostics)")
    }

    /// What 2.4.3 added and Vigil does not implement: recognised, with keepalived's release
    /// in the warning, never "unknown keyword" (and the auth_hmac block's own keywords too).
    @Test func newerKeywordsAreRecognisedNotSupported() {
        let r = load("""
        global_defs {
            dbus_no_interface_name
            json_version 2
        }
        vrrp_instance VI_1 {
            interface eth0
            virtual_router_id 51
            virtual_ipaddress {
                192.0.2.100/24
            }
            owner_ignore_adverts
            auth_hmac {
                key 1 0123456789abcdef
                mode sha256
            }
        }
        bfd_instance b1 {
            neighbor_ip 192.0.2.12
            multihop
        }
        """)
        #expect(!r.diagnostics.contains { $0.id == "unknown-keyword" }, "\(r.diagnostics)")
        #expect(r.has("unsupported", line: 2, .warning) && r.has("unsupported", line: 3, .warning))
        #expect(r.has("unsupported", line: 11, .warning) && r.has("unsupported", line: 12, .warning))
        let delay = r.diagnostics.first { $0.location.line == 2 }
        #expect(delay?.message.contains("keepalived 2.3.0") == true, "\(String(describing: delay))")
        #expect(KeywordCatalog.entry("key", in: .authHMAC)?.since == "2.4.0")
        #expect(KeywordCatalog.entry("multihop", in: .bfdInstance)?.since == "2.2.8")
        #expect(KeywordCatalog.entry("vrrp_startup_delay", in: .globalDefs)?.since == nil, "2.2.7 knows it")
    }
}
