import Glibc
import Testing
@testable import VigilLinux

/// keepalived's track_process matching: an exact name (not a pattern like pgrep), or the
/// command line with exact / partial / initial parameter matching.
@Suite struct ProcessPatternTests {
    static func process(_ name: String, _ args: [String]) -> ProcessTable.Process {
        ProcessTable.Process(pid: 1, name: name, arguments: args)
    }

    @Test func byNameIsExact() {
        let ssh = ProcessPattern(command: "ssh")
        #expect(ssh.matches(Self.process("ssh", [])))
        #expect(!ssh.matches(Self.process("sshd", [])), "unlike pgrep ssh")
        // The kernel keeps 15 characters of a name.
        let long = ProcessPattern(command: "a-very-long-daemon-name")
        #expect(long.matches(Self.process("a-very-long-dae", [])))
    }

    @Test func parametersMatchExactlyPartlyOrByPrefix() {
        let nginx = Self.process("nginx", ["/usr/sbin/nginx", "-c", "/etc/nginx/site.conf"])
        #expect(ProcessPattern(command: "/usr/sbin/nginx", parameters: ["-c", "/etc/nginx/site.conf"]).matches(nginx))
        #expect(!ProcessPattern(command: "/usr/sbin/nginx", parameters: ["-c"]).matches(nginx), "exact: all parameters")
        #expect(ProcessPattern(command: "/usr/sbin/nginx", parameters: ["-c"], parameterMatch: .partial).matches(nginx))
        #expect(ProcessPattern(command: "/usr/sbin/nginx", parameters: ["-c", "/etc/nginx/"], parameterMatch: .initial).matches(nginx))
        #expect(!ProcessPattern(command: "/usr/sbin/nginx", parameters: ["-d", "/etc/nginx/"], parameterMatch: .initial).matches(nginx))
        #expect(!ProcessPattern(command: "nginx", parameters: ["-c", "/etc/nginx/site.conf"]).matches(nginx), "argv[0] as written")
        // param_match without parameters: the command must have none.
        #expect(!ProcessPattern(command: "/usr/sbin/nginx", parameterMatch: .exact).matches(nginx))
        #expect(ProcessPattern(command: "/usr/sbin/nginx", parameterMatch: .exact).matches(Self.process("nginx", ["/usr/sbin/nginx"])))
    }

    /// This very test process is found by a real scan of /proc.
    @Test func aScanFindsThisProcess() {
        let me = ProcessTable.scan(withArguments: true).first { $0.pid == getpid() }
        #expect(me != nil)
        #expect(me?.arguments.isEmpty == false)
    }
}
