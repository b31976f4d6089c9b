import Logging
import VRRP
import VigilLinux
import VigilPlan
import VigilTypes

/// The sockets, macvlans and announcers the instances need, opened from their plans and
/// kept across reloads where they fit.
extension Daemon {
    /// The sockets, macvlans and announcers the instances use, and the indices that lead
    /// from a received packet or a link event to an instance. Rebuilt by a reload, which
    /// reuses what stays (a socket, a macvlan) rather than reopening it.
    struct Wiring {
        var virtualMACs: [String: any VirtualLink] = [:]
        /// Adverts that leave through a macvlan (not the receiving socket), by macvlan name.
        var transmitByVMAC: [String: any AdvertChannel] = [:]
        var transmitSocket: [Int: any AdvertChannel] = [:]
        var socketsByKey: [ChannelKey: any AdvertChannel] = [:]
        var sockets: [any AdvertChannel] = []
        /// nil: the instance waits for its interface (nothing opened).
        var socketOfInstance: [Int?] = []
        var announcers: [Int32: any AddressAnnouncing] = [:]
        var neighbourAnnouncers: [Int32: any AddressAnnouncing] = [:]
        /// Per interface index, the instances that track it.
        var instancesOnInterface: [Int32: [Int]] = [:]
    }

    /// What makes two instances share a VRRP socket: the same interface (by name and
    /// index), the same bound source, both unicast or both multicast, the same family.
    struct ChannelKey: Hashable {
        var interface: String
        var index: Int32
        var source: InternetAddress?
        var unicast: Bool
        var ipv6: Bool
    }

    /// Opens what the instances need, reusing from `previous` whatever fits (same socket
    /// key, same macvlan, same announcing interface). Returns the wiring and the plans as
    /// wired. Throws before anything of `previous` is touched; macvlans it created itself
    /// are removed again when it throws.
    static func wire(_ planned: [InstancePlan], previous: Wiring, links: any LinkOpening,
                     logger: Logger) throws -> (Wiring, [InstancePlan]) {
        var w = Wiring()
        var plans = planned
        var created: [any VirtualLink] = []
        do {
            for i in plans.indices {
                guard let vmac = plans[i].vmac, !plans[i].awaitsInterface else { continue }
                let base = plans[i].interface
                let link: any VirtualLink
                if let kept = previous.virtualMACs[vmac.name] ?? w.virtualMACs[vmac.name] {
                    link = kept
                } else {
                    let name = plans[i].router.name
                    do {
                        link = try links.createVirtualMAC(name: vmac.name, parent: base.name, parentIndex: base.index,
                                                          hardwareAddress: vmac.hardwareAddress,
                                                          linkLocal: plans[i].router.primaryAddress.ipv6.flatMap { $0.isLinkLocal ? $0 : nil }) { replaced in
                            logger.notice("(\(name)) deleted \(replaced) left from an earlier run")
                        }
                    } catch let conflict as VirtualMAC.Conflict {
                        guard let location = plans[i].vmacLocation else { throw conflict }
                        throw InstancePlan.Problem(location: location, message: "(\(name)) use_vmac: \(conflict)")
                    }
                    created.append(link)
                    logger.info("(\(name)) created \(link.name) on \(base.name) with MAC \(vmac.hardwareAddress.map { String($0, radix: 16) }.joined(separator: ":"))")
                }
                w.virtualMACs[vmac.name] = link
                var moved = base
                moved.name = link.name
                moved.index = link.index
                moved.hardwareAddress = vmac.hardwareAddress
                for k in vmac.addressIndices {
                    plans[i].addresses[k].interfaceIndex = link.index
                    plans[i].announced[k].interface = moved
                }
                if !vmac.transmitBase {
                    // The macvlan has no address of its own: adverts are bound to the parent's.
                    let socket = try previous.transmitByVMAC[vmac.name] ?? w.transmitByVMAC[vmac.name]
                        ?? links.openChannel(interface: link.name, index: link.index, source: plans[i].router.primaryAddress,
                                             multicast: plans[i].unicastPeers.isEmpty, ipv6: plans[i].isIPv6, receives: false)
                    w.transmitByVMAC[vmac.name] = socket
                    w.transmitSocket[i] = socket
                }
            }
            for plan in plans {
                if plan.awaitsInterface {
                    w.socketOfInstance.append(nil)
                    continue
                }
                // IPv6 always binds the link-local source; IPv4 only a unicast_src_ip.
                let source = plan.router.unicast || plan.isIPv6 ? plan.router.primaryAddress : nil
                let key = ChannelKey(interface: plan.interface.name, index: plan.interface.index, source: source,
                                     unicast: plan.router.unicast, ipv6: plan.isIPv6)
                if let socket = w.socketsByKey[key], let s = w.sockets.firstIndex(where: { $0 === socket }) {
                    w.socketOfInstance.append(s)
                } else {
                    let socket = try previous.socketsByKey[key]
                        ?? links.openChannel(interface: plan.interface.name, index: plan.interface.index, source: source,
                                             multicast: !plan.router.unicast, ipv6: plan.isIPv6, receives: true)
                    w.socketsByKey[key] = socket
                    w.socketOfInstance.append(w.sockets.count)
                    w.sockets.append(socket)
                }
                for (address, link) in plan.announced where link.hardwareAddress.count == 6 {
                    if address.isIPv6, w.neighbourAnnouncers[link.index] == nil {
                        w.neighbourAnnouncers[link.index] = try previous.neighbourAnnouncers[link.index]
                            ?? links.announcer(interface: link.name, index: link.index, hardwareAddress: link.hardwareAddress, ipv6: true)
                    } else if !address.isIPv6, w.announcers[link.index] == nil {
                        w.announcers[link.index] = try previous.announcers[link.index]
                            ?? links.announcer(interface: link.name, index: link.index, hardwareAddress: link.hardwareAddress, ipv6: false)
                    }
                }
            }
        } catch {
            for link in created { try? link.remove() }
            throw error
        }
        for (i, plan) in plans.enumerated() {
            for index in plan.trackedInterfaces.keys { w.instancesOnInterface[index, default: []].append(i) }
        }
        for (s, socket) in w.sockets.enumerated() {
            let on = plans.indices.filter { w.socketOfInstance[$0] == s }
            let screen = AdvertScreen(on.map { AdvertScreen.Admitted(plans[$0].router) }, ipv6: on.contains { plans[$0].isIPv6 })
            do { try socket.screen(screen) } catch {
                // Still correct without it: every packet then shares one queue.
                logger.warning("\(socket.interfaceName): \(error); adverts are read without the kernel's screen")
                try? socket.screen(nil)
            }
        }
        return (w, plans)
    }
}

extension AdvertScreen.Admitted {
    /// What an instance accepts, as far as the kernel screens it.
    init(_ router: VirtualRouter.Configuration) {
        var password: [UInt8]?
        if router.version == .v2, case let .simple(bytes) = router.authentication { password = bytes }
        self.init(virtualRouterID: router.virtualRouterID, version: router.version, password: password)
    }
}
