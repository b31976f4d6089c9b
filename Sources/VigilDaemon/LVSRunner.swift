import LVS
import Logging
import VigilLinux

/// Keeps the kernel's IPVS table as the configuration wants it: at start the difference
/// is applied (services that already match are adopted, not recreated), at exit what this
/// run manages is removed, as keepalived does. Without IPVS in the kernel: one clear error
/// line, and the VRRP side runs on.
final class LVSRunner {
    private let plan: LVSPlan
    private let logger: Logger
    private var driver: IPVSDriver?
    /// Services this run manages: removed at exit.
    private var owned: Set<IPVSService.Key> = []

    init(_ plan: LVSPlan, logger: Logger) {
        self.plan = plan
        self.logger = logger
    }

    func start() {
        guard !plan.desired.services.isEmpty else { return }
        for note in plan.notes { logger.warning("\(note)") }
        do { driver = try IPVSDriver() } catch {
            logger.error("\(error); virtual servers are not programmed, VRRP runs on")
            return
        }
        apply(plan.desired, what: "programmed")
        owned = Set(plan.desired.services.keys)
    }

    func stop() {
        guard driver != nil, !owned.isEmpty else { return }
        apply(IPVSTable(), what: "removed")
    }

    private func apply(_ desired: IPVSTable, what: String) {
        guard let driver else { return }
        let actual: IPVSTable
        do { actual = try driver.read() } catch {
            logger.error("reading the IPVS table: \(error)")
            return
        }
        let changes = IPVSReconciler.changes(from: actual, to: desired, owned: owned)
        var failed = 0
        for change in changes {
            do { try driver.apply(change) } catch {
                failed += 1
                logger.error("\(error)")
            }
        }
        let services = desired.services.isEmpty ? owned.count : desired.services.count
        logger.info("IPVS: \(what) \(services) virtual service(s): \(changes.count) change(s)\(failed > 0 ? ", \(failed) failed" : "")")
    }
}
