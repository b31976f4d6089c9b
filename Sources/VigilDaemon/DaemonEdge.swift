import Logging
import VigilLinux
import VigilPlan
import VigilTypes

/// Virtual routes and rules as the daemon keeps them: installed and removed with VIPs
/// (`RouteInstalling`), put back when another program deletes them, and cleared of an
/// earlier run's leftovers at start (`VirtualRoutes`).
protocol RouteKeeping: RouteInstalling {
    /// Installs what of the plan is missing; says what that was.
    func reinstallMissing(_ plan: RoutePlan, for owner: String) -> (routes: [String], rules: [String])
    func removeLeftovers(_ plan: RoutePlan, for owner: String)
}

extension VirtualRoutes: RouteKeeping {}

/// What the daemon changes on the box and asks of it, in one place: the links' sockets,
/// macvlans and announcers, the VIPs, the virtual routes, the interface table, the clock, nft, IPVS. The kernel's
/// (`kernel(logger:)`) for `vigil run`; fakes in the unit tests, so the daemon's start,
/// its reload and its hand-over run without a kernel.
///
/// The loop's event sources (signals, link and routing monitors, the control socket) are
/// not here: a test drives the daemon by calling what the loop calls.
struct DaemonEdge {
    var links: any LinkOpening
    var addresses: any AddressInstalling
    var routes: any RouteKeeping
    /// The box's interfaces and addresses now (what tracking is primed from).
    var interfaces: () throws -> InterfaceTable
    /// The monotonic clock every deadline is on.
    var clock: () -> Instant
    /// The wall clock, microseconds since the epoch: only for what people read (the
    /// keepalived dumps' transition times).
    var wallClock: () -> Int64
    /// Writes a dump file whole (keepalived.data, .stats, .json) at a path.
    var writeDump: (_ contents: String, _ path: String) throws -> Void
    /// Where the dump files go (keepalived's: $TMPDIR if absolute, else /tmp).
    var dumpDirectory: String
    /// nft, for strict mode's drop rules (nil: not installed, or a test).
    var nft: StrictFirewall?
    /// Opens the kernel's IPVS table (the LVS runner asks when it has services to program).
    var ipvs: () throws -> any IPVSKernel
    /// Opens the announce device (`announce` blocks): its name and its routes' protocol.
    var announcer: (String, UInt8) throws -> any RouteAnnouncing = { try AnnounceDevice(name: $0, protocolNumber: $1) }
    /// nft, for FNAT's source translations (nil: not installed, or a test).
    var fullNAT: FullNATTable?

    static func kernel(logger: Logger) throws -> DaemonEdge {
        DaemonEdge(links: KernelLinks(), addresses: try AddressManager(), routes: try VirtualRoutes(logger: logger),
                   interfaces: { try InterfaceTable.read() }, clock: { Monotonic.now() },
                   wallClock: { WallClock.now() }, writeDump: { try DumpFile.write($0, to: $1) },
                   dumpDirectory: DumpFile.directory,
                   nft: NFTables.locate().map { StrictFirewall(nft: $0) }, ipvs: { try IPVSDriver() },
                   fullNAT: NFTables.locate().map { FullNATTable(nft: $0) })
    }
}
