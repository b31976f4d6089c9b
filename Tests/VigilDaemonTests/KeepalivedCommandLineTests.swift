import Testing
@testable import VigilDaemon
import VigilPlan

/// keepalived's command line as getopt_long reads it, and what each option becomes.
@Suite struct KeepalivedCommandLineTests {
    @Test func debiansUnitLineRunsTheDaemon() {
        let line = KeepalivedCommandLine.parse(["--dont-fork", "-l", "-D", "-S", "7"])
        #expect(line.action == .run && line.errors.isEmpty)
        #expect(line.file == "/etc/keepalived/keepalived.conf" && line.pidFile == "/run/keepalived.pid")
        #expect(line.logDetail)
        #expect(line.notes == ["-S 7: Vigil logs to stderr (the journal under systemd), not to a syslog facility"])
    }

    @Test func clustersAttachedAndSeparateArguments() {
        let line = KeepalivedCommandLine.parse(["-nlDf/etc/k.conf", "-p", "/run/k.pid", "--vrrp_pid=/run/v.pid",
                                                "--checkers_pid", "/run/c.pid", "-iLB1", "-P", "-I"])
        #expect(line.errors.isEmpty, "\(line.errors)")
        #expect(line.file == "/etc/k.conf" && line.pidFile == "/run/k.pid" && line.configID == "LB1")
        #expect(line.vrrpPIDFile == "/run/v.pid" && line.checkersPIDFile == "/run/c.pid")
        #expect(line.subsystems == .vrrpOnly && line.dontReleaseIPVS && line.logDetail)
        #expect(KeepalivedCommandLine.parse(["-C"]).subsystems == .checkersOnly)
    }

    @Test func theOtherActions() {
        #expect(KeepalivedCommandLine.parse(["-t", "-f", "x.conf"]).action == .configTest(log: nil))
        #expect(KeepalivedCommandLine.parse(["-t/tmp/t.log"]).action == .configTest(log: "/tmp/t.log"))
        #expect(KeepalivedCommandLine.parse(["--config-test=/tmp/t.log"]).action == .configTest(log: "/tmp/t.log"))
        #expect(KeepalivedCommandLine.parse(["--signum=JSON"]).action == .signum("JSON"))
        #expect(KeepalivedCommandLine.parse(["-v"]).action == .version)
        #expect(KeepalivedCommandLine.parse(["--help"]).action == .help)
    }

    @Test func whatCannotBeDoneIsAnErrorAndWhatHasNoEffectIsSaid() {
        #expect(KeepalivedCommandLine.parse(["-z"]).errors == ["Unknown option -z"])
        #expect(KeepalivedCommandLine.parse(["--frobnicate"]).errors == ["Unknown option --frobnicate"])
        #expect(KeepalivedCommandLine.parse(["-f"]).errors == ["Missing parameter for option -f"])
        #expect(KeepalivedCommandLine.parse(["--use-file"]).errors == ["Missing parameter for option --use-file"])
        #expect(KeepalivedCommandLine.parse(["-s", "blue"]).errors.first?.contains("not supported") == true)
        #expect(KeepalivedCommandLine.parse(["-g"]).errors == ["-g requires configure option --enable-log-file"])
        let snmp = KeepalivedCommandLine.parse(["-x", "-X", "extra"])
        #expect(snmp.errors.isEmpty && snmp.notes.count == 3, "\(snmp.notes)")
        #expect(snmp.notes.last == "Unexpected argument(s): extra (ignored, as keepalived does)")
    }

    @Test func configTestStatusAsKeepalivedsButAMissingFileFails() {
        #expect(KeepalivedCommandLine.configTestStatus(diagnostics: 0, unreadable: false) == 0)
        #expect(KeepalivedCommandLine.configTestStatus(diagnostics: 2, unreadable: false) == 5)
        #expect(KeepalivedCommandLine.configTestStatus(diagnostics: 1, unreadable: true) == 4)
        #expect(KeepalivedCommandLine.signalNumber(named: "DATA") == 10 && KeepalivedCommandLine.signalNumber(named: "TDATA") == nil)
    }
}
