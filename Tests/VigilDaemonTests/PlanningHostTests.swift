#if canImport(Glibc)
import Glibc
#endif
import Testing
import VRRP
import VigilConfig
import VigilTypes
@testable import VigilLinux
@testable import VigilPlan

/// Planning asks the host only through `PlanningHost`: users, the scripts' files and the
/// daemon's uid come from a table here, so each of these runs the same on any machine,
/// as any user, and proves what the plan makes of those facts.
@Suite struct PlanningHostTests {
    static let eth0 = InterfaceTable(interfaces: [
        "eth0": .init(name: "eth0", index: 2, isUp: true, isRunning: true, addresses: [[192, 0, 2, 11]],
                      primaryIPv4: [192, 0, 2, 11]),
    ])
    static let vigil = ScriptCredentials(user: "vigil", uid: 1000, gid: 1000, groups: [1000], home: "/var/lib/vigil")
    static let network = Capability.netAdmin.bit | Capability.netRaw.bit

    /// The root tree plus /usr/libexec/vigil (root's, 0755) holding `check` (0755).
    static func files(directory: mode_t = 0o755, check: ScriptFileStatus = .init(kind: .regularFile, permissions: 0o755))
        -> [String: ScriptFileStatus] {
        var files = StaticPlanningHost.rootTree
        files["/usr/libexec/vigil"] = ScriptFileStatus(kind: .directory, permissions: directory)
        files["/usr/libexec/vigil/check"] = check
        return files
    }

    static func host(interfaces: InterfaceTable = PlanningHostTests.eth0, users: [ScriptCredentials] = [PlanningHostTests.vigil],
                     files: [String: ScriptFileStatus] = PlanningHostTests.files(), daemonUID: uid_t = 0) -> StaticPlanningHost {
        StaticPlanningHost(interfaces: interfaces,
                           users: Dictionary(([.root] + users).map { ($0.user, $0) }, uniquingKeysWith: { a, _ in a }),
                           groups: ["root": 0, "vigil": 1000], files: files, daemonUID: daemonUID)
    }

    /// One instance on eth0 tracking `chk`, which runs /usr/libexec/vigil/check.
    static func text(globals: [String] = [], scriptUser: String? = nil, extra: String = "") -> String {
        """
        global_defs {
        \(globals.map { "    \($0)\n" }.joined())}
        vrrp_script chk {
            script "/usr/libexec/vigil/check --quick"
            interval 2
        \(scriptUser.map { "    user \($0)\n" } ?? "")}
        vrrp_instance VI_1 {
            interface eth0
            virtual_router_id 51
            priority 100
            virtual_ipaddress {
                192.0.2.100/24
            }
            track_script {
                chk
            }
        }
        \(extra)
        """
    }

    static func configuration(_ text: String) -> Configuration {
        let result = ConfigurationLoader.load(text: text)
        #expect(result.isValid, "\(result.diagnostics)")
        return result.configuration
    }

    static func problem(_ text: String, on host: StaticPlanningHost) -> InstancePlan.Problem? {
        do throws(InstancePlan.Problem) { _ = try DaemonPlan.make(configuration(text), host: host) } catch { return error }
        return nil
    }

    @Test func aScriptUserThatDoesNotExistStopsThePlanWhereItIsNamed() throws {
        // global_defs' script_user: said at the first instance (the plan's first use of it).
        let global = try #require(Self.problem(Self.text(globals: ["script_user ghost"]), on: Self.host()))
        #expect(global.message == "script_user: script user 'ghost' does not exist on this host")
        #expect(global.location.line == 8, "the first vrrp_instance's line: \(global.location)")
        // A vrrp_script's own user: said at the vrrp_script.
        let own = try #require(Self.problem(Self.text(scriptUser: "ghost"), on: Self.host()))
        #expect(own.description.hasSuffix("error: vrrp_script chk: script user 'ghost' does not exist on this host"))
        #expect(own.location.line == 3)
        // A group that does not exist, the same way.
        let group = try #require(Self.problem(Self.text(scriptUser: "vigil nogroup"), on: Self.host()))
        #expect(group.message == "vrrp_script chk: script group 'nogroup' does not exist on this host")
        // The user there: the script runs as it.
        let plan = try DaemonPlan.make(Self.configuration(Self.text(scriptUser: "vigil")), host: Self.host())
        #expect(plan.scripts.map(\.user) == [Self.vigil])
        #expect(plan.scriptUser == .root)
    }

