import Foundation
import LVS
import Logging
import Synchronization
import Testing
import VigilConfig
import VigilLinux
import VigilTypes
@testable import VigilDaemon
@testable import VigilPlan

/// The LVS runner against a fake IPVS table: what it programs at start, what one check
/// result, a drain or a reload changes (and only that), what it removes at exit, and what
/// it never touches (services someone else put in the kernel).
///
/// The plans have TCP_CHECKs, so the runner starts its NIO checkers as in the daemon; with
/// a delay_loop of an hour they do not connect while a test runs, and their results would
/// wait in the runner's inbox, which only the daemon's loop empties. The results the tests
/// assert on go in through `record`.
@Suite struct LVSRunnerTests {
    /// The kernel's IPVS table as values: each change is applied as the kernel applies it
    /// (through `IPVSDriver`: adding what is there and deleting what is gone are not
    /// errors; editing what is not there is), and every call is recorded.
    final class FakeKernel: IPVSKernel {
        struct Refusal: Error, CustomStringConvertible {
            var description: String
        }

        var table: IPVSTable
        /// Every call, in order: "read", "counters", or the change applied.
        var calls: [String] = []
        var counters: [IPVSCounters] = []

        init(_ services: [IPVSService] = []) { table = IPVSTable(services) }

        /// The connection sync daemons running, as the kernel reports them.
        var daemons: [IPVSSyncDaemon] = []
        var timeouts = IPVSTimeouts()

        /// The changes applied so far.
        var changes: [String] { calls.filter { $0 != "read" && $0 != "counters" && $0 != "daemons" } }

        func flush() throws {
            calls.append("flush")
            table = IPVSTable()
        }

        func syncDaemons() throws -> [IPVSSyncDaemon] {
            calls.append("daemons")
            return daemons
        }

        /// As the kernel: one daemon per role; starting a running one or stopping a stopped
        /// one changes nothing (IPVSDriver turns the kernel's EEXIST/ESRCH into success).
        func apply(_ change: SyncDaemonChange) throws {
            calls.append(change.description)
            switch change {
            case let .start(d): if !daemons.contains(where: { $0.role == d.role }) { daemons.append(d) }
            case let .stop(role): daemons.removeAll { $0.role == role }
            }
        }

        /// As the kernel: a 0 keeps the value it had.
        func setTimeouts(_ t: IPVSTimeouts) throws {
            calls.append("timeouts \(t)")
            if let v = t.tcp, v != 0 { timeouts.tcp = v }
            if let v = t.tcpFin, v != 0 { timeouts.tcpFin = v }
            if let v = t.udp, v != 0 { timeouts.udp = v }
        }

        func read() throws -> IPVSTable {
            calls.append("read")
            return table
        }

        func readCounters() throws -> [IPVSCounters] {
            calls.append("counters")
            return counters
        }

        func apply(_ change: IPVSChange) throws {
            calls.append(change.description)
            switch change {
            case let .addService(s):
                // NEW_SERVICE carries the settings only; the kernel marks what it holds hashed.
                guard table.services[s.key] == nil else { return }
                var bare = s
                bare.destinations = [:]
                bare.flags.insert(.hashed)
                table.services[s.key] = bare
            case let .editService(s):
                guard var have = table.services[s.key] else { throw Refusal(description: "no service \(s.key)") }
                have.scheduler = s.scheduler
                have.flags = s.flags.union(.hashed)
                have.timeout = s.timeout
                have.netmask = s.netmask
                table.services[s.key] = have
            case let .deleteService(key):
                table.services[key] = nil
            case let .addDestination(key, d):
                guard table.services[key] != nil else { throw Refusal(description: "no service \(key)") }
                if table.services[key]?.destinations[d.key] == nil { table.services[key]?.destinations[d.key] = d }
            case let .editDestination(key, d):
                guard table.services[key]?.destinations[d.key] != nil else {
                    throw Refusal(description: "no destination \(d.key) in \(key)")
                }
                table.services[key]?.destinations[d.key] = d
            case let .deleteDestination(key, d):
                table.services[key]?.destinations[d] = nil
            }
        }

