import Logging
import VRRP
import VigilLinux

/// The daemon's side of `no_accept` (strict mode's default): while an instance holds its
/// virtual addresses, traffic to them is dropped (see `StrictFirewall`). This keeps, per
/// instance, the addresses its mastership drops and which instances hold theirs now, and
/// makes Vigil's one nftables table drop exactly their union.
///
/// Order, as keepalived: the rules go in before the addresses are added (no moment where
/// a fresh VIP answers) and come out after they are removed.
struct StrictFirewallPlan {
    /// Per instance (the daemon's index), what it drops while holding its addresses.
    let dropped: [Set<StrictFirewall.Address>]
    private let names: [String]
    private var firewall: StrictFirewall?
    private let logger: Logger
    private var holding = Set<Int>()

    /// For a live reload: the same nftables handle, the new instances.
    func replanned(_ plans: [InstancePlan]) -> StrictFirewallPlan {
        StrictFirewallPlan(plans, firewall: firewall, logger: logger)
    }

    init(_ plans: [InstancePlan], firewall: StrictFirewall? = StrictFirewall.locate(), logger: Logger) {
        dropped = plans.map { plan in
            plan.dropsTrafficWhileMaster ? Set(plan.addresses.map(\.address)) : []
        }
        names = plans.map(\.router.name)
        self.firewall = firewall
        self.logger = logger
    }

    var needed: Bool { dropped.contains { !$0.isEmpty } }

    /// At start, before anything else: a table an earlier run left (kill -9) would drop
    /// traffic to addresses this box may not even hold any more, so it goes whatever the
    /// configuration says now. Without nft and with instances that need it: one error line,
    /// and VRRP runs without the rules.
    mutating func removeLeftover() {
        guard firewall != nil else {
            if needed {
                let who = names.indices.filter { !dropped[$0].isEmpty }.map { names[$0] }.joined(separator: ", ")
                logger.error("nft not found (Debian package nftables): traffic to the virtual addresses of \(who) will not be dropped while master, as no_accept requires; running VRRP without the drop rules")
            }
            return
        }
        do {
            if try firewall?.removeLeftover() == true {
                logger.notice("removed nftables table \(StrictFirewall.table) left by an earlier run")
            }
        } catch {
            logger.error("removing a leftover nftables table \(StrictFirewall.table): \(error)")
        }
    }

    /// Instance `i` is about to add its addresses (becoming master).
    mutating func addressesAdding(instance i: Int) {
        guard !dropped[i].isEmpty else { return }
        holding.insert(i)
        apply(because: i)
    }

    /// Instance `i` has removed its addresses (leaving master, Fault, shutdown).
    mutating func addressesRemoved(instance i: Int) {
        guard holding.remove(i) != nil else { return }
        apply(because: i)
    }

    /// Whether the nft run with this PID was one of ours.
    func isOwn(_ pid: Int32) -> Bool { firewall?.recentRuns.contains(pid) == true }

    /// The instances holding their addresses now (their traffic must be dropped).
    var holders: [Int] { holding.sorted() }

    /// The guard: another program changed the table. If anything must be dropped now, the
    /// table is replaced whole (its state is unknown); true when it was.
    mutating func restore() -> Bool {
        guard var firewall, let first = holding.min() else { return false }
        firewall.forget()
        self.firewall = firewall
        apply(because: first)
        return self.firewall?.installed != nil
    }

    /// Every exit path of `run`: no table is left behind.
    mutating func remove() {
        do {
            try firewall?.remove()
        } catch {
            logger.error("removing nftables table \(StrictFirewall.table): \(error)")
        }
    }

    private mutating func apply(because i: Int) {
        guard var firewall else { return }
        let wanted = holding.reduce(into: Set<StrictFirewall.Address>()) { $0.formUnion(dropped[$1]) }
        guard wanted != firewall.installed else { return }
        defer { self.firewall = firewall }
        do {
            try firewall.update(droppedAddresses: wanted)
            let shown = wanted.sorted().map(\.description).joined(separator: " ")
            logger.info("(\(names[i])) firewall: \(wanted.isEmpty ? "no address dropped, table \(StrictFirewall.table) deleted" : "dropping traffic to \(shown)")")
        } catch {
            logger.error("(\(names[i])) firewall: \(error)")
        }
    }
}