    @Test func scriptSecurityRefusesAScriptInAWorldWritableDirectory() throws {
        let config = Self.configuration(Self.text(globals: ["enable_script_security"]))
        let safe = try DaemonPlan.make(config, host: Self.host())
        #expect(safe.refusedCommands.isEmpty)
        #expect(safe.scripts.map(\.name) == ["chk"])
        #expect(safe.instances[0].router.tracked.contains { $0.kind == .script && $0.name == "chk" })

        let open = try DaemonPlan.make(config, host: Self.host(files: Self.files(directory: 0o777)))
        let why = "/usr/libexec/vigil is writable by everyone: only root may be able to change it"
        #expect(open.refusedCommands == ["/usr/libexec/vigil/check --quick": why])
        #expect(open.notes.contains("error: vrrp_script chk refused by enable_script_security: \(why); it will not run"))
        #expect(open.scripts.isEmpty, "a refused script never runs")
        #expect(!open.instances[0].router.tracked.contains { $0.kind == .script }, "nor is it tracked")

        // Sticky, as /tmp: others may write it, not replace the script.
        let sticky = try DaemonPlan.make(config, host: Self.host(files: Self.files(directory: 0o1777)))
        #expect(sticky.refusedCommands.isEmpty)
        // A script owned by its (non-root) user is that user's to change: allowed for it,
        // refused when it runs as root.
        let owned = Self.files(check: .init(kind: .regularFile, owner: 1000, group: 1000, permissions: 0o755))
        let asVigil = Self.configuration(Self.text(globals: ["enable_script_security"], scriptUser: "vigil"))
        #expect(try DaemonPlan.make(asVigil, host: Self.host(files: owned)).refusedCommands.isEmpty)
        #expect(try DaemonPlan.make(config, host: Self.host(files: owned)).refusedCommands["/usr/libexec/vigil/check --quick"]
            == "/usr/libexec/vigil/check is owned by uid 1000, not root: that user could change what runs")
        // A program that is not there.
        let missing = try DaemonPlan.make(config, host: Self.host(files: StaticPlanningHost.rootTree))
        #expect(missing.refusedCommands["/usr/libexec/vigil/check --quick"] == "/usr/libexec/vigil/check: No such file or directory")
    }

    @Test func aMiscCheckUserComesFromTheHostAndItsScriptIsJudgedAsIt() throws {
        let misc = """
            virtual_server 192.0.2.100 80 {
                protocol TCP
                real_server 198.51.100.1 80 {
                    MISC_CHECK {
                        misc_path "/usr/libexec/vigil/check --misc"
                        user vigil
                    }
                }
            }
            """
        let config = Self.configuration(Self.text(globals: ["enable_script_security"], extra: misc))
        let owned = Self.files(check: .init(kind: .regularFile, owner: 1000, group: 1000, permissions: 0o755))
        let plan = try DaemonPlan.make(config, host: Self.host(files: owned))
        #expect(plan.miscCheckUsers == [Self.vigil])
        // Its own file is fine for the checker's user; the vrrp_script, as root, is refused.
        #expect(plan.refusedCommands["/usr/libexec/vigil/check --misc"] == nil)
        #expect(plan.refusedCommands["/usr/libexec/vigil/check --quick"] != nil)
        let message = try #require(plan.missingCapabilities(effective: Self.network))
        #expect(message.contains("CAP_SETUID CAP_SETGID CAP_KILL (needed for scripts run as vigil)"))

        // On a host without that user the checker says so when it starts; the plan judges
        // its program as the script user and needs no capability for it.
        let elsewhere = try DaemonPlan.make(config, host: Self.host(users: [], files: owned))
        #expect(elsewhere.miscCheckUsers.isEmpty)
        #expect(elsewhere.refusedCommands["/usr/libexec/vigil/check --misc"]
            == "/usr/libexec/vigil/check is owned by uid 1000, not root: that user could change what runs")
        #expect(elsewhere.missingCapabilities(effective: Self.network) == nil)
    }

    @Test func aDaemonThatIsNotRootNeedsTheCapabilitiesToRunScriptsAsRoot() throws {
        let config = Self.configuration(Self.text())
        let asRoot = try DaemonPlan.make(config, host: Self.host())
        #expect(asRoot.daemonUID == 0)
        #expect(asRoot.missingCapabilities(effective: Self.network) == nil)
        #expect(asRoot.requiredCapabilities(miscUsers: []).map(\.0) == [.netRaw, .netAdmin])

        // Started as uid 1000: the scripts still run as root (no script_user), another user.
        let unprivileged = try DaemonPlan.make(config, host: Self.host(daemonUID: 1000))
        #expect(unprivileged.daemonUID == 1000)
        #expect(unprivileged.requiredCapabilities(miscUsers: []).map(\.0) == [.netRaw, .netAdmin, .setuid, .setgid, .kill])
        let message = try #require(unprivileged.missingCapabilities(effective: Self.network))
        #expect(message.hasPrefix("missing capabilities CAP_SETUID CAP_SETGID CAP_KILL (needed for scripts run as root)"))
        // …unless they run as the daemon's own user.
        let own = try DaemonPlan.make(Self.configuration(Self.text(globals: ["script_user vigil"])), host: Self.host(daemonUID: 1000))
        #expect(own.missingCapabilities(effective: Self.network) == nil)
    }

    @Test func thePlanDependsOnlyOnTheConfigurationAndTheFacts() throws {
        let config = Self.configuration(Self.text(globals: ["enable_script_security", "script_user vigil"]))
        let here = Self.host()
        let there = Self.host(interfaces: InterfaceTable(interfaces: [
            "eth0": .init(name: "eth0", index: 9, isUp: true, isRunning: true, addresses: [[192, 0, 2, 12]],
                          primaryIPv4: [192, 0, 2, 12]),
        ]), users: [ScriptCredentials(user: "vigil", uid: 2000, gid: 2000, groups: [2000])],
            files: Self.files(directory: 0o777), daemonUID: 2000)

        // The same facts, the same plan, every time.
        let a = try DaemonPlan.make(config, host: here)
        #expect(PlanFingerprint(a) == PlanFingerprint(try DaemonPlan.make(config, host: here)))
        #expect(PlanFingerprint(a) == PlanFingerprint(try DaemonPlan.make(config, host: Self.host())))
        let b = try DaemonPlan.make(config, host: there)
        #expect(PlanFingerprint(b) == PlanFingerprint(try DaemonPlan.make(config, host: there)))

        // Other facts: exactly the differences they explain.
        #expect(a.instances[0].interface.index == 2 && b.instances[0].interface.index == 9)
        #expect(a.instances[0].router.primaryAddress == .v4(IPv4Address(bytes: [192, 0, 2, 11])))
        #expect(b.instances[0].router.primaryAddress == .v4(IPv4Address(bytes: [192, 0, 2, 12])))
        #expect(a.instances[0].trackedInterfaces == [2: "eth0"] && b.instances[0].trackedInterfaces == [9: "eth0"])
        #expect(a.scriptUser.uid == 1000 && b.scriptUser.uid == 2000)
        #expect(a.refusedCommands.isEmpty && b.refusedCommands.count == 1)
        #expect(a.scripts.count == 1 && b.scripts.isEmpty)
        #expect(a.daemonUID == 0 && b.daemonUID == 2000)
        // Scripts as vigil: root must switch to it, vigil itself need not.
        #expect(a.missingCapabilities(effective: Self.network) != nil)
        #expect(b.missingCapabilities(effective: Self.network) == nil)
        // The rest is the configuration's, the same on both.
        #expect(a.instances[0].router.virtualAddresses == b.instances[0].router.virtualAddresses)
        #expect(a.instances[0].addresses.map(\.address) == b.instances[0].addresses.map(\.address))
        #expect(a.notes.filter { !$0.contains("refused") } == b.notes.filter { !$0.contains("refused") })
    }

    @Test func theFakesFilesFollowTheKernelsRule() {
        // The rule is ScriptSecurity's own: what it says of a table is what it says of disk.
        let host = Self.host(files: Self.files(check: .init(kind: .regularFile, group: 100, permissions: 0o775)))
        #expect(host.scriptProblem("/usr/libexec/vigil/check", runningAs: .root)?.description
            == "/usr/libexec/vigil/check is writable by group 100: only root may be able to change it")
        #expect(host.scriptProblem("true", runningAs: .root) == nil, "found in PATH: /bin/true")
        #expect(host.scriptProblem("no-such-program", runningAs: .root)?.description
            == "cannot find the program of 'no-such-program'")
    }
}
