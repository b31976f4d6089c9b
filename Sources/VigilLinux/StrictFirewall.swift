#if canImport(Glibc)
import Glibc
#endif
import VRRP
import VigilTypes

/// The drop rules of `no_accept` (strict mode's default): while an instance is master, its
/// virtual addresses must not answer — RFC 3768 has no Accept_Mode and RFC 5798's
/// defaults to off — yet the kernel answers any address on an interface. keepalived puts
/// the addresses in an nftables set and drops packets to them in input and from them in
/// output; ARP is not IP and still answers, so the address keeps moving with the master.
/// Over IPv6, neighbour solicitations and advertisements are let through for the same
/// reason.
///
/// Vigil does the same in a table of its own, `table inet vigil`, through the `nft`
/// program (`nft -f -`, each change one atomic transaction). It never touches another
/// table and never flushes the ruleset. The table exists only while something is dropped,
/// so "no table" is what a backup, a stopped daemon and an accepting instance look like.
///
/// nft runs as a child of the `ChildSupervisor`, never waited for in the daemon's loop (a
/// run takes 5-20 ms, a hung one up to its timeout, and other instances' adverts must go
/// on meanwhile): `request` says what must be dropped, `advance` collects the run's end
/// and starts the next. One run at a time; what is wanted while one runs is applied by
/// the next, the newest wish winning.
public final class StrictFirewall {
    /// An address to drop traffic to and from (nft reads its RFC 5952 text).
    public typealias Address = InternetAddress

    public typealias Failure = NFTables.Failure

    /// A run that ended: what the table now drops, or why it is unknown.
    public enum Completion: Sendable, Equatable {
        case applied(Set<Address>)
        case failed(String)
    }

    /// Family and name, as nft spells them.
    public static let table = "inet vigil"
    /// Chain priority: just before the usual `filter` chains (priority 0), as keepalived's -1.
    static let priority = -1

    /// The nft program.
    public let nft: NFTables
    /// What the table drops as far as this process knows: [] no table, nil unknown (before
    /// `removeLeftover`, or after a failed nft run).
    public private(set) var installed: Set<Address>?
    /// PIDs of the last nft runs made here: their transactions are Vigil's own, not
    /// another program's (`NFTablesMonitor` names the committing process).
    public private(set) var recentRuns: [Int32] = []
    /// The run under way: its PID and what the table drops when it succeeds.
    private var running: (pid: pid_t, result: Set<Address>)?
    /// What must be dropped (nil: nothing asked yet).
    private var wanted: Set<Address>?
    /// The wish whose run failed: not tried again (nft is broken, say) until the wish
    /// changes or the table is `forget`-ten.
    private var failedWish: Set<Address>?

    public init(nft: NFTables) { self.nft = nft }

    /// Deletes Vigil's table if an earlier run left it (killed before its cleanup); true
    /// when there was one. Run at start, before any instance can become master (it waits
    /// for nft).
    public func removeLeftover(children: ChildSupervisor, now: () -> Instant) throws(Failure) -> Bool {
        let listing = try runToEnd(["list", "tables"], script: nil, children: children, now: now)
        guard NFTables.lists(Self.table, in: listing) else {
            installed = []
            return false
        }
        try applyToEnd(Self.deleteScript, giving: [], children: children, now: now)
        return true
    }

    /// Deletes the table unless it is known to be absent (at exit; it waits for nft).
    public func remove(children: ChildSupervisor, now: () -> Instant) throws(Failure) {
        if let running { children.abandon(running.pid, at: now()) }
        running = nil
        wanted = []
        guard installed != [] else { return }
        try applyToEnd(Self.deleteScript, giving: [], children: children, now: now)
    }

    /// The table must drop exactly `addresses`: a run starts now, or after the one under way.
    public func request(_ addresses: Set<Address>, children: ChildSupervisor, now: Instant) {
        if addresses != wanted { failedWish = nil }
        wanted = addresses
        startNext(children: children, now: now)
    }

    /// Whether a run is under way or due that decides whether `addresses` are dropped: the
    /// caller holds back what must come after the rules (adding those VIPs).
    public func isSettling(_ addresses: Set<Address>) -> Bool {
        guard running != nil || (wanted != installed && wanted != failedWish) else { return false }
        return installed.map { !$0.isSuperset(of: addresses) } ?? true
    }

