import Logging
import VRRP
import VigilLinux
import VigilPlan
import VigilTypes

/// Strict mode's drop rules, as the VIP work waits for them: a master's VIPs may answer
/// only once the rules that drop traffic to them on other boxes are in (`StrictFirewallPlan`).
protocol AddressGate {
    /// The instance is about to add its VIPs: the rules must follow.
    mutating func addressesAdding(instance i: Int, at now: Instant)
    mutating func addressesRemoved(instance i: Int, at now: Instant)
    /// Whether the instance's VIP work must still wait for the rules.
    func isSettling(instance i: Int) -> Bool
}

/// Virtual routes and rules put in and taken out with an instance's VIPs (`VirtualRoutes`).
protocol RouteInstalling: AnyObject {
    func install(_ plan: RoutePlan, for owner: String)
    func remove(_ plan: RoutePlan, for owner: String)
}

extension StrictFirewallPlan: AddressGate {}
extension VirtualRoutes: RouteInstalling {}

/// What an instance's actions do on the box: its adverts sent, its VIPs added and removed
/// with their virtual routes, its gratuitous ARPs and unsolicited NAs — in the order the
/// engine gave them, with strict mode's drop rules first.
///
/// Split out of the daemon so that these rules, the subtlest of the edge, run against
/// fakes in unit tests: VIP work waits for the drop rules (`heldBack`); while it waits, a
/// master's adverts wait too (only the newest; never a priority-0 one), because a master
/// handing over to it would let go on hearing it, before the VIPs are here; a VIP the
/// kernel refuses for a passing reason is tried again twice, 10 ms apart, as a deadline
/// of the loop (nothing sleeps).
final class ActionPerformer<Gate: AddressGate> {
    /// The instances as wired (a use_vmac instance's addresses on its macvlan), by the
    /// engine's instance IDs.
    var plans: [InstancePlan]
    var gate: Gate
    let addresses: any AddressInstalling
    let routes: any RouteInstalling
    let logger: Logger
    /// The socket an instance's adverts leave by (nil: it has none, e.g. waiting for its
    /// interface).
    var transport: (Int) -> (any AdvertTransport)? = { _ in nil }
    /// The VRRPv3 IPv4 checksum form an instance's adverts carry now (the core's
    /// `advertisementChecksum`: it may turn to the old unicast form on hearing one).
    var advertChecksum: (Int) -> V3ChecksumForm = { _ in .pseudoHeader }
    /// The announcer of a link (by its index), for IPv6 or IPv4 addresses.
    var announcer: (_ link: Int32, _ ipv6: Bool) -> (any AddressAnnouncing)? = { _, _ in nil }
    /// Told of each advert that left, with its priority (the instance's counters and metrics).
    var advertSent: (_ instance: Int, _ priority: UInt8) -> Void = { _, _ in }
    /// Told when VIPs come or go (IPVS's ha_suspend follows them).
    var addressesChanged: (_ addresses: [InternetAddress], _ present: Bool) -> Void = { _, _ in }

    /// Per instance, VIP work held back until the drop rules are in (`addVirtualAddresses`
    /// and the announcements and advert after it).
    private(set) var heldBack: [Int: [Action]] = [:]
    /// VIPs the kernel refused for a passing reason, tried again at `at`.
    private(set) var addressRetries: [(address: InterfaceAddress, instance: String, attempt: Int, at: Instant)] = []

    init(plans: [InstancePlan], gate: Gate, addresses: any AddressInstalling, routes: any RouteInstalling, logger: Logger) {
        self.plans = plans
        self.gate = gate
        self.addresses = addresses
        self.routes = routes
        self.logger = logger
    }

    /// When the loop must wake for a retry.
    var nextDeadline: Instant? { addressRetries.map(\.at).min() }

