import HealthCheck
import LVS
import VRRP
import VigilConfig
import VigilLinux
@testable import VigilDaemon
@testable import VigilPlan
import VigilTypes

/// Everything in a `DaemonPlan` that the daemon acts on, as an `Equatable` value: two
/// configurations with equal fingerprints make `vigil run` do the same. The plan itself is
/// not `Equatable` (tuples, interface snapshots); this spells out what counts, property by
/// property, so that a comparison never depends on a description's dictionary order.
struct PlanFingerprint: Equatable {
    enum Outcome: Equatable {
        case plan(PlanFingerprint)
        /// `DaemonPlan.make` refused the configuration, with this message.
        case refused(String)
    }

    /// The stored properties of `DaemonPlan`, `InstancePlan` and `LVSPlan`, in declaration
    /// order, that the fingerprint takes in (checked against the types by a test).
    static let planProperties = ["instances", "scripts", "trackFiles", "trackProcesses", "syncGroups", "fifos", "scriptUser",
                                 "refusedCommands", "lvs", "staticRoutes", "announce", "metricsListen", "vrrpStartupDelay", "vrrpBootDelay", "alerts", "notes", "miscCheckUsers", "daemonUID"]
    static let instanceProperties = ["router", "interface", "addresses", "announced", "extraAnnounced", "unicastPeers", "routes", "vmac",
                                     "vmacLocation", "notify", "trackedInterfaces", "dropsTrafficWhileMaster"]
    static let lvsProperties = ["pools", "checks", "owner", "notes", "ssl", "releaseAtExit", "sync", "timeouts", "flushAtStart",
                                "flushOnStop", "fullNAT"]
    static let poolProperties = ["name", "fifoName", "key", "services", "members", "sorry", "quorum", "hysteresis", "quorumUp",
                                 "quorumDown", "haSuspendAddresses", "omega", "smtpAlert"]
    static let memberProperties = ["name", "destination", "checks", "inhibitOnFailure", "alpha", "notifyUp", "notifyDown",
                                   "fifoName", "smtpAlert"]

    var instances: [String]
    var instanceSettings: [InstanceSettings]
    var scripts: [DaemonPlan.ScriptPlan]
    var trackFiles: [DaemonPlan.TrackFilePlan]
    var trackProcesses: [DaemonPlan.ProcessPlan]
    var syncGroups: [DaemonPlan.SyncGroupPlan]
    var fifos: [String]
    var scriptUser: ScriptCredentials
    var refusedCommands: [String: String]
    var pools: [Pool]
    var checks: [CheckSpec]
    var owners: [String]
    var lvsNotes: [String]
    var ssl: SSLContextSettings?
    var releaseAtExit: Bool
    var sync: SyncDaemonPlan?
    var timeouts: IPVSTimeouts?
    var flushAtStart: Bool
    var flushOnStop: LVSFlushOnStop?
    var fullNAT: [FullNATTable.Rule]
    var staticRoutes: RoutePlan
    var announce: AnnouncePlan
    var metricsListen: String?
    var vrrpStartupDelay: Microseconds
    var vrrpBootDelay: Microseconds
    var alerts: SMTPAlertPlan
    var notes: [String]
    var miscCheckUsers: [ScriptCredentials]
    var daemonUID: UInt32

    /// An instance's settings, compared as a live reload compares them (`sameSettings`);
    /// `vmacLocation` is where `use_vmac` was written, not a setting.
    struct InstanceSettings: Equatable {
        let plan: InstancePlan
        static func == (a: Self, b: Self) -> Bool { a.plan.sameSettings(as: b.plan) }
    }

    /// An IPVS pool as the LVS runner reads it.
    struct Pool: Equatable {
        struct Member: Equatable {
            var name: String
            var destination: IPVSDestination
            var checks: [Int]
            var inhibitOnFailure: Bool
            var alpha: Bool
            var notifyUp: String?
            var notifyDown: String?
            var fifoName: String
            var smtpAlert: Bool
        }

        var name: String
        var fifoName: String
        var key: String
        var services: [IPVSService]
        var members: [Member]
        var sorry: IPVSDestination?
        var quorum: Int
        var hysteresis: Int
        var quorumUp: String?
        var quorumDown: String?
        var haSuspendAddresses: [InternetAddress]
        var omega: Bool
        var smtpAlert: Bool

        init(_ p: LVSPlan.Pool) {
            name = p.name
            fifoName = p.fifoName
            key = p.key
            services = p.services
            members = p.members.map { m in
                Member(name: m.name, destination: m.destination, checks: m.checks, inhibitOnFailure: m.inhibitOnFailure,
                       alpha: m.alpha, notifyUp: m.notifyUp, notifyDown: m.notifyDown, fifoName: m.fifoName,
                       smtpAlert: m.smtpAlert)
            }
            sorry = p.sorry
            quorum = p.quorum
            hysteresis = p.hysteresis
            quorumUp = p.quorumUp
            quorumDown = p.quorumDown
            haSuspendAddresses = p.haSuspendAddresses
            omega = p.omega
            smtpAlert = p.smtpAlert
        }
    }

    init(_ plan: DaemonPlan) {
        instances = plan.instances.map { "\($0.router.name) on \($0.interface.name) (\($0.interface.index))" }
        instanceSettings = plan.instances.map(InstanceSettings.init)
        scripts = plan.scripts
        trackFiles = plan.trackFiles
        trackProcesses = plan.trackProcesses
        syncGroups = plan.syncGroups
        fifos = plan.fifos.map { "\($0.path) \($0.script ?? "-") vrrp \($0.vrrp) lvs \($0.lvs)" }
        scriptUser = plan.scriptUser
        refusedCommands = plan.refusedCommands
        pools = plan.lvs.pools.map(Pool.init)
        checks = plan.lvs.checks
        owners = plan.lvs.owner.map { "\($0.pool).\($0.member)" }
        lvsNotes = plan.lvs.notes
        ssl = plan.lvs.ssl
        releaseAtExit = plan.lvs.releaseAtExit
        sync = plan.lvs.sync
        timeouts = plan.lvs.timeouts
        flushAtStart = plan.lvs.flushAtStart
        flushOnStop = plan.lvs.flushOnStop
        fullNAT = plan.lvs.fullNAT
        staticRoutes = plan.staticRoutes
        announce = plan.announce
        metricsListen = plan.metricsListen
        vrrpStartupDelay = plan.vrrpStartupDelay
        vrrpBootDelay = plan.vrrpBootDelay
        alerts = plan.alerts
        notes = plan.notes
        miscCheckUsers = plan.miscCheckUsers
        daemonUID = plan.daemonUID
    }
}
