import VRRP
import VigilConfig

/// What a live reload does, decided from the running plan and the new one alone, before
/// anything on the box is touched: which instances run on untouched, which start again
/// from the state they had, which are new, which go, and which sync groups keep their
/// state. The daemon performs it (`Daemon.apply`); the unit tests read it directly.
public struct ReloadPlan: Equatable, Sendable {
    /// What becomes of an instance of the new configuration.
    public enum Fate: Equatable, Sendable {
        /// Same name and settings, same context: it keeps running untouched (state,
        /// timers, VIPs).
        case unchanged(old: Int)
        /// Same name, other settings or context: it starts again from the state it had.
        case changed(old: Int)
        case added
    }

    /// Per instance of the new plan, by its index there.
    public var fates: [Fate]
    /// Instances of the running plan that are gone (by their index there): they hand over.
    public var removed: [Int]
    /// Sync groups of the new plan that carry their state over: the same name, the same
    /// number of members, and every member unchanged.
    public var carriedGroups: Set<String>

    public static func diff(old: DaemonPlan, new: DaemonPlan) -> ReloadPlan {
        let oldByName = Dictionary(old.instances.enumerated().map { ($1.router.name, $0) }, uniquingKeysWith: { a, _ in a })
        let fates: [Fate] = new.instances.enumerated().map { j, instance in
            guard let i = oldByName[instance.router.name] else { return .added }
            let same = old.instances[i].sameSettings(as: instance) && Context(old, i) == Context(new, j)
            return same ? .unchanged(old: i) : .changed(old: i)
        }
        let kept = Set(fates.compactMap { fate -> Int? in
            switch fate {
            case let .unchanged(i), let .changed(i): i
            case .added: nil
            }
        })
        var carried = Set<String>()
        for group in new.syncGroups {
            guard let before = old.syncGroups.first(where: { $0.name == group.name }) else { continue }
            let allUnchanged = group.members.allSatisfy { if case .unchanged = fates[$0] { true } else { false } }
            if allUnchanged, before.members.count == group.members.count { carried.insert(group.name) }
        }
        return ReloadPlan(fates: fates, removed: old.instances.indices.filter { !kept.contains($0) }, carriedGroups: carried)
    }

    /// One line for the log and `vigil reload`: how many of each.
    public func summary(virtualServers: Int) -> String {
        var unchanged = 0, changed = 0, added = 0
        for fate in fates {
            switch fate {
            case .unchanged: unchanged += 1
            case .changed: changed += 1
            case .added: added += 1
            }
        }
        return "\(unchanged) unchanged, \(changed) changed, \(added) added, \(removed.count) removed instance(s); \(virtualServers) virtual server(s)"
    }

    /// What an instance depends on outside its own block: its sync group and the specs of
    /// what it tracks. An instance is left running only when these are the same too.
    struct Context: Equatable {
        var group: String?
        var groupMembers: [String] = []
        var groupNotify: NotifyScripts?
        var scripts: [DaemonPlan.ScriptPlan] = []
        var processes: [DaemonPlan.ProcessPlan] = []
        var files: [DaemonPlan.TrackFilePlan] = []

        init(_ plan: DaemonPlan, _ i: Int) {
            if let g = plan.syncGroups.first(where: { $0.members.contains(i) }) {
                group = g.name
                groupMembers = g.members.map { plan.instances[$0].router.name }
                groupNotify = g.notify
            }
            let tracked = plan.instances[i].router.tracked
            func uses(_ kind: PriorityTracking.Object.Kind, _ name: String) -> Bool {
                tracked.contains { $0.kind == kind && $0.name == name }
            }
            scripts = plan.scripts.filter { uses(.script, $0.name) }
            processes = plan.trackProcesses.filter { uses(.process, $0.name) }
            files = plan.trackFiles.filter { uses(.file, $0.name) }
        }
    }
}
