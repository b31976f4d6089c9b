import ArgumentParser
import Logging
import VigilConfig
import VigilDaemon
import VigilLinux
#if canImport(Glibc)
import Glibc
#endif

/// `vigil run`: the daemon in the foreground (systemd runs it so), logging to stderr.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the VRRP instances of a configuration in the foreground.",
        discussion: "Refuses to start on a configuration `vigil check --host` rejects. SIGTERM or SIGINT: the master sends priority 0, removes its VIPs and exits 0."
    )

    @Option(name: [.customShort("f"), .customLong("file")], help: "The configuration file.")
    var file = "/etc/vigil/vigil.conf"

    @Option(name: [.customShort("i"), .customLong("config-id")], help: "Select '@ID' lines (default: the short host name).")
    var configID: String?

    @Option(name: .customLong("pid-file"), help: "Write the daemon's PID here (removed on exit).")
    var pidFile: String?

    @Flag(name: .customLong("log-detail"), help: "Log at debug level.")
    var logDetail = false

    @Flag(name: [.customShort("I"), .customLong("dont-release-ipvs")],
          help: "Leave the IPVS virtual services in the kernel at exit (keepalived's --dont-release-ipvs).")
    var dontReleaseIPVS = false

    mutating func run() throws {
        let table: InterfaceTable
        do { table = try InterfaceTable.read() } catch {
            FileHandleStderr.write("vigil: cannot read this host's interfaces: \(error)\n")
            throw ExitCode(2)
        }
        let options = ConfigurationLoader.Options(configID: configID ?? defaultConfigID(),
                                                  host: KernelHostFacts(table: table), strictHost: true)
        let result: ConfigurationLoader.Result
        do { result = try ConfigurationLoader.load(path: file, options: options) } catch {
            FileHandleStderr.write("vigil: \(error)\n")
            throw ExitCode(2)
        }
        if !result.isValid {
            FileHandleStderr.write(ConfigurationReport(result).text)
            throw ExitCode(1)
        }
        for d in result.diagnostics { FileHandleStderr.write("\(d)\n") }
        var plan: DaemonPlan
        do { plan = try DaemonPlan.make(result.configuration, interfaces: table) } catch {
            FileHandleStderr.write("\(error)\n")
            throw ExitCode(1)
        }
        plan.lvs.releaseAtExit = !dontReleaseIPVS
        let detail = logDetail
        LoggingSystem.bootstrap { _ in
            var handler = DaemonLogHandler()
            handler.logLevel = detail ? .debug : .info
            return handler
        }
        let logger = Logger(label: "vigil")
        if let pidFile {
            let text = "\(getpid())\n"
            guard let f = fopen(pidFile, "w") else {
                FileHandleStderr.write("vigil: cannot write \(pidFile)\n")
                throw ExitCode(2)
            }
            fputs(text, f)
            fclose(f)
        }
        defer { if let pidFile { unlink(pidFile) } }
        let daemon: Daemon
        do { daemon = try Daemon(plan: plan, logger: logger) } catch {
            logger.critical("cannot start: \(error)")
            throw ExitCode(1)
        }
        logger.info("started \(plan.instances.count) VRRP instance(s) from \(file)")
        daemon.run()
        logger.info("stopped")
    }
}
