import LVS
import Logging
import VRRP
import VigilConfig
@testable import VigilDaemon
@testable import VigilLinux
@testable import VigilPlan
import VigilTypes

// libFuzzer entry point: a configuration `vigil run` accepts must start. Each input is
// checked as a language (ConfigLanguage.swift), then loaded and planned exactly as
// `vigil run` does (PlanSource.load: load, validate against the host, DaemonPlan.make), on
// a fixed host (a StaticPlanningHost: interfaces, users and script files in memory), and
// what the daemon builds from the plan at start is built and driven through its first
// moves without sockets or children: the VRRP cores (primed, started, timers fired,
// adverts encoded, a peer heard, tracked objects going down and up), the sync group
// coordinators, the strict-mode drop sets, the vrrp_script health, the process monitor's
// first count, the IPVS tables and their differences. A planning error is a refusal and
// fine; a trap or a sanitizer report is a finding. Built by Fuzz/run.sh.

/// The fixed interfaces: eth0 and eth1 with IPv4 and IPv6 (link-local too), bond0 IPv4
/// only, lo, a down dummy0 without addresses. eth9 (common in the corpus) does not exist.
let interfaces = InterfaceTable(interfaces: [
    "lo": .init(name: "lo", index: 1, isUp: true, isRunning: true,
                addresses: [[127, 0, 0, 1], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]], primaryIPv4: [127, 0, 0, 1]),
    "eth0": .init(name: "eth0", index: 2, isUp: true, isRunning: true,
                  addresses: [[192, 0, 2, 11], [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x11],
                              [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x50, 0x54, 0, 0xff, 0xfe, 0, 0, 0x11]],
                  hardwareAddress: [0x52, 0x54, 0, 0, 0, 0x11], primaryIPv4: [192, 0, 2, 11],
                  linkLocalIPv6: [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x50, 0x54, 0, 0xff, 0xfe, 0, 0, 0x11]),
    "eth1": .init(name: "eth1", index: 3, isUp: true, isRunning: true,
                  addresses: [[198, 51, 100, 11], [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x50, 0x54, 0, 0xff, 0xfe, 0, 0, 0x12]],
                  hardwareAddress: [0x52, 0x54, 0, 0, 0, 0x12], primaryIPv4: [198, 51, 100, 11],
                  linkLocalIPv6: [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x50, 0x54, 0, 0xff, 0xfe, 0, 0, 0x12]),
    "bond0": .init(name: "bond0", index: 4, isUp: true, isRunning: false, addresses: [[203, 0, 113, 11]],
                   hardwareAddress: [0x52, 0x54, 0, 0, 0, 0x13], primaryIPv4: [203, 0, 113, 11]),
    "dummy0": .init(name: "dummy0", index: 5, isUp: false, addresses: []),
])

/// The fixed host: those interfaces, users root and nobody (groups root, nogroup), the
/// root-owned tree of /bin/sh and /bin/true plus /etc/keepalived with a safe script
/// (check.sh) and one anyone may write (open.sh), the daemon as root, config id lb1.
/// Nothing is asked of the machine the fuzzer runs on: an input plans the same everywhere.
let host: StaticPlanningHost = {
    var files = StaticPlanningHost.rootTree
    files["/etc/keepalived"] = ScriptFileStatus(kind: .directory, permissions: 0o755)
    files["/etc/keepalived/check.sh"] = ScriptFileStatus(kind: .regularFile, permissions: 0o755)
    files["/etc/keepalived/open.sh"] = ScriptFileStatus(kind: .regularFile, permissions: 0o777)
    return StaticPlanningHost(
        interfaces: interfaces,
        users: ["root": .root, "nobody": ScriptCredentials(user: "nobody", uid: 65534, gid: 65534, groups: [65534])],
        groups: ["root": 0, "nogroup": 65534], files: files, daemonUID: 0, defaultConfigID: "lb1")
}()

/// The same host after eth1 went away: what a replan on a link event sees.
let hostWithoutEth1: StaticPlanningHost = {
    var h = host
    h.interfaces = InterfaceTable(interfaces: interfaces.interfaces.filter { $0.key != "eth1" })
    return h
}()

let quiet = Logger(label: "vigil-plan-fuzz", factory: { _ in SwiftLogNoOpLogHandler() })

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPlan(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let main = "/f/keepalived.conf"
    let reader = InMemorySourceReader([main: text, "/f/inc.conf": text])
    checkLanguage(reader, main: main)
    guard case let .success(loaded) = PlanSource(file: main, configID: "lb1").load(on: host, reader: reader) else {
        return 0
    }
    start(loaded.plan)
    // An interface went: the configuration is planned again (PlanSource.replan).
    if let again = try? DaemonPlan.make(loaded.configuration, host: hostWithoutEth1) {
        for (old, new) in zip(loaded.plan.instances, again.instances) { _ = old.sameSettings(as: new) }
        start(again)
    }
    return 0
}

