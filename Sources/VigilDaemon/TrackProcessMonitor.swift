import Logging
import VRRP
import VigilLinux
import VigilPlan
import VigilTypes

/// `vrrp_track_process`: counts the matching processes whenever the kernel reports a
/// fork, exec, rename or exit (the proc connector; every 5 s as well, and every second if
/// the connector cannot be opened), and turns the count into a verdict: quorum ≤ count ≤
/// quorum_max. A change is believed only after `fork_delay` (gained) or
/// `terminate_delay` (lost) and a second count that agrees, so a restart that re-forks
/// does not bounce the instance.
final class TrackProcessMonitor {
    private struct Tracked {
        var plan: DaemonPlan.ProcessPlan
        /// The verdict instances have been told.
        var reported: PriorityTracking.Reading = .pending
        /// A different verdict seen, to be confirmed at this time.
        var pending: (reading: PriorityTracking.Reading, at: Instant)?
        var lastCount = -1
    }

    private var tracked: [Tracked]
    private let logger: Logger
    let events: ProcessEvents?
    private var nextScan: Instant
    /// Coalesces bursts of process events into one count.
    private var scanDue: Instant?

    init(_ plans: [DaemonPlan.ProcessPlan], now: Instant, logger: Logger) {
        tracked = plans.map { Tracked(plan: $0) }
        self.logger = logger
        var events: ProcessEvents?
        if !plans.isEmpty {
            do { events = try ProcessEvents() } catch {
                logger.warning("vrrp_track_process: no process events (\(error)); counting every second instead")
            }
        }
        self.events = events
        nextScan = now
    }

    var plans: [DaemonPlan.ProcessPlan] { tracked.map(\.plan) }

    /// Every verdict known now (for an instance started by a reload).
    var readings: [(name: String, reading: PriorityTracking.Reading)] {
        tracked.filter { $0.reported != .pending }.map { ($0.plan.name, $0.reported) }
    }

    private var period: Int64 { events == nil ? 1_000_000 : 5_000_000 }

    var nextDeadline: Instant? {
        guard !tracked.isEmpty else { return nil }
        return ([nextScan, scanDue].compactMap { $0 } + tracked.compactMap { $0.pending?.at }).min()
    }

    /// The connector socket was readable.
    func eventsArrived(at now: Instant) {
        if events?.drain() == true, scanDue == nil { scanDue = now + 20_000 }
    }

    /// Counts if due; returns verdicts that changed.
    func advance(to now: Instant) -> [(name: String, reading: PriorityTracking.Reading)] {
        guard !tracked.isEmpty else { return [] }
        let confirming = tracked.contains { $0.pending.map { $0.at <= now } ?? false }
        guard now >= nextScan || (scanDue.map { now >= $0 } ?? false) || confirming else { return [] }
        scanDue = nil
        nextScan = now + period
        let processes = ProcessTable.scan(withArguments: tracked.contains { $0.plan.pattern.needsArguments })
        var changed: [(String, PriorityTracking.Reading)] = []
        for i in tracked.indices {
            let plan = tracked[i].plan
            let count = processes.reduce(0) { $0 + (plan.pattern.matches($1) ? 1 : 0) }
            if count != tracked[i].lastCount {
                logger.info("vrrp_track_process \(plan.name): \(count) process(es) (quorum \(plan.quorum)\(plan.quorumMax == Int.max ? "" : "…\(plan.quorumMax)"))")
                tracked[i].lastCount = count
            }
            let reading: PriorityTracking.Reading = plan.quorum <= count && count <= plan.quorumMax ? .up : .down
            if reading == tracked[i].reported {
                tracked[i].pending = nil
                continue
            }
            let delay = reading == .up ? plan.forkDelay : plan.terminateDelay
            if tracked[i].reported == .pending || delay == 0 {
                tracked[i].reported = reading
                tracked[i].pending = nil
                changed.append((plan.name, reading))
            } else if let p = tracked[i].pending, p.reading == reading {
                if now >= p.at {
                    tracked[i].reported = reading
                    tracked[i].pending = nil
                    changed.append((plan.name, reading))
                }
            } else {
                tracked[i].pending = (reading, now + delay)
            }
        }
        for (name, reading) in changed {
            logger.notice("vrrp_track_process \(name) \(reading == .up ? "has its quorum" : "lost its quorum")")
        }
        return changed
    }
}
