import VigilConfig
import VigilLinux

/// Where `vigil run` gets its plan, at start and at each reload: the configuration file
/// read, checked as `vigil check --host` checks it against this host's interfaces, and
/// made concrete. A reload asks again; a refusal leaves the running plan alone. Here the
/// part that asks a `PlanningHost`; the one that asks this host is in VigilDaemon.
public struct PlanSource: Sendable {
    public var file: String
    public var configID: String?
    /// `--dont-release-ipvs`, carried into every plan.
    public var releaseIPVSAtExit = true
    /// Which parts of the configuration run (keepalived's `-P` and `-C`), in every plan.
    public var subsystems = Subsystems.all

    /// keepalived's subsystems: `-P` runs the VRRP instances only, `-C` the virtual
    /// servers and their checkers only.
    public enum Subsystems: Equatable, Sendable {
        case all, vrrpOnly, checkersOnly
    }

    public init(file: String, configID: String?) {
        self.file = file
        self.configID = configID
    }

    /// Why no plan came out: what to print or log, one diagnostic per line (with
    /// `file:line:col`), and the number of errors.
    public struct Refusal: Error, CustomStringConvertible {
        public var lines: [String]
        public var errorCount: Int
        public var description: String { lines.joined(separator: "\n") }

        public init(lines: [String], errorCount: Int) {
            self.lines = lines
            self.errorCount = errorCount
        }
    }

    public struct Loaded: Sendable {
        public var plan: DaemonPlan
        /// What the plan was made from: planned again, without reading the file, when an
        /// interface appears or goes (`replan`).
        public var configuration: Configuration
        /// Warnings to log (the configuration is valid).
        public var warnings: [String]
    }

    /// The file read through `reader`, loaded and validated as `vigil check --host` does
    /// against `host`'s interfaces, and planned against `host`. `vigil run` passes this
    /// host (`load()`, VigilDaemon); the plan fuzzer (Fuzz/PlanFuzz) a fixed table and files
    /// in memory.
    public func load(on host: some PlanningHost, reader: SourceReader) -> Result<Loaded, Refusal> {
        let options = ConfigurationLoader.Options(configID: configID ?? host.defaultConfigID,
                                                  host: KernelHostFacts(table: host.interfaces), strictHost: true)
        let result: ConfigurationLoader.Result
        do { result = try ConfigurationLoader.load(path: file, reader: reader, options: options) } catch {
            return .failure(Refusal(lines: ["\(error)"], errorCount: 1))
        }
        guard result.isValid else {
            let report = ConfigurationReport(result)
            return .failure(Refusal(lines: result.diagnostics.map(\.description) + [report.summary], errorCount: result.errorCount))
        }
        return replan(result.configuration, on: host).map {
            Loaded(plan: $0, configuration: result.configuration, warnings: result.diagnostics.map(\.description))
        }
    }

    /// The configuration already loaded, planned against `host` (an interface appeared or
    /// went; `replan(_:)` in VigilDaemon asks this host).
    public func replan(_ configuration: Configuration, on host: some PlanningHost) -> Result<DaemonPlan, Refusal> {
        var configuration = configuration
        switch subsystems {
        case .all: break
        case .vrrpOnly:
            configuration.virtualServers = []
            configuration.virtualServerGroups = []
        case .checkersOnly:
            configuration.vrrpInstances = []
            configuration.syncGroups = []
        }
        do {
            var plan = try DaemonPlan.make(configuration, host: host)
            plan.lvs.releaseAtExit = releaseIPVSAtExit
            return .success(plan)
        } catch {
            return .failure(Refusal(lines: ["\(error)"], errorCount: 1))
        }
    }
}
