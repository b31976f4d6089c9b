import FoundationEssentials

/// What `vigil status` shows: every VRRP instance and every virtual server, as the daemon
/// sees them now. The daemon sends it as JSON (`vigil status --json` prints that as is);
/// `table` is the human view.
public struct StatusReport: Codable, Sendable, Equatable {
    /// The daemon's build (nil from a daemon older than the field).
    public var version: String?
    public var pid: Int32
    public var configuration: String
    /// Seconds since the daemon started.
    public var uptime: Double
    /// The last reload's outcome ("never", "ok …", "refused …").
    public var lastReload: String
    public var instances: [Instance] = []
    public var syncGroups: [SyncGroup] = []
    public var virtualServers: [VirtualServer] = []
    /// Rejected packets that reached no instance (bad header, unknown VRID), per interface.
    public var interfaceRejections: [String: [String: Int]] = [:]
    /// The child processes (scripts, checks, nft) since start (nil from an older daemon).
    public var children: Children?
    /// `announce`: each host route, announced or not, why, since when (nil: none configured).
    public var announcements: [Announcement]? = nil

    public struct Announcement: Codable, Sendable, Equatable {
        public var address: String
        public var announced: Bool
        public var reason: String
        /// Seconds since the state began.
        public var forSeconds: Double
    }

    /// What the child supervisor has seen: a flapping instance or a hung script shows here.
    public struct Children: Codable, Sendable, Equatable {
        public var running: Int
        public var started: Int
        /// The most alive at once.
        public var peak: Int
        /// Signalled at their deadline (timeout).
        public var killedAtDeadline: Int
        /// Notify transitions whose scripts never ran: a newer transition of the same
        /// owner replaced them while a chain ran.
        public var notifyChainsSkipped: Int
    }

    public struct Instance: Codable, Sendable, Equatable {
        public var name: String
        public var interface: String
        public var virtualRouterID: Int
        public var state: String
        public var priority: Int
        public var configuredPriority: Int
        /// Set by `vigil priority` / `vigil resign`.
        public var priorityOverride: Int?
        /// "this box" when master, the address last heard from otherwise (nil: none).
        public var master: String?
        public var masterPriority: Int?
        public var virtualAddresses: [String]
        public var advertsReceived: Int
        public var advertsSent: Int
        public var transitions: Int
        public var becameMaster: Int
        /// Rejected adverts by reason (RFC 3768 §7.1's checks and the decoder's).
        public var rejections: [String: Int]
        public var faults: [String]
        /// What another program removed from this master and Vigil put back, by kind.
        public var restored: [String: Int]? = nil
        /// VIPs another program added while this box was not master.
        public var foreignAddresses: Int? = nil
    }

    public struct SyncGroup: Codable, Sendable, Equatable {
        public var name: String
        public var state: String
        public var members: [String]
    }

    public struct VirtualServer: Codable, Sendable, Equatable {
        public var name: String
        public var quorum: Int
        public var hasQuorum: Bool
        public var sorryServerIn: Bool
        public var checksSuspended: Bool
        public var realServers: [RealServer]
    }

    public struct RealServer: Codable, Sendable, Equatable {
        public var address: String
        public var healthy: Bool
        public var drained: Bool
        /// The weight in the IPVS table now (nil: not in the table).
        public var weight: Int?
        public var configuredWeight: Int
        public var lastCheck: String?
        /// The kernel's counters for this real server, summed over the virtual server's
        /// services (nil without IPVS).
        public var activeConnections: Int?
        public var inactiveConnections: Int?
        public var connections: UInt64?
        public var inBytes: UInt64?
        public var outBytes: UInt64?
    }

    public init(pid: Int32, configuration: String, uptime: Double, lastReload: String, version: String? = BuildInfo.version) {
        self.version = version
        self.pid = pid
        self.configuration = configuration
        self.uptime = uptime
        self.lastReload = lastReload
    }

    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    public static func decode(_ text: String) throws -> StatusReport {
        try JSONDecoder().decode(StatusReport.self, from: Data(text.utf8))
    }

