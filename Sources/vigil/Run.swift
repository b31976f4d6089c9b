import ArgumentParser
import Logging
import VigilConfig
import VigilDaemon
import VigilPlan
import VigilLinux
#if canImport(Glibc)
import Glibc
#endif

/// `vigil run`: the daemon in the foreground (systemd runs it so), logging to stderr.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the VRRP instances of a configuration in the foreground.",
        discussion: "Refuses to start (exit 2) without CAP_NET_ADMIN and CAP_NET_RAW, or while another vigil runs in the same network namespace; (exit 1) on a configuration `vigil check --host` rejects. SIGTERM or SIGINT: the master sends priority 0, keeps its VIPs until the new master is heard (make-before-break, 5 s at most; a second signal ends the wait), removes them and exits 0."
    )

    @Option(name: RunOption.file.names, help: "The configuration file.")
    var file = RunOptions().file

    @Option(name: RunOption.configID.names, help: "Select '@ID' lines (default: the short host name).")
    var configID: String?

    @Option(name: RunOption.pidFile.names, help: "Write the daemon's PID here (removed on exit).")
    var pidFile: String?

    @Flag(name: RunOption.logDetail.names, help: "Log at debug level.")
    var logDetail = false

    @Flag(name: RunOption.dontReleaseIPVS.names,
          help: "Leave the IPVS virtual services in the kernel at exit (keepalived's --dont-release-ipvs).")
    var dontReleaseIPVS = false

    @Option(name: RunOption.controlSocket.names, help: "The control socket for vigil status/reload/drain (empty: none).")
    var controlSocket = RunOptions().controlSocket

    /// keepalived's -P / -C when invoked as keepalived: only the VRRP instances, or only
    /// the virtual servers.
    @Option(name: RunOption.only.names, help: .hidden)
    var only: String?

    /// keepalived's -r / -c pid files: Vigil is one process, each holds its pid.
    @Option(name: RunOption.alsoPIDFile.names, help: .hidden)
    var alsoPIDFiles: [String] = []

    /// What ArgumentParser read, as values.
    var options: RunOptions {
        RunOptions(file: file, configID: configID, pidFile: pidFile, logDetail: logDetail, dontReleaseIPVS: dontReleaseIPVS,
                   controlSocket: controlSocket, subsystems: RunOptions.subsystems(only: only), alsoPIDFiles: alsoPIDFiles)
    }

    mutating func run() throws {
        try Self.start(options)
    }

    /// The daemon, from its options (read by ArgumentParser, by `RunOptions(plainArguments:)`
    /// or from keepalived's command line), until it stops.
    static func start(_ options: RunOptions) throws {
        var source = PlanSource(file: options.file, configID: options.configID)
        source.releaseIPVSAtExit = !options.dontReleaseIPVS
        source.subsystems = options.subsystems
        let loaded: PlanSource.Loaded
        switch source.load() {
        case let .success(l): loaded = l
        case let .failure(refusal):
            for line in refusal.lines {
                StandardError.write(DaemonLogHandler.linePrefix(line.contains(": warning:") ? .warning : .error) + line + "\n")
            }
            throw ExitCode(refusal.lines.count == 1 && refusal.lines[0].hasPrefix("cannot") ? 2 : 1)
        }
        for line in loaded.warnings { StandardError.write(DaemonLogHandler.linePrefix(.warning) + line + "\n") }
        let plan = loaded.plan
        // Before anything is touched: the credentials, then one daemon per network stack.
        if let missing = plan.missingCapabilities() {
            StandardError.write(DaemonLogHandler.linePrefix(.error) + "vigil: \(missing)\n")
            throw ExitCode(2)
        }
        let lock: InstanceLock
        do { lock = try InstanceLock() } catch {
            StandardError.write(DaemonLogHandler.linePrefix(.error) + "vigil: \(error)\n")
            throw ExitCode(2)
        }
        defer { withExtendedLifetime(lock) {} }
        let detail = options.logDetail
        LoggingSystem.bootstrap { _ in
            var handler = DaemonLogHandler()
            handler.logLevel = detail ? .debug : .info
            return handler
        }
        let logger = Logger(label: "vigil")
        let pidFiles = (options.pidFile.map { [$0] } ?? []) + options.alsoPIDFiles
        for path in pidFiles {
            do { try PIDFile.write(path) } catch {
                StandardError.write(DaemonLogHandler.linePrefix(.error) + "vigil: cannot write the pid file \(path): \(error)\n")
                for written in pidFiles.prefix(while: { $0 != path }) { unlink(written) }
                throw ExitCode(2)
            }
        }
        defer { for path in pidFiles { unlink(path) } }
        let daemon: Daemon
        do {
            daemon = try Daemon(plan: plan, logger: logger, source: source, configuration: loaded.configuration,
                                controlSocket: options.controlSocket.isEmpty ? nil : ControlPath.prepare(options.controlSocket))
        } catch {
            logger.critical("cannot start: \(error)")
            throw ExitCode(1)
        }
        logger.info("started \(plan.instances.count) VRRP instance(s) from \(options.file)")
        daemon.run()
        logger.info("stopped")
    }
}
