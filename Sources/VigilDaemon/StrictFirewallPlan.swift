import Logging
import VRRP
import VigilLinux
import VigilPlan
import VigilTypes

/// The daemon's side of `no_accept` (strict mode's default): while an instance holds its
/// virtual addresses, traffic to them is dropped (see `StrictFirewall`). This keeps, per
/// instance, the addresses its mastership drops and which instances hold theirs now, and
/// makes Vigil's one nftables table drop exactly their union.
///
/// Order, as keepalived: the rules go in before the addresses are added (no moment where
/// a fresh VIP answers) and come out after they are removed. nft runs beside the loop, so
/// "before" means the daemon holds an instance's VIPs back (`isSettling`) until the run
/// that drops them has ended; other instances go on meanwhile.
struct StrictFirewallPlan {
    /// Per instance (the daemon's index), what it drops while holding its addresses.
    let dropped: [Set<StrictFirewall.Address>]
    private let names: [String]
    private let firewall: StrictFirewall?
    private let children: ChildSupervisor
    private let logger: Logger
    private var holding = Set<Int>()

    /// For a live reload: the same nftables table and its state, the new instances; the
    /// masters among them are told by the daemon (`addressesAdding`).
    func replanned(_ plans: [InstancePlan]) -> StrictFirewallPlan {
        StrictFirewallPlan(plans, firewall: firewall, children: children, logger: logger)
    }

    init(_ plans: [InstancePlan], firewall: StrictFirewall?, children: ChildSupervisor,
         logger: Logger) {
        dropped = plans.map { plan in
            plan.dropsTrafficWhileMaster ? Set(plan.addresses.map(\.address)) : []
        }
        names = plans.map(\.router.name)
        self.firewall = firewall
        self.children = children
        self.logger = logger
    }

    var needed: Bool { dropped.contains { !$0.isEmpty } }

    /// At start, before anything else: a table an earlier run left (kill -9) would drop
    /// traffic to addresses this box may not even hold any more, so it goes whatever the
    /// configuration says now. Without nft and with instances that need it: one error line,
    /// and VRRP runs without the rules.
    func removeLeftover() {
        guard let firewall else {
            if needed {
                let who = names.indices.filter { !dropped[$0].isEmpty }.map { names[$0] }.joined(separator: ", ")
                logger.error("nft not found (Debian package nftables): traffic to the virtual addresses of \(who) will not be dropped while master, as no_accept requires; running VRRP without the drop rules")
            }
            return
        }
        do {
            if try firewall.removeLeftover(children: children, now: Monotonic.now) {
                logger.notice("removed nftables table \(StrictFirewall.table) left by an earlier run")
            }
        } catch {
            logger.error("removing a leftover nftables table \(StrictFirewall.table): \(error)")
        }
    }

    /// Instance `i` is about to add its addresses (becoming master).
    mutating func addressesAdding(instance i: Int, at now: Instant) {
        guard !dropped[i].isEmpty else { return }
        holding.insert(i)
        apply(at: now)
    }

    /// Instance `i` has removed its addresses (leaving master, Fault, shutdown).
    mutating func addressesRemoved(instance i: Int, at now: Instant) {
        guard holding.remove(i) != nil else { return }
        apply(at: now)
    }

    /// Whether instance `i`'s addresses must wait: the run that drops them has not ended.
    func isSettling(instance i: Int) -> Bool {
        guard let firewall, holding.contains(i) else { return false }
        return firewall.isSettling(dropped[i])
    }

    /// Whether the nft run with this PID was one of ours.
    func isOwn(_ pid: Int32) -> Bool { firewall?.recentRuns.contains(pid) == true }

    /// The instances holding their addresses now (their traffic must be dropped).
    var holders: [Int] { holding.sorted() }

    /// The guard: another program changed the table. If anything must be dropped now, the
    /// table is replaced whole (its state is unknown); true when that run started.
    func restore(at now: Instant) -> Bool {
        guard let firewall, !holding.isEmpty else { return false }
        firewall.forget()
        firewall.request(wanted, children: children, now: now)
        return firewall.isSettling(wanted)
    }

    /// Collects an nft run that ended (logged), and starts the next if one is due.
    func advance(at now: Instant) {
        guard let completion = firewall?.advance(children: children, now: now) else { return }
        let who = holders.map { names[$0] }.joined(separator: ", ")
        switch completion {
        case let .applied(addresses):
            let shown = addresses.sorted().map(\.description).joined(separator: " ")
            logger.info("firewall: \(addresses.isEmpty ? "no address dropped, table \(StrictFirewall.table) deleted" : "dropping traffic to \(shown)\(who.isEmpty ? "" : " (\(who))")")")
        case let .failed(why):
            logger.error("firewall\(who.isEmpty ? "" : " (\(who))"): \(why)")
        }
    }

    /// Every exit path of `run`: no table is left behind.
    func remove() {
        do {
            try firewall?.remove(children: children, now: Monotonic.now)
        } catch {
            logger.error("removing nftables table \(StrictFirewall.table): \(error)")
        }
    }

    private var wanted: Set<StrictFirewall.Address> {
        holding.reduce(into: Set<StrictFirewall.Address>()) { $0.formUnion(dropped[$1]) }
    }

    private func apply(at now: Instant) {
        firewall?.request(wanted, children: children, now: now)
    }
}