    /// Performs one of instance `i`'s actions (transitions and priority changes are the
    /// daemon's: logs, scripts, metrics). `handoverEnd` says why a removal happens, for its
    /// log line; `resuming`: the action was held back for the drop rules, now in.
    func perform(_ action: Action, instance i: Int, handoverEnd: VirtualRouter.HandoverEnd? = nil,
                 resuming: Bool = false, at now: Instant) {
        let plan = plans[i]
        let name = plan.router.name
        switch action {
        case let .sendAdvertisement(advert):
            if advert.priority > 0, heldBack[i] != nil {
                // A master whose VIPs wait for the drop rules does not claim the address
                // yet. Only the newest advert waits; a priority-0 one never does.
                heldBack[i]?.removeAll { if case .sendAdvertisement = $0 { true } else { false } }
                heldBack[i]?.append(action)
                return
            }
            let destinations = plan.unicastPeers.isEmpty ? [plan.router.primaryAddress.vrrpMulticastGroup] : plan.unicastPeers
            guard let socket = transport(i) else { return }
            let checksum = advertChecksum(i)
            for destination in destinations {
                let payload = advert.encode(source: plan.router.primaryAddress, destination: destination, checksum: checksum)
                do {
                    try socket.send(payload, to: destination)
                    advertSent(i, advert.priority)
                } catch {
                    logger.warning("(\(name)) sending advert: \(error)")
                }
            }
        case .addVirtualAddresses:
            if !resuming { gate.addressesAdding(instance: i, at: now) }
            if gate.isSettling(instance: i) {
                heldBack[i, default: []].append(action)
                return
            }
            add(plan.addresses, of: name, at: now)
            logger.info("(\(name)) added \(plan.addresses.map(\.description).joined(separator: " "))")
            routes.install(plan.routes, for: name)
            addressesChanged(plan.addresses.map(\.address), true)
        case .removeVirtualAddresses:
            // VIPs held back for the drop rules were never added: nothing to announce.
            heldBack[i] = nil
            addressRetries.removeAll { $0.instance == name }
            takeDown(plan.addresses, routes: plan.routes, of: name, because: handoverEnd.map(\.description))
            gate.addressesRemoved(instance: i, at: now)
        case .sendGratuitousARP:
            if heldBack[i] != nil {
                heldBack[i]?.append(action)
                return
            }
            announce(plan.announced, of: name)
        case .sendGratuitousARPOnExtraInterfaces:
            if heldBack[i] != nil { return }  // its VIPs are not in yet: the next round
            announce(plan.extraAnnounced, of: name)
        case let .transition(from, _, _):
            // VIP work still waiting for the drop rules is stale once no longer master.
            if from == .master { heldBack[i] = nil }
        case .priorityChanged:
            break
        }
    }

    /// Takes VIPs off the box with the owner's virtual routes and tells IPVS; one log line,
    /// with why when there is something to say (none when no VIP goes).
    func takeDown(_ list: [InterfaceAddress], routes planned: RoutePlan, of name: String, because why: String?) {
        routes.remove(planned, for: name)
        for address in list {
            do { try addresses.remove(address) } catch { logger.error("(\(name)) \(error)") }
        }
        guard !list.isEmpty else { return }
        addressesChanged(list.map(\.address), false)
        logger.info("(\(name)) removed \(list.map(\.description).joined(separator: " "))\(why.map { " (\($0))" } ?? "")")
    }

    /// One gratuitous ARP (IPv4) or unsolicited NA (IPv6) for each address, on its link.
    func announce(_ announced: [(address: InternetAddress, interface: InterfaceTable.Interface)], of name: String) {
        for (address, link) in announced {
            do { try announcer(link.index, address.isIPv6)?.announce(address) } catch { logger.warning("(\(name)) \(error)") }
        }
    }

    /// Adds VIPs; one the kernel refuses for a passing reason (ENOBUFS, EBUSY, ENOMEM,
    /// EAGAIN, EINTR) is tried again twice, 10 ms apart, and each failure is logged with the
    /// address and the reason. A master without its VIP is worse than a short delay.
    private func add(_ list: [InterfaceAddress], of name: String, attempt: Int = 1, at now: Instant) {
        for address in list {
            do {
                try addresses.add(address)
                if attempt > 1 { logger.notice("(\(name)) added \(address) at attempt \(attempt)") }
            } catch {
                let transient = (error as? NetlinkError)?.isTransient == true
                logger.error("(\(name)) \(error)\(transient && attempt < 3 ? "; retrying" : "")")
                guard transient, attempt < 3 else { continue }
                addressRetries.append((address, name, attempt + 1, now + 10_000))
            }
        }
    }

    /// VIPs whose retry is due.
    func retryAddresses(at now: Instant) {
        let due = addressRetries.filter { $0.at <= now }
        guard !due.isEmpty else { return }
        addressRetries.removeAll { $0.at <= now }
        for retry in due { add([retry.address], of: retry.instance, attempt: retry.attempt, at: now) }
    }

    /// Instances whose drop rules are in (or failed: logged, and the VIPs go on as
    /// keepalived's would) carry on with their held-back VIP work.
    func releaseHeldBack(at now: Instant) {
        for i in heldBack.keys.sorted() where !gate.isSettling(instance: i) {
            guard let actions = heldBack.removeValue(forKey: i) else { continue }
            for action in actions { perform(action, instance: i, resuming: true, at: now) }
        }
    }

    /// A reload: held-back work follows an instance that stays as it was (old ID → new
    /// ID); a changed one starts again and asks anew.
    func carryHeldBack(_ kept: [Int: Int]) {
        var carried: [Int: [Action]] = [:]
        for (old, new) in kept { if let held = heldBack[old] { carried[new] = held } }
        heldBack = carried
    }

    /// The stop: nothing waits any more.
    func dropHeldBack() { heldBack = [:] }
}
