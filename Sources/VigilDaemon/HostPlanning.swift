import VigilConfig
import VigilLinux
import VigilPlan

/// Planning against this host: the kernel's answers (`KernelPlanningHost`) read fresh for
/// each plan, the configuration from the file system. `vigil run` and the daemon's reload
/// and replan call these; the plan itself is made in VigilPlan from the answers alone.
extension PlanSource {
    public func load() -> Result<Loaded, Refusal> {
        let host: KernelPlanningHost
        do { host = try KernelPlanningHost.current() } catch {
            return .failure(Refusal(lines: ["cannot read this host's interfaces: \(error)"], errorCount: 1))
        }
        return load(on: host, reader: FileSystemSourceReader())
    }

    /// The configuration already loaded, planned against the interfaces as they are now.
    public func replan(_ configuration: Configuration) -> Result<DaemonPlan, Refusal> {
        do { return replan(configuration, on: try KernelPlanningHost.current()) } catch {
            return .failure(Refusal(lines: ["cannot read this host's interfaces: \(error)"], errorCount: 1))
        }
    }
}

extension DaemonPlan {
    /// `missingCapabilities(effective:)` with this process's effective set (/proc/self/status).
    public func missingCapabilities() -> String? {
        missingCapabilities(effective: Capabilities.effective())
    }
}
