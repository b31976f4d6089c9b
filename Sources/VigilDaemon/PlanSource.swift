import VigilConfig
import VigilLinux

/// Where `vigil run` gets its plan, at start and at each reload: the configuration file
/// read, checked as `vigil check --host` checks it against this host's interfaces, and
/// made concrete. A reload asks again; a refusal leaves the running plan alone.
public struct PlanSource: Sendable {
    public var file: String
    public var configID: String?
    /// `--dont-release-ipvs`, carried into every plan.
    public var releaseIPVSAtExit = true

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
    }

    public struct Loaded: Sendable {
        public var plan: DaemonPlan
        /// What the plan was made from: planned again, without reading the file, when an
        /// interface appears or goes (`replan`).
        public var configuration: Configuration
        /// Warnings to log (the configuration is valid).
        public var warnings: [String]
    }

    public func load() -> Result<Loaded, Refusal> {
        let table: InterfaceTable
        do { table = try InterfaceTable.read() } catch {
            return .failure(Refusal(lines: ["cannot read this host's interfaces: \(error)"], errorCount: 1))
        }
        return load(on: table)
    }

    /// `load()` against the given interfaces, reading files through `reader`: the plan
    /// fuzz target (Fuzz/PlanFuzz) runs exactly this, with a fixed table and files in memory.
    public func load(on table: InterfaceTable, reader: SourceReader = FileSystemSourceReader()) -> Result<Loaded, Refusal> {
        let options = ConfigurationLoader.Options(configID: configID ?? defaultConfigID(),
                                                  host: KernelHostFacts(table: table), strictHost: true)
        let result: ConfigurationLoader.Result
        do { result = try ConfigurationLoader.load(path: file, reader: reader, options: options) } catch {
            return .failure(Refusal(lines: ["\(error)"], errorCount: 1))
        }
        guard result.isValid else {
            let report = ConfigurationReport(result)
            return .failure(Refusal(lines: result.diagnostics.map(\.description) + [report.summary], errorCount: result.errorCount))
        }
        return plan(result.configuration, on: table).map {
            Loaded(plan: $0, configuration: result.configuration, warnings: result.diagnostics.map(\.description))
        }
    }

    /// The configuration already loaded, planned against the interfaces as they are now.
    public func replan(_ configuration: Configuration) -> Result<DaemonPlan, Refusal> {
        do { return plan(configuration, on: try InterfaceTable.read()) } catch {
            return .failure(Refusal(lines: ["cannot read this host's interfaces: \(error)"], errorCount: 1))
        }
    }

    private func plan(_ configuration: Configuration, on table: InterfaceTable) -> Result<DaemonPlan, Refusal> {
        do {
            var plan = try DaemonPlan.make(configuration, interfaces: table)
            plan.lvs.releaseAtExit = releaseIPVSAtExit
            return .success(plan)
        } catch {
            return .failure(Refusal(lines: ["\(error)"], errorCount: 1))
        }
    }
}
