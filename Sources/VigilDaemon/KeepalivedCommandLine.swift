import VigilPlan

/// keepalived 2.2.7's command line, for Vigil invoked as `keepalived` (a symlink): the
/// units, scripts and exporters that run `keepalived -n -l -D -f FILE`, `keepalived -t`,
/// `keepalived --signum=JSON` or `keepalived -v` work unchanged.
///
/// Parsed as keepalived's getopt_long does: short options clustered (`-nlD`), an argument
/// attached or next (`-fFILE`, `-f FILE`), long options with `=` or the next word, an
/// optional argument only attached (`-tLOG`, `--config-test=LOG`). Each option
/// is honoured, or said: `notes` for what is accepted without an effect in Vigil (SNMP, a
/// syslog facility …), `errors` for what cannot be (an unknown option, a missing argument,
/// another network namespace).
public struct KeepalivedCommandLine: Equatable, Sendable {
    public enum Action: Equatable, Sendable {
        case run
        /// `-t[LOG]`: check the configuration and exit (keepalived's exit codes).
        case configTest(log: String?)
        case version
        case help
        /// `--signum=NAME`: print the signal's number.
        case signum(String)
    }

    public var action = Action.run
    /// keepalived's default configuration file.
    public var file = "/etc/keepalived/keepalived.conf"
    public var configID: String?
    /// keepalived's pid files: the parent's (`-p`, default /run/keepalived.pid), the VRRP
    /// and checker children's (`-r`, `-c`); Vigil is one process, so each holds its pid.
    public var pidFile = "/run/keepalived.pid"
    public var vrrpPIDFile: String?
    public var checkersPIDFile: String?
    public var logDetail = false
    /// `-P`: VRRP only, `-C`: checkers only.
    public var subsystems = PlanSource.Subsystems.all
    public var dontReleaseIPVS = false
    public var notes: [String] = []
    public var errors: [String] = []

    public init() {}

    private enum Argument { case none, required, optional }

    /// (short, long, argument): keepalived 2.2.7's options as Debian builds it.
    private static let options: [(Character?, String, Argument)] = [
        ("f", "use-file", .required), ("P", "vrrp", .none), ("C", "check", .none), ("B", "no_bfd", .none),
        (nil, "all", .none), ("l", "log-console", .none), ("D", "log-detail", .none), ("S", "log-facility", .required),
        ("G", "no-syslog", .none), ("g", "log-file", .optional), ("u", "umask", .required), ("X", "release-vips", .none),
        ("V", "dont-release-vrrp", .none), ("I", "dont-release-ipvs", .none), ("R", "dont-respawn", .none),
        ("n", "dont-fork", .none), ("d", "dump-conf", .none), ("p", "pid", .required), ("r", "vrrp_pid", .required),
        ("c", "checkers_pid", .required), ("b", "bfd_pid", .required), ("a", "address-monitoring", .none),
        ("x", "snmp", .none), ("A", "snmp-agent-socket", .required), ("s", "namespace", .required),
        ("m", "core-dump", .none), ("M", "core-dump-pattern", .optional), ("e", "all-config", .none),
        ("i", "config-id", .required), (nil, "signum", .required), ("t", "config-test", .optional),
        (nil, "config-fd", .required), ("v", "version", .none), ("h", "help", .none), ("T", "genhash", .none),
    ]

