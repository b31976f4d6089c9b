import Logging
import VRRP
import VigilLinux
import VigilTypes

/// The guard on what a master holds. Another program may take a VIP away — a DHCP client
/// flushing the interface, NetworkManager, an operator's `ip addr flush` — and the master
/// would go on advertising while nobody answers for the address. keepalived leaves master
/// state when that happens (the service flaps); Vigil, told by netlink at once, puts the
/// address back with a fresh gratuitous ARP / unsolicited NA, logs one line and counts it.
/// A VIP *added* by another program while this box is not master is reported, not
/// removed: it is not Vigil's to take away, and two boxes may now answer for it.
extension Daemon {
    func addressesChanged(_ changes: [LinkMonitor.AddressChange], at now: Instant) {
        for change in changes {
            for i in routers.indices {
                guard let k = plans[i].addresses.firstIndex(where: {
                    $0.interfaceIndex == change.interfaceIndex && $0.address == change.address
                }) else { continue }
                if change.removed, routers[i].state == .master {
                    restore(address: k, of: i)
                } else if !change.removed, routers[i].state != .master {
                    self[counters: i].foreignAddresses += 1
                    metrics?.foreignAddress(plans[i].router.name)
                    logger.warning("(\(plans[i].router.name)) \(plans[i].addresses[k]) was added to \(plans[i].interface.name) by another program while this box is \(routers[i].state); left in place, but two boxes may answer for it")
                }
            }
        }
    }

    /// Routes or rules were deleted. Each master whose `virtual_routes`/`virtual_rules`
    /// use one of the deleted protocols gets what is missing back (what is in place is
    /// left alone); `lost` events check every master.
    func routingChanged() {
        guard let routing else { return }
        let reading = routing.read()
        for i in routers.indices where routers[i].state == .master && !plans[i].routes.isEmpty {
            let plan = plans[i].routes
            if case let .deleted(routes, rules) = reading {
                let touched = plan.routes.contains { routes.contains($0.protocolNumber) }
                    || plan.rules.contains { rules.contains($0.protocolNumber ?? 0) }
                if !touched { continue }
            }
            let name = plans[i].router.name
            let missing = self.routes.reinstallMissing(plan, for: name)
            for (kind, list) in [("route", missing.routes), ("rule", missing.rules)] where !list.isEmpty {
                self[counters: i].restored[kind, default: 0] += list.count
                for _ in list { metrics?.restored(name, what: kind) }
                logger.warning("(\(name)) \(kind) \(list.joined(separator: ", ")) was removed by another program; restored")
            }
        }
    }

    /// Another program changed Vigil's nftables table (`nft flush ruleset`, a firewall
    /// manager): while a master holds addresses whose traffic `no_accept` drops, the table
    /// is put back whole.
    func nftablesChanged() {
        guard let nftables else { return }
        let foreign: [Int32]
        switch nftables.read() {
        case let .touched(pids): foreign = pids.filter { !firewall.isOwn($0) }
        case .lost: foreign = [0]
        }
        guard !foreign.isEmpty, !firewall.holders.isEmpty else { return }
        let who = foreign.map { $0 == 0 ? "an unknown process" : "process \($0)\(ProcessTable.name(of: $0).map { " (\($0))" } ?? "")" }
        guard firewall.restore(at: edge.clock()) else {
            logger.error("nftables table \(StrictFirewall.table) was changed by \(who.joined(separator: ", ")); restoring it could not start (nft)")
            return
        }
        for i in firewall.holders {
            self[counters: i].restored["strict table", default: 0] += 1
            metrics?.restored(plans[i].router.name, what: "strict table")
        }
        logger.warning("nftables table \(StrictFirewall.table) was changed by \(who.joined(separator: ", ")); restoring it (the VIPs of \(firewall.holders.map { plans[$0].router.name }.joined(separator: ", ")) must not answer)")
    }

    /// Netlink lost events (its buffer overflowed): every master's VIPs are checked.
    func guardAllAddresses(at now: Instant) {
        for i in routers.indices where routers[i].state == .master {
            for k in plans[i].addresses.indices { restore(address: k, of: i) }
        }
    }

    /// Adds the master's VIP `k` if it is missing; if it was, announces it, logs, counts.
    func restore(address k: Int, of i: Int) {
        let address = plans[i].addresses[k]
        let name = plans[i].router.name
        let added: Bool
        do { added = try addresses.add(address) } catch {
            // The interface is going away (its link event follows): nothing to guard.
            if (error as? NetlinkError)?.isNoDevice == true { return }
            logger.error("(\(name)) restoring \(address), removed by another program: \(error)")
            return
        }
        guard added else { return }
        self[counters: i].restored["address", default: 0] += 1
        metrics?.restored(name, what: "address")
        logger.warning("(\(name)) \(address) was removed from \(plans[i].interface.name) by another program; restored and announced")
        // Routes through the address (src, a gateway on its subnet) went with it, silently.
        _ = routes.reinstallMissing(plans[i].routes, for: name)
        performer.announce(plans[i].announced.filter { $0.address == address.address }, of: name)
    }
}
