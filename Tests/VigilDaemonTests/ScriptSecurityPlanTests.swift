import Testing
import VRRP
import VigilConfig
@testable import VigilLinux
@testable import VigilDaemon
@testable import VigilPlan

/// `enable_script_security` covers every script the daemon runs: the VRRP side's and the
/// LVS side's (MISC_CHECK programs, real servers' notify_up/notify_down, a virtual
/// server's quorum_up/quorum_down), each refused with why.
@Suite struct ScriptSecurityPlanTests {
    @Test func theLVSScriptsAreCheckedLikeTheOthers() throws {
        // The files are the fake host's: a root-owned directory, five scripts anyone may
        // write and one only root may.
        let dir = "/etc/vigil"
        var files = StaticPlanningHost.rootTree
        files[dir] = ScriptFileStatus(kind: .directory, permissions: 0o755)
        for name in ["misc", "up", "down", "qup", "qdown", "safe"] {
            files["\(dir)/\(name)"] = ScriptFileStatus(kind: .regularFile, permissions: name == "safe" ? 0o755 : 0o777)
        }
        let host = StaticPlanningHost(interfaces: DynamicInterfaceTests.interfaces, files: files)
        let text = """
            global_defs {
                enable_script_security
            }
            vrrp_instance VI_1 {
                interface eth0
                virtual_router_id 51
                priority 100
                notify_master \(dir)/safe
                virtual_ipaddress {
                    192.0.2.100/24
                }
            }
            virtual_server 192.0.2.100 80 {
                protocol TCP
                quorum_up \(dir)/qup
                quorum_down \(dir)/qdown
                real_server 198.51.100.1 80 {
                    notify_up \(dir)/up
                    notify_down "\(dir)/down now"
                    MISC_CHECK {
                        misc_path "\(dir)/misc --quick"
                    }
                }
            }
            """
        let loaded = ConfigurationLoader.load(text: text)
        #expect(loaded.isValid, "\(loaded.diagnostics)")
        let plan = try DaemonPlan.make(loaded.configuration, host: host)
        for (command, file) in [("\(dir)/misc --quick", "misc"), ("\(dir)/up", "up"), ("\(dir)/down now", "down"),
                                ("\(dir)/qup", "qup"), ("\(dir)/qdown", "qdown")] {
            #expect(plan.refusedCommands[command] == "\(dir)/\(file) is writable by everyone: only root may be able to change it",
                    "\(command) is not refused")
        }
        #expect(plan.refusedCommands["\(dir)/safe"] == nil, "a safe script runs")
        #expect(plan.notes.contains { $0.hasPrefix("error: MISC_CHECK misc_path refused by enable_script_security") })
    }
}