        /// A service's destinations as "ADDR:PORT" → weight; nil when the service is not there.
        func weights(_ key: IPVSService.Key) -> [String: Int32]? {
            table.services[key].map { Dictionary(uniqueKeysWithValues: $0.destinations.values.map { ($0.key.description, $0.weight) }) }
        }
    }

    /// Every log line, as "LEVEL message".
    final class LogLines: Sendable {
        private let lines = Mutex<[String]>([])
        func append(_ line: String) { lines.withLock { $0.append(line) } }
        var all: [String] { lines.withLock { $0 } }
    }

    struct Capture: LogHandler {
        let sink: LogLines
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) { sink.append("\(event.level) \(event.message)") }
    }

    // MARK: - Plans

    static func service(_ last: UInt8) -> IPVSService.Key { .endpoint(.v4(IPv4Address(192, 0, 2, last)), port: 80, protocol: .tcp) }
    static let web = service(100)
    static let api = service(101)
    static let extra = service(102)

    /// Someone else's service (ipvsadm, another daemon): never this run's to change.
    static let foreign = IPVSService(
        key: .endpoint(.v4(IPv4Address(192, 0, 2, 200)), port: 443, protocol: .tcp), scheduler: "rr", flags: [.hashed],
        destinations: [IPVSDestination(key: .init(address: .v4(IPv4Address(10, 0, 0, 1)), port: 443), forwarding: .route, weight: 5)])

    /// One virtual_server on 192.0.2.`last`:80 whose real servers 198.51.100.N:80 have
    /// these weights, each with a TCP_CHECK.
    static func virtualServer(_ last: UInt8, _ members: [(UInt8, Int)], inhibit: Bool = false) -> String {
        var text = """
            virtual_server 192.0.2.\(last) 80 {
                delay_loop 3600
                protocol TCP

            """
        if inhibit { text += "    inhibit_on_failure\n" }
        for (n, weight) in members {
            text += """
                    real_server 198.51.100.\(n) 80 {
                        weight \(weight)
                        TCP_CHECK {
                            connect_timeout 1
                        }
                    }

                """
        }
        return text + "}\n"
    }

    /// web (192.0.2.100:80): .1 weight 3, .2 weight 2, .3 weight 1; api (192.0.2.101:80): .4.
    static let webAndAPI = virtualServer(100, [(1, 3), (2, 2), (3, 1)]) + virtualServer(101, [(4, 1)])
    /// After a reload: web as it was, api gone, extra (192.0.2.102:80) with .5 new.
    static let webAndExtra = virtualServer(100, [(1, 3), (2, 2), (3, 1)]) + virtualServer(102, [(5, 1)])

    static func plan(_ text: String) throws -> LVSPlan {
        let result = ConfigurationLoader.load(text: text)
        #expect(result.isValid, "\(result.diagnostics)")
        return try DaemonPlan.make(result.configuration, host: StaticPlanningHost()).lvs
    }

    /// The check of real server 198.51.100.`n`:80 in the plan.
    static func check(_ plan: LVSPlan, _ n: UInt8) throws -> CheckID {
        try #require(plan.owner.indices.first { id in
            let (p, m) = plan.owner[id]
            return plan.pools[p].members[m].endpoint == "198.51.100.\(n):80"
        })
    }

    static func runner(_ plan: LVSPlan, _ kernel: FakeKernel, log: LogLines = LogLines()) -> LVSRunner {
        runner(plan, open: { kernel }, log: log)
    }

    static func runner(_ plan: LVSPlan, open: @escaping () throws -> any IPVSKernel, log: LogLines = LogLines(),
                       fullNAT: FullNATTable? = nil) -> LVSRunner {
        let logger = Logger(label: "test") { _ in Capture(sink: log) }
        let children = ChildSupervisor()
        return LVSRunner(plan, logger: logger, scripts: NotifyRunner(logger: logger, children: children), children: children,
                         fullNAT: fullNAT, openKernel: open)
    }

    static let webWeights: [String: Int32] = ["198.51.100.1:80": 3, "198.51.100.2:80": 2, "198.51.100.3:80": 1]

    // MARK: - Start

    @Test func startProgramsTheConfiguredTableIntoAnEmptyKernel() throws {
        let kernel = FakeKernel()
        let runner = Self.runner(try Self.plan(Self.webAndAPI), kernel)
        runner.start()
        #expect(Set(kernel.table.services.keys) == [Self.web, Self.api])
        #expect(kernel.weights(Self.web) == Self.webWeights)
        #expect(kernel.weights(Self.api) == ["198.51.100.4:80": 1])
        let web = try #require(kernel.table.services[Self.web])
        #expect(web.scheduler == "wlc" && web.destinations.values.allSatisfy { $0.forwarding == .masquerade })
        #expect(kernel.calls.first == "read" && kernel.calls.filter { $0 == "read" }.count == 1, "one read, then the changes")
        #expect(kernel.changes.count == 6, "2 services + 4 destinations: \(kernel.changes)")
        runner.stop()
    }

    /// A service already in the kernel as configured (after a restart with
    /// --dont-release-ipvs, say) is taken over as it is: no change touches it.
    @Test func aServiceAlreadyAsConfiguredIsAdoptedUnchanged() throws {
        let plan = try Self.plan(Self.webAndAPI)
        var present = try #require(plan.desired.services[Self.web])
        present.flags.insert(.hashed)  // as the kernel reports every service
        let kernel = FakeKernel([present])
        let runner = Self.runner(plan, kernel)
        runner.start()
        #expect(kernel.changes == ["add service TCP 192.0.2.101:80 wlc", "add 198.51.100.4:80 Masq 1 to TCP 192.0.2.101:80"])
        #expect(kernel.table.services[Self.web] == present)
        runner.stop()
        #expect(kernel.table.services.isEmpty, "adopted, so this run's to remove at exit")
    }

    /// A configured service in the kernel with other settings and other real servers is
    /// edited in place (its connections stay), its real servers made as configured.
    @Test func aServiceWithOtherSettingsIsEditedInPlace() throws {
        let plan = try Self.plan(Self.virtualServer(100, [(1, 3), (2, 2), (3, 1)]))
        let stale = IPVSService(key: Self.web, scheduler: "rr", flags: [.hashed], destinations: [
            IPVSDestination(key: .init(address: .v4(IPv4Address(198, 51, 100, 1)), port: 80), weight: 3),
            IPVSDestination(key: .init(address: .v4(IPv4Address(198, 51, 100, 9)), port: 80), weight: 1),
        ])
        let kernel = FakeKernel([stale])
        let runner = Self.runner(plan, kernel)
        runner.start()
        #expect(kernel.changes == ["edit service TCP 192.0.2.100:80 wlc", "delete 198.51.100.9:80 from TCP 192.0.2.100:80",
                                   "add 198.51.100.2:80 Masq 2 to TCP 192.0.2.100:80", "add 198.51.100.3:80 Masq 1 to TCP 192.0.2.100:80"])
        #expect(kernel.table.services[Self.web]?.scheduler == "wlc")
        #expect(kernel.weights(Self.web) == Self.webWeights)
        runner.stop()
    }

    // MARK: - What is not ours

    @Test func aForeignServiceIsLeftAloneAtStartAtAChangeAndAtStop() throws {
        let plan = try Self.plan(Self.webAndAPI)
        let kernel = FakeKernel([Self.foreign])
        let runner = Self.runner(plan, kernel)
        runner.start()
        #expect(kernel.table.services[Self.foreign.key] == Self.foreign)
        runner.record([(try Self.check(plan, 1), .down("connection refused"))])
        #expect(kernel.weights(Self.web) == ["198.51.100.2:80": 2, "198.51.100.3:80": 1])
        #expect(kernel.table.services[Self.foreign.key] == Self.foreign)
        runner.stop()
        #expect(kernel.table == IPVSTable([Self.foreign]), "only ours removed")
        #expect(!kernel.changes.contains { $0.contains("192.0.2.200") }, "\(kernel.changes)")
    }

    // MARK: - Check results

    /// A real server going down leaves the table and coming back returns: each one change,
    /// never a rebuild, and no read of the kernel's table (the runner keeps what it read at
    /// start and what it changed since: at 200 services × 50 real servers a read is 200
    /// dumps). A result that changes nothing touches nothing.
    @Test func aResultChangesTheTableByExactlyTheRealServersDifference() throws {
        let plan = try Self.plan(Self.webAndAPI)
        let kernel = FakeKernel()
        let runner = Self.runner(plan, kernel)
        runner.start()
        let programmed = kernel.table
        let one = try Self.check(plan, 1)

        kernel.calls = []
        runner.record([(one, .down("connection refused"))])
        #expect(kernel.calls == ["delete 198.51.100.1:80 from TCP 192.0.2.100:80"])
        #expect(kernel.weights(Self.web) == ["198.51.100.2:80": 2, "198.51.100.3:80": 1])
        #expect(kernel.weights(Self.api) == ["198.51.100.4:80": 1])

        kernel.calls = []
        runner.record([(one, .down("timeout after 1 s"))])
        #expect(kernel.calls.isEmpty, "still down: nothing to change")

        runner.record([(one, .up)])
        #expect(kernel.calls == ["add 198.51.100.1:80 Masq 3 to TCP 192.0.2.100:80"])
        #expect(kernel.table == programmed)

        // Two results in one batch, in two pools: both changes, no read.
        kernel.calls = []
        runner.record([(one, .down("refused")), (try Self.check(plan, 4), .down("refused"))])
        #expect(kernel.calls == ["delete 198.51.100.1:80 from TCP 192.0.2.100:80", "delete 198.51.100.4:80 from TCP 192.0.2.101:80"])
        #expect(kernel.weights(Self.api) == [:])
        runner.stop()
    }

    /// The runner's view of the kernel can be wrong (someone ran ipvsadm): a change the
    /// kernel refuses is logged, and the next change reads the table again and mends it.
    @Test func aRefusedChangeMakesTheNextOneReadTheKernelAgain() throws {
        let plan = try Self.plan(Self.webAndAPI)
        let kernel = FakeKernel()
        let log = LogLines()
        let runner = Self.runner(plan, kernel, log: log)
        runner.start()
        let one = try Self.check(plan, 1), two = try Self.check(plan, 2)
        kernel.table.services[Self.web] = nil  // removed by hand
        kernel.calls = []
        runner.record([(two, .down("refused"))])
        #expect(kernel.calls == ["delete 198.51.100.2:80 from TCP 192.0.2.100:80"], "deleting what is gone is no error")
        runner.record([(two, .up)])
        #expect(log.all.contains { $0.hasPrefix("error") && $0.contains("192.0.2.100:80") }, "\(log.all)")
        kernel.calls = []
        runner.record([(one, .down("refused"))])
        #expect(kernel.calls.first == "read", "\(kernel.calls)")
        #expect(kernel.weights(Self.web) == ["198.51.100.2:80": 2, "198.51.100.3:80": 1], "the service is back, as the checks say")
        runner.stop()
    }

    @Test func inhibitOnFailureKeepsADownRealServerAtWeightZero() throws {
        let plan = try Self.plan(Self.virtualServer(100, [(1, 3), (2, 2), (3, 1)], inhibit: true))
        let kernel = FakeKernel()
        let runner = Self.runner(plan, kernel)
        runner.start()
        let two = try Self.check(plan, 2)
        kernel.calls = []
        runner.record([(two, .down("connection refused"))])
        #expect(kernel.calls == ["edit 198.51.100.2:80 Masq 0 in TCP 192.0.2.100:80"])
        #expect(kernel.weights(Self.web) == ["198.51.100.1:80": 3, "198.51.100.2:80": 0, "198.51.100.3:80": 1])
        kernel.calls = []
        runner.record([(two, .up)])
        #expect(kernel.calls == ["edit 198.51.100.2:80 Masq 2 in TCP 192.0.2.100:80"])
        #expect(kernel.weights(Self.web) == Self.webWeights)
        runner.stop()
    }

    // MARK: - Drain

    @Test func drainSetsWeightZeroAndUndrainPutsItBack() throws {
        let plan = try Self.plan(Self.webAndAPI)
        let kernel = FakeKernel()
        let runner = Self.runner(plan, kernel)
        runner.start()
        kernel.calls = []

        let drained = runner.drain(virtualServer: "192.0.2.100:80", realServer: "198.51.100.2:80", true)
        #expect((try? drained.get())?.contains("drained (weight 0)") == true, "\(drained)")
        #expect(kernel.calls == ["edit 198.51.100.2:80 Masq 0 in TCP 192.0.2.100:80"])
        #expect(kernel.weights(Self.web)?["198.51.100.2:80"] == 0)

        kernel.calls = []
        let again = runner.drain(virtualServer: "192.0.2.100:80", realServer: "198.51.100.2", true)
        #expect((try? again.get())?.contains("already drained") == true, "\(again)")
        #expect(kernel.calls.isEmpty)

        let undrained = runner.drain(virtualServer: "192.0.2.100:80", realServer: "198.51.100.2:80", false)
        #expect((try? undrained.get())?.contains("undrained (weight 2)") == true, "\(undrained)")
        #expect(kernel.weights(Self.web) == Self.webWeights)
        #expect(runner.status().first?.realServers.map(\.drained) == [false, false, false])
        runner.stop()
    }

    @Test func drainingAnUnknownServerFailsAndChangesNothing() throws {
        let kernel = FakeKernel()
        let runner = Self.runner(try Self.plan(Self.webAndAPI), kernel)
        runner.start()
        let programmed = kernel.table
        kernel.calls = []
        guard case let .failure(noRS) = runner.drain(virtualServer: "192.0.2.100:80", realServer: "198.51.100.9:80", true) else {
            Issue.record("an unknown real server was drained")
            return
        }
        #expect(noRS.description.contains("has no real server 198.51.100.9:80"))
        guard case let .failure(noVS) = runner.drain(virtualServer: "192.0.2.99:80", realServer: "198.51.100.1:80", true) else {
            Issue.record("a real server of an unknown virtual server was drained")
            return
        }
        #expect(noVS.description.contains("no virtual server 192.0.2.99:80"))
        #expect(kernel.calls.isEmpty && kernel.table == programmed)
        runner.stop()
    }

    // MARK: - Reload

    /// A reload applies the difference: web stays as it is (its down real server stays
    /// out), api is deleted, extra is created, the foreign service is not touched; a
    /// result for the new plan's checks then moves the table again.
    @Test func reloadKeepsHealthDeletesRemovedAndCreatesAddedServices() throws {
        let before = try Self.plan(Self.webAndAPI)
        let kernel = FakeKernel([Self.foreign])
        let runner = Self.runner(before, kernel)
        runner.start()
        runner.record([(try Self.check(before, 2), .down("connection refused"))])
        #expect(kernel.weights(Self.web) == ["198.51.100.1:80": 3, "198.51.100.3:80": 1])

        kernel.calls = []
        let after = try Self.plan(Self.webAndExtra)
        runner.reload(after)
        #expect(kernel.changes == ["add service TCP 192.0.2.102:80 wlc", "add 198.51.100.5:80 Masq 1 to TCP 192.0.2.102:80",
                                   "delete service TCP 192.0.2.101:80"])
        #expect(Set(kernel.table.services.keys) == [Self.web, Self.extra, Self.foreign.key])
        #expect(kernel.weights(Self.web) == ["198.51.100.1:80": 3, "198.51.100.3:80": 1], "the down server stays out")
        #expect(kernel.table.services[Self.foreign.key] == Self.foreign)
        #expect(runner.status().first { $0.name == "192.0.2.100:80" }?.realServers.map(\.healthy) == [true, false, true])

        runner.record([(try Self.check(after, 2), .up)])
        #expect(kernel.weights(Self.web) == Self.webWeights)
        runner.stop()
        #expect(kernel.table == IPVSTable([Self.foreign]), "extra is this run's now, api went at the reload")
    }

    // MARK: - Stop

    @Test func stopRemovesOnlyWhatThisRunOwns() throws {
        let kernel = FakeKernel([Self.foreign])
        let runner = Self.runner(try Self.plan(Self.webAndAPI), kernel)
        runner.start()
        kernel.calls = []
        runner.stop()
        #expect(kernel.changes == ["delete service TCP 192.0.2.100:80", "delete service TCP 192.0.2.101:80"])
        #expect(kernel.table == IPVSTable([Self.foreign]))
    }

    /// A box with nft whose configuration has no FNAT service never runs nft for it, at
    /// start or at exit (an "nft" that records its runs stands in).
    @Test func withoutFullNATNftNeverRuns() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-nft-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let record = dir.appendingPathComponent("runs").path
        let nft = dir.appendingPathComponent("nft").path
        try "#!/bin/sh\necho \"$*\" >> \(record)\n".write(toFile: nft, atomically: true, encoding: .utf8)
        chmod(nft, 0o755)
        let kernel = FakeKernel([])
        let runner = Self.runner(try Self.plan(Self.webAndAPI), open: { kernel }, fullNAT: FullNATTable(nft: NFTables(path: nft)))
        runner.start()
        runner.reload(try Self.plan(Self.webAndAPI))
        runner.stop()
        #expect(!FileManager.default.fileExists(atPath: record), "nft ran: \((try? String(contentsOfFile: record, encoding: .utf8)) ?? "")")
        #expect(kernel.table.services.isEmpty, "the run did start and stop")
    }

    /// A translation nft failed to make (here an "nft" that fails its first run; on a box,
    /// an error or a run past its 2 s) is made again from the loop, 1 s later, then 2 s,
    /// 4 s… — not left missing until a reload, when the FNAT services answer nothing.
    @Test func aFailedTranslationIsMadeAgainLater() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-nft-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let record = dir.appendingPathComponent("runs").path, failures = dir.appendingPathComponent("failures").path
        let nft = dir.appendingPathComponent("nft").path
        // Each run reads its script and notes it; it fails while the failures file says so.
        try "#!/bin/sh\ncat > /dev/null\necho run >> \(record)\nn=$(cat \(failures))\n[ \"$n\" -gt 0 ] || exit 0\necho $((n - 1)) > \(failures)\necho 'netlink: Error: busy' >&2\nexit 1\n"
            .write(toFile: nft, atomically: true, encoding: .utf8)
        chmod(nft, 0o755)
        try "2\n".write(toFile: failures, atomically: true, encoding: .utf8)
        let runs = { ((try? String(contentsOfFile: record, encoding: .utf8)) ?? "").split(separator: "\n").count }
        let fnat = """
            local_address_group lip {
                198.18.0.101-103
            }
            virtual_server 192.0.2.100 80 {
                delay_loop 3600
                lb_kind FNAT
                laddr_group_name lip
                protocol TCP
                real_server 198.51.100.1 80 {
                    TCP_CHECK {
                        connect_timeout 1
                    }
                }
            }

            """
        let kernel = FakeKernel([]), log = LogLines()
        let runner = Self.runner(try Self.plan(fnat), open: { kernel }, log: log, fullNAT: FullNATTable(nft: NFTables(path: nft)))
        runner.start()
        #expect(runs() == 1)
        #expect(kernel.table.services.count == 1, "the service is programmed all the same")
        let first = try #require(runner.nextDeadline, "a retry is due")
        #expect(log.all.contains { $0.hasPrefix("error FNAT: nft -f -") && $0.hasSuffix("trying again in 1 s") }, "\(log.all)")
        runner.advance(to: first + -1)
        #expect(runs() == 1, "not before it is due")
        runner.advance(to: first)
        #expect(runs() == 2)
        let second = try #require(runner.nextDeadline, "failed again: another retry")
        #expect(second - first == 2_000_000, "the wait doubles")
        runner.advance(to: second)
        #expect(runs() == 3)
        #expect(runner.nextDeadline == nil, "made: nothing more to retry")
        #expect(log.all.contains("info FNAT: 1 source translation(s) in nftables table inet vigil_fullnat (made on a retry)"), "\(log.all)")
        runner.stop()
        #expect(runs() == 4, "and removed at exit")
    }

    @Test func withoutReleaseAtExitStopLeavesTheTable() throws {
        var plan = try Self.plan(Self.webAndAPI)
        plan.releaseAtExit = false
        let kernel = FakeKernel([Self.foreign])
        let log = LogLines()
        let runner = Self.runner(plan, kernel, log: log)
        runner.start()
        let programmed = kernel.table
        kernel.calls = []
        runner.stop()
        #expect(kernel.calls.isEmpty && kernel.table == programmed)
        #expect(log.all.contains { $0.contains("left 2 virtual service(s) in place") }, "\(log.all)")
    }

    // MARK: - Without a kernel

    /// No IPVS: one error line, the runner goes on (results are still recorded, `vigil
    /// status` still answers); a reload tries the kernel again and programs it then.
    @Test func aKernelThatWillNotOpenIsLoggedAndStatusStillAnswers() throws {
        struct NoIPVS: Error, CustomStringConvertible {
            var description: String { "IPVS is not available in this kernel: test" }
        }
        let plan = try Self.plan(Self.webAndAPI)
        let kernel = FakeKernel()
        final class Count { var opens = 0 }
        let count = Count()
        let log = LogLines()
        let runner = Self.runner(plan, open: {
            count.opens += 1
            if count.opens == 1 { throw NoIPVS() }
            return kernel
        }, log: log)
        runner.start()
        #expect(log.all.contains { $0.hasPrefix("error IPVS is not available") && $0.contains("not programmed") }, "\(log.all)")

        runner.record([(try Self.check(plan, 1), .down("connection refused"))])
        let status = runner.status(counters: true)
        #expect(status.map(\.name) == ["192.0.2.100:80", "192.0.2.101:80"])
        #expect(status[0].realServers.map(\.healthy) == [false, true, true])
        #expect(status[0].realServers.map(\.weight) == [nil, 2, 1])
        #expect(kernel.calls.isEmpty)

        runner.reload(plan)
        #expect(count.opens == 2)
        #expect(kernel.weights(Self.web) == ["198.51.100.2:80": 2, "198.51.100.3:80": 1])
        runner.stop()
        #expect(kernel.table.services.isEmpty)
    }

    @Test func statusReadsTheKernelsCountersOnlyWhenAsked() throws {
        let kernel = FakeKernel()
        var c = IPVSCounters(service: Self.web, destination: .init(address: .v4(IPv4Address(198, 51, 100, 1)), port: 80))
        c.connections = 7
        c.activeConnections = 2
        kernel.counters = [c]
        let runner = Self.runner(try Self.plan(Self.webAndAPI), kernel)
        runner.start()
        kernel.calls = []
        #expect(runner.status().first?.realServers.first?.connections == nil)
        #expect(kernel.calls.isEmpty)
        let rs = runner.status(counters: true).first?.realServers.first
        #expect(rs?.connections == 7 && rs?.activeConnections == 2)
        #expect(kernel.calls == ["counters"])
        runner.stop()
    }
}