/// What Daemon.init and the start of Daemon.run make of the plan, minus the I/O.
func start(_ plan: DaemonPlan) {
    let children = ChildSupervisor()
    var now = Instant(microseconds: 1_000_000_000)
    _ = plan.missingCapabilities(effective: 0, miscUsers: [])
    var firewall = StrictFirewallPlan(plan.instances, firewall: nil, children: children, logger: quiet)
    _ = firewall.needed
    // Each instance on a link of its own: the VRID lookup always finds it.
    var engine = VRRPEngine(routers: plan.instances.map { VirtualRouter($0.router) }, channels: Array(plan.instances.indices),
                            syncGroups: Daemon.syncGroups(plan, carrying: [:]))
    let scripts = NotifyRunner(logger: quiet, children: children, user: plan.scriptUser, refused: plan.refusedCommands)
    for s in plan.scripts { _ = scripts.refusal(of: s.command) }
    let trackScripts = TrackScriptRunner(plan.scripts, now: now, children: children, logger: quiet)
    let trackProcesses = TrackProcessMonitor(plan.trackProcesses, now: now, logger: quiet)
    let metrics = plan.metricsListen == nil ? nil : Metrics()
    _ = LVSRunner(plan.lvs, logger: quiet, scripts: scripts, children: children, metrics: metrics)
    lvsTables(plan.lvs)

    /// Daemon.perform's pure part: adverts encoded for every destination.
    func perform(_ outputs: [VRRPEngine.Output]) {
        for case let .instance(i, action) in outputs {
            let p = plan.instances[i]
            switch action {
            case let .sendAdvertisement(advert):
                for destination in p.unicastPeers.isEmpty ? [p.router.primaryAddress.vrrpMulticastGroup] : p.unicastPeers {
                    _ = advert.encode(source: p.router.primaryAddress, destination: destination)
                }
            case let .transition(_, to, _):
                metrics?.state(p.router.name, to)
                if to == .master { firewall.addressesAdding(instance: i, at: now) } else { firewall.addressesRemoved(instance: i, at: now) }
            default:
                break
            }
        }
    }

    // Daemon.run: the readings known before the election, then the election.
    let processReadings = trackProcesses.advance(to: now)
    for i in engine.routers.indices {
        let p = plan.instances[i]
        metrics?.priority(p.router.name, engine[i].priority)
        if p.awaitsInterface { perform(engine.track(.down, kind: .interface, name: p.interface.name, instance: i, at: now)) }
        for (index, name) in p.trackedInterfaces {
            let up = interfaces.interfaces.values.first { $0.index == index }?.isRunning ?? false
            perform(engine.track(up ? .up : .down, kind: .interface, name: name, instance: i, at: now))
        }
        for (kind, list) in [(PriorityTracking.Object.Kind.script, trackScripts.initialReadings), (.process, processReadings)] {
            for (name, reading) in list where engine[i].tracking.tracks(kind, name) {
                perform(engine.track(reading, kind: kind, name: name, instance: i, at: now))
            }
        }
    }
    perform(engine.start(at: now))

    // The first moves: timers fire, a peer is heard, tracked objects change, the operator steps in.
    for _ in 0..<6 {
        guard let next = engine.nextDeadline else { break }
        now = max(now, next)
        perform(engine.advance(to: now))
    }
    for i in engine.routers.indices {
        let r = plan.instances[i].router
        for priority: UInt8 in [1, r.priority, 254] {
            let peer = plan.instances[i].unicastPeers.first ?? peerAddress(of: r.primaryAddress)
            let destination = plan.instances[i].unicastPeers.isEmpty ? r.primaryAddress.vrrpMulticastGroup : r.primaryAddress
            let heard = ReceivedAdvertisement(advertisement: engine[i].advertisement(priority: priority), source: peer,
                                              destination: destination, ttl: 255)
            if case let .accepted(_, outputs) = engine.receive(heard, on: i, at: now) { perform(outputs) }
        }
        for object in r.tracked {
            // A track_file's number is whatever the file holds; the others are up or down.
            let readings: [PriorityTracking.Reading] = object.kind == .file
                ? [.number(0), .number(Int64.max), .number(Int64.min), .number(-1), .number(1)] : [.down, .up]
            for reading in readings {
                perform(engine.track(reading, kind: object.kind, name: object.name, instance: i, at: now))
            }
        }
        perform(engine.overridePriority(1, instance: i, at: now))
        perform(engine.overridePriority(nil, instance: i, at: now))
        now = now + 1
    }
    for _ in 0..<4 {
        guard let next = engine.nextDeadline else { break }
        now = max(now, next)
        perform(engine.advance(to: now))
    }
    perform(engine.shutdown(at: now))
}

/// Another box on the instance's link: the primary address with its last byte changed.
func peerAddress(of address: InternetAddress) -> InternetAddress {
    switch address {
    case let .v4(a):
        var b = a.bytes
        b[3] = b[3] == 12 ? 13 : 12
        return .v4(IPv4Address(bytes: b))
    case let .v6(a):
        var b = a.bytes
        b[15] = b[15] == 12 ? 13 : 12
        return .v6(IPv6Address(bytes: b))
    }
}

/// The IPVS tables LVSRunner programs: before any check, all up, all down, and the
/// differences the reconciler would apply between them.
func lvsTables(_ lvs: LVSPlan) {
    let desired = lvs.desired
    // Every checker's verdict through the pool's one way in, as the runner records them.
    var state = PoolState(lvs.pools)
    for check in lvs.checks { _ = state.record(check: check.id, .up) }
    let up = state.desiredTable
    for check in lvs.checks { _ = state.record(check: check.id, .down("fuzz")) }
    let down = state.desiredTable
    _ = IPVSReconciler.changes(from: IPVSTable(), to: desired)
    _ = IPVSReconciler.changes(from: desired, to: up)
    _ = IPVSReconciler.changes(from: up, to: down)
}