    /// The arguments after the program's name.
    public static func parse(_ arguments: [String]) -> KeepalivedCommandLine {
        var line = KeepalivedCommandLine()
        var unexpected: [String] = []
        var k = 0
        while k < arguments.count {
            let word = arguments[k]
            k += 1
            if word == "--" {
                unexpected += arguments[k...]
                break
            }
            if word.hasPrefix("--") {
                let body = word.dropFirst(2)
                let name = String(body.prefix { $0 != "=" })
                let attached = body.contains("=") ? String(body.drop { $0 != "=" }.dropFirst()) : nil
                guard let option = options.first(where: { $0.1 == name }) else {
                    line.errors.append("Unknown option --\(name)")
                    continue
                }
                var value = attached
                if value == nil, option.2 == .required {
                    if k < arguments.count { value = arguments[k]; k += 1 } else {
                        line.errors.append("Missing parameter for option --\(name)")
                        continue
                    }
                }
                line.apply(option.0, name, value)
            } else if word.hasPrefix("-"), word.count > 1 {
                var rest = Substring(word.dropFirst())
                while let c = rest.first {
                    rest = rest.dropFirst()
                    guard let option = options.first(where: { $0.0 == c }) else {
                        line.errors.append("Unknown option -\(c)")
                        continue
                    }
                    var value: String?
                    switch option.2 {
                    case .none:
                        break
                    case .optional:
                        value = rest.isEmpty ? nil : String(rest)
                        rest = ""
                    case .required:
                        if !rest.isEmpty {
                            value = String(rest)
                            rest = ""
                        } else if k < arguments.count {
                            value = arguments[k]
                            k += 1
                        } else {
                            line.errors.append("Missing parameter for option -\(c)")
                            continue
                        }
                    }
                    line.apply(c, option.1, value)
                }
            } else {
                unexpected.append(word)
            }
        }
        if !unexpected.isEmpty { line.notes.append("Unexpected argument(s): \(unexpected.joined(separator: " ")) (ignored, as keepalived does)") }
        return line
    }

    private mutating func apply(_ short: Character?, _ long: String, _ value: String?) {
        let spelled = short.map { "-\($0)" } ?? "--\(long)"
        switch long {
        case "use-file": file = value ?? file
        case "vrrp": subsystems = .vrrpOnly
        case "check": subsystems = .checkersOnly
        case "log-detail": logDetail = true
        case "dont-release-ipvs": dontReleaseIPVS = true
        case "pid": pidFile = value ?? pidFile
        case "vrrp_pid": vrrpPIDFile = value
        case "checkers_pid": checkersPIDFile = value
        case "config-id": configID = value
        case "signum": if action == .run { action = .signum(value ?? "") }
        case "config-test": action = .configTest(log: value)
        case "version": action = .version
        case "help": action = .help
        // What Vigil always does: in the foreground, logging to stderr (the journal under
        // systemd), no BFD child to skip, nothing to respawn, every include required.
        case "dont-fork", "log-console", "no-syslog", "no_bfd", "dont-respawn", "all", "all-config", "config-fd":
            break
        case "log-facility":
            notes.append("\(spelled) \(value ?? ""): Vigil logs to stderr (the journal under systemd), not to a syslog facility")
        case "snmp", "snmp-agent-socket":
            notes.append("\(spelled): SNMP is not supported by Vigil (its metrics: metrics_listen)")
        case "release-vips":
            notes.append("\(spelled): not supported; a master leaving on a signal hands over (make-before-break)")
        case "dont-release-vrrp":
            notes.append("\(spelled): not supported; Vigil removes its VIPs when it stops")
        case "dump-conf":
            notes.append("\(spelled): not supported here; `vigil check --dump` prints the effective configuration")
        case "address-monitoring", "core-dump", "core-dump-pattern", "umask", "bfd_pid":
            notes.append("\(spelled): accepted, no effect in Vigil")
        case "log-file":
            errors.append("-g requires configure option --enable-log-file")
        case "namespace":
            errors.append("\(spelled) \(value ?? ""): not supported; start Vigil in the namespace (ip netns exec)")
        case "genhash":
            errors.append("\(spelled): use `vigil genhash`")
        default:
            errors.append("Unknown option \(spelled)")
        }
    }

    /// keepalived's `-t` exit status for a configuration check: 0 clean, 4 the file cannot
    /// be read, 5 errors or warnings in it (keepalived counts a warning, an unknown keyword
    /// or a missing parameter as 5 too; so does Vigil, whose warnings mean something
    /// configured will not be done). keepalived exits 0 on a missing file unless `-e`;
    /// Vigil answers as `-e` does, since a check that passes on no file helps no caller.
    /// (keepalived's 6, scripts without `enable_script_security`, is a warning here.)
    public static func configTestStatus(diagnostics: Int, unreadable: Bool) -> Int32 {
        if unreadable { return 4 }
        return diagnostics > 0 ? 5 : 0
    }

    /// keepalived's `--signum` names (STOP, RELOAD, DATA, STATS, STATS_CLEAR, JSON) and
    /// their numbers here.
    public static func signalNumber(named name: String) -> Int32? { DaemonSignal.number(named: name) }
}