    /// Another program changed the table: its state is unknown, and the next run replaces
    /// it whole.
    public func forget() {
        installed = nil
        failedWish = nil
    }

    /// Collects the run under way if it ended, and starts the next if the wish moved on.
    public func advance(children: ChildSupervisor, now: Instant) -> Completion? {
        guard let run = running, let ending = children.take(run.pid) else { return nil }
        running = nil
        let completion: Completion
        do {
            _ = try NFTables.judge(ending, "nft -f -")
            installed = run.result
            completion = .applied(run.result)
        } catch {
            installed = nil
            failedWish = wanted
            completion = .failed(error.description)
        }
        startNext(children: children, now: now)
        return completion
    }

    private func startNext(children: ChildSupervisor, now: Instant) {
        guard running == nil, let wanted, wanted != installed, wanted != failedWish else { return }
        let script = script(for: wanted)
        do {
            let pid = try nft.start(script, children: children, now: now)
            recentRuns = Array((recentRuns + [pid]).suffix(16))
            running = (pid, wanted)
        } catch {
            installed = nil
            failedWish = wanted
        }
    }

    /// The transaction that takes the table from what is installed to `wanted`. Cost
    /// matters on takeover (the rules go in before the VIPs): creating the table takes
    /// about 5 ms and changing the set's elements as much, but deleting a table with hooked
    /// chains waits for the kernel (about 15 ms), so the table is deleted only when nothing
    /// is dropped any more, and replaced whole only when its state is unknown.
    func script(for wanted: Set<Address>) -> String {
        if wanted.isEmpty { return Self.deleteScript }
        if installed == [] { return Self.createScript(wanted) }
        if installed != nil { return Self.replaceElementsScript(wanted) }
        return Self.deleteScript + Self.createScript(wanted)
    }

    private func applyToEnd(_ script: String, giving result: Set<Address>, children: ChildSupervisor,
                            now: () -> Instant) throws(Failure) {
        do {
            _ = try runToEnd(["-f", "-"], script: script, children: children, now: now)
            installed = result
        } catch {
            installed = nil
            throw error
        }
    }

    static let deleteScript = NFTables.deleteScript(table)

    /// The table from nothing: a set per family and an input and an output chain.
    static func createScript(_ addresses: Set<Address>) -> String {
        let (v4, v6) = split(addresses)
        func set(_ name: String, _ type: String, _ elements: [String]) -> String {
            let list = elements.isEmpty ? "" : " elements = { \(elements.joined(separator: ", ")) };"
            return "  set \(name) { type \(type);\(list) }\n"
        }
        func chain(_ name: String, hook: String, _ field: String) -> String {
            """
              chain \(name) {
                type filter hook \(hook) priority \(priority); policy accept;
                icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept
                ip \(field) @vips4 drop
                ip6 \(field) @vips6 drop
              }

            """
        }
        return "table \(table) {\n" + set("vips4", "ipv4_addr", v4) + set("vips6", "ipv6_addr", v6)
            + chain("input", hook: "input", "daddr") + chain("output", hook: "output", "saddr") + "}\n"
    }

    /// New contents for the sets of an existing table, in one transaction.
    static func replaceElementsScript(_ addresses: Set<Address>) -> String {
        let (v4, v6) = split(addresses)
        var text = "flush set \(table) vips4\nflush set \(table) vips6\n"
        if !v4.isEmpty { text += "add element \(table) vips4 { \(v4.joined(separator: ", ")) }\n" }
        if !v6.isEmpty { text += "add element \(table) vips6 { \(v6.joined(separator: ", ")) }\n" }
        return text
    }

    private static func split(_ addresses: Set<Address>) -> (v4: [String], v6: [String]) {
        var v4: [String] = [], v6: [String] = []
        for a in addresses.sorted() {
            if case .v4 = a { v4.append(a.description) } else { v6.append(a.description) }
        }
        return (v4, v6)
    }

    /// Runs nft to its end (it waits), remembering the run as Vigil's own.
    private func runToEnd(_ arguments: [String], script: String?, children: ChildSupervisor,
                          now: () -> Instant) throws(Failure) -> String {
        let (pid, output) = try nft.runToEnd(arguments, script: script, children: children, now: now)
        recentRuns = Array((recentRuns + [pid]).suffix(16))
        return output
    }
}
