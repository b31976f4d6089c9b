import ArgumentParser
import VigilConfig
import VigilDaemon
import VigilLinux
#if canImport(Glibc)
import Glibc
#endif

/// Vigil invoked as `keepalived` (a symlink): keepalived's command line
/// (`KeepalivedCommandLine`) on Vigil's commands, so a unit's `ExecStart=keepalived -n -l
/// -D`, a deploy script's `keepalived -t -f FILE` and an exporter's `keepalived -v` /
/// `--signum=JSON` work unchanged.
enum KeepalivedMode {
    static func main(_ arguments: [String]) -> Never {
        let line = KeepalivedCommandLine.parse(arguments)
        for error in line.errors { StandardError.write(error + "\n") }
        guard line.errors.isEmpty else { exit(1) }
        switch line.action {
        case .version:
            // keepalived writes these to stderr; exporters read the version from the first
            // line's second word, and JSON support from "--enable-json".
            StandardError.write("""
            Keepalived v2.2.7 (vigil \(BuildInfo.version))

            Vigil answers keepalived's command line, signals and dump files.
            Compatible with keepalived 2.2.7's configure options: --enable-json

            """)
            exit(0)
        case .help:
            StandardError.write(help)
            exit(0)
        case let .signum(name):
            guard let number = KeepalivedCommandLine.signalNumber(named: name) else {
                StandardError.write("Unknown sigfunc \(name)\n")
                exit(1)
            }
            print(number)
            exit(0)
        case let .configTest(log):
            exit(configTest(line, log: log))
        case .run:
            for note in line.notes { StandardError.write(DaemonLogHandler.linePrefix(.warning) + "keepalived option \(note)\n") }
            let options = RunOptions(file: line.file, configID: line.configID, pidFile: line.pidFile, logDetail: line.logDetail,
                                     dontReleaseIPVS: line.dontReleaseIPVS, subsystems: line.subsystems,
                                     alsoPIDFiles: [line.vrrpPIDFile, line.checkersPIDFile].compactMap { $0 })
            do {
                try Run.start(options)
                exit(0)
            } catch {
                Run.exit(withError: error)
            }
        }
    }

    /// `keepalived -t`: the configuration checked as `vigil check --host` checks it (this
    /// host's interfaces), each diagnostic on stderr (or appended to LOG), keepalived's exit
    /// status.
    static func configTest(_ line: KeepalivedCommandLine, log: String?) -> Int32 {
        var out = ""
        let status: Int32
        do {
            let facts = try? KernelHostFacts.current()
            let options = ConfigurationLoader.Options(configID: line.configID ?? defaultConfigID(), host: facts, strictHost: facts != nil)
            let result = try ConfigurationLoader.load(path: line.file, options: options)
            for d in result.diagnostics { out += "\(d)\n" }
            out += ConfigurationReport(result).summary + "\n"
            status = KeepalivedCommandLine.configTestStatus(diagnostics: result.diagnostics.count, unreadable: false)
        } catch {
            out += "Config files missing '\(line.file)': \(error)\n"
            status = KeepalivedCommandLine.configTestStatus(diagnostics: 1, unreadable: true)
        }
        if let log {
            let fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                StandardError.write("Unable to open config-test log file \(log) \(errno) - \(String(cString: strerror(errno)))\n")
                return 1
            }
            var bytes = Array(out.utf8)
            _ = bytes.withUnsafeMutableBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            close(fd)
        } else {
            StandardError.write(out)
        }
        return status
    }

    static let help = """
    Usage: keepalived [OPTION...]   (Vigil, answering keepalived 2.2.7's command line)
      -f, --use-file=FILE          Use the specified configuration file
      -P, --vrrp                   Only run the VRRP instances
      -C, --check                  Only run the virtual servers and their checkers
      -l, --log-console            Log to the console (Vigil always logs to stderr)
      -D, --log-detail             Detailed log messages
      -S, --log-facility=[0-7]     Accepted; Vigil logs to stderr (the journal under systemd)
      -I, --dont-release-ipvs      Don't remove IPVS topology on daemon stop
      -n, --dont-fork              Don't fork the daemon process (Vigil never forks)
      -p, --pid=FILE               Use the specified pidfile for the parent process
      -r, --vrrp_pid=FILE          Also write the pid here (Vigil is one process)
      -c, --checkers_pid=FILE      Also write the pid here (Vigil is one process)
      -i, --config-id id           Skip any configuration lines beginning '@' that don't match id
      -t, --config-test[=LOG_FILE] Check the configuration for obvious errors, output to
                                   stderr by default
          --signum=SIGFUNC         Return signal number for STOP, RELOAD, DATA, STATS,
                                   STATS_CLEAR, JSON
      -v, --version                Display the version number
      -h, --help                   Display this help message
    Also accepted: -G -R -B --all -e (what Vigil always does); -x -A -X -V -d -a -m -M -u -b
    (said at start, no effect in Vigil). Not supported: -s (start Vigil in the namespace),
    -g, -T (use vigil genhash).

    """
}