    /// Aligned tables: instances, then each virtual server's real servers.
    public var table: String {
        var out = "vigil \(version.map { "\($0) " } ?? "")pid \(pid), \(configuration), up \(Self.duration(uptime)); last reload: \(lastReload)\n"
        if !instances.isEmpty {
            // RESTORED appears once another program has touched a VIP of this box.
            let showGuard = instances.contains { !($0.restored ?? [:]).isEmpty || ($0.foreignAddresses ?? 0) > 0 }
            out += "\n" + Self.align([["INSTANCE", "IF", "VRID", "STATE", "PRIO", "MASTER", "VIPS", "ADV IN", "ADV OUT", "TRANS", "REJECTED"]
                                      + (showGuard ? ["RESTORED"] : [])]
                + instances.map { i in
                    let prio = i.priority == i.configuredPriority && i.priorityOverride == nil ? "\(i.priority)"
                        : "\(i.priority) (\(i.priorityOverride.map { "set \($0)" } ?? "conf \(i.configuredPriority)"))"
                    let rejected = i.rejections.isEmpty ? "0"
                        : i.rejections.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
                    let master = i.master.map { m in i.masterPriority.map { "\(m) (\($0))" } ?? m } ?? "-"
                    let guarded = [(i.restored ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","),
                                   (i.foreignAddresses ?? 0) > 0 ? "foreign=\(i.foreignAddresses ?? 0)" : ""].filter { !$0.isEmpty }
                    return [i.name, i.interface, "\(i.virtualRouterID)", i.state + (i.faults.isEmpty ? "" : " [\(i.faults.joined(separator: "; "))]"),
                            prio, master, i.virtualAddresses.joined(separator: ","), "\(i.advertsReceived)",
                            "\(i.advertsSent)", "\(i.transitions)", rejected] + (showGuard ? [guarded.isEmpty ? "0" : guarded.joined(separator: ",")] : [])
                })
        }
        if let c = children, c.started > 0 {
            out += "\nchildren: \(c.running) running, \(c.started) started, at most \(c.peak) at once, \(c.killedAtDeadline) killed at their timeout"
                + (c.notifyChainsSkipped > 0 ? ", \(c.notifyChainsSkipped) notify transition(s) skipped for a newer one" : "") + "\n"
        }
        if !syncGroups.isEmpty {
            out += "\n" + Self.align([["SYNC GROUP", "STATE", "MEMBERS"]]
                + syncGroups.map { [$0.name, $0.state, $0.members.joined(separator: ",")] })
        }
        if let announcements, !announcements.isEmpty {
            out += "\n" + Self.align([["ANNOUNCE", "STATE", "FOR", "WHY"]]
                + announcements.map { [$0.address, $0.announced ? "announced" : "withdrawn", Self.duration($0.forSeconds), $0.reason] })
        }
        for vs in virtualServers {
            var flags: [String] = ["quorum \(vs.quorum) \(vs.hasQuorum ? "held" : "LOST")"]
            if vs.sorryServerIn { flags.append("sorry server in") }
            if vs.checksSuspended { flags.append("checks suspended (ha_suspend)") }
            out += "\n\(vs.name) (\(flags.joined(separator: ", ")))\n"
            let counters = vs.realServers.contains { $0.connections != nil }
            out += Self.align([["  REAL SERVER", "HEALTH", "WEIGHT"] + (counters ? ["ACT/INACT", "CONNS", "BYTES IN/OUT"] : []) + ["LAST CHECK"]]
                + vs.realServers.map { r in
                    let weight = r.weight.map { "\($0)" } ?? "-"
                    let health = (r.healthy ? "up" : "down") + (r.drained ? " (drained)" : "")
                    var row = ["  " + r.address, health,
                               r.weight == r.configuredWeight || r.weight == nil ? weight : "\(weight)/\(r.configuredWeight)"]
                    if counters {
                        row += [r.activeConnections.map { "\($0)/\(r.inactiveConnections ?? 0)" } ?? "-",
                                r.connections.map { "\($0)" } ?? "-",
                                r.inBytes.map { "\(Self.bytes($0))/\(Self.bytes(r.outBytes ?? 0))" } ?? "-"]
                    }
                    return row + [r.lastCheck ?? "-"]
                })
        }
        return out
    }

    static func align(_ rows: [[String]]) -> String {
        guard let first = rows.first else { return "" }
        var widths = Array(repeating: 0, count: first.count)
        for row in rows { for (c, cell) in row.enumerated() where c < widths.count { widths[c] = max(widths[c], cell.count) } }
        return rows.map { row in
            row.enumerated().map { c, cell in
                c == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[c] - cell.count)
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }

    /// 1234567 → 1.2M (bytes, as ipvsadm --stats -n --human-readable would not: it has none).
    static func bytes(_ n: UInt64) -> String {
        let units = ["", "K", "M", "G", "T"]
        var value = Double(n), unit = 0
        while value >= 1000, unit < units.count - 1 { value /= 1000; unit += 1 }
        return unit == 0 ? "\(n)" : "\((value * 10).rounded() / 10)\(units[unit])"
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds)
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m\(s % 60)s" }
        return "\(s / 3600)h\((s % 3600) / 60)m"
    }
}
