import Logging
import VRRP
import VigilLinux

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
                    counters[i].foreignAddresses += 1
                    metrics?.foreignAddress(plans[i].router.name)
                    logger.warning("(\(plans[i].router.name)) \(plans[i].addresses[k]) was added to \(plans[i].interface.name) by another program while this box is \(routers[i].state); left in place, but two boxes may answer for it")
                }
            }
        }
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
            logger.error("(\(name)) restoring \(address), removed by another program: \(error)")
            return
        }
        guard added else { return }
        counters[i].restored["address", default: 0] += 1
        metrics?.restored(name, what: "address")
        logger.warning("(\(name)) \(address) was removed from \(plans[i].interface.name) by another program; restored and announced")
        let announced = plans[i].announced.filter { $0.0 == address.address }
        for (a, link) in announced {
            do {
                switch a {
                case let .v4(v4): try wiring.announcers[link.index]?.announce(v4)
                case let .v6(v6): try wiring.neighbourAnnouncers[link.index]?.announce(v6)
                }
            } catch { logger.warning("(\(name)) \(error)") }
        }
    }
}
