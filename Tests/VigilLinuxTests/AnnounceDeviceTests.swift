#if canImport(Glibc)
import Glibc
#endif
import Testing
import VigilTypes
@testable import VigilLinux

/// The announce device against the real kernel: tun device, main- and local-table routes,
/// what a crash (the descriptor closed without `close()`) leaves, and what the next run
/// removes. Needs root; each test runs on a thread of its own in a network namespace of its
/// own (`NetworkNamespace`), so the host's links and tables are never touched. What the
/// tables hold is read back with iproute2 (`ip`) run in that namespace, not with the code
/// under test.
@Suite(.enabled(if: getuid() == 0, "needs root: creates tun devices and routes in a network namespace"))
struct AnnounceDeviceTests {
    static let vip = InternetAddress.v4(IPv4Address(203, 0, 113, 10))
    static let vip6 = InternetAddress.v6(IPv6Address(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x10))

    struct Tables: Sendable, Equatable {
        var main: [String]
        var local: [String]
    }

    /// The routes of protocol 250 in the main and local tables, one per line, as `ip` prints them.
    static func routeTables(ipv6: Bool = false) throws -> Tables {
        let family = ipv6 ? "-6" : "-4"
        return Tables(main: try NetworkNamespace.ip(family, "route", "show", "table", "main", "proto", "250"),
                      local: try NetworkNamespace.ip(family, "route", "show", "table", "local", "proto", "250"))
    }

    /// `ip -o link show NAME`, or nil when there is no such link.
    static func linkLine(_ name: String) -> String? {
        (try? NetworkNamespace.ip("-o", "link", "show", name))?.first
    }

    @Test func theDeviceIsAnUpTunAndCarriesBothRoutesUntilWithdrawn() throws {
        struct Seen: Sendable {
            var link: String?, details: String?, leftovers: [String], first: Bool, again: Bool
            var announced: Tables, viaNetlink: [KernelRoute], withdrawn: Bool, withdrawnAgain: Bool, after: Tables
            var index: Int32, kernelIndex: String?
        }
        let seen = try NetworkNamespace.run {
            let device = try AnnounceDevice()
            let link = Self.linkLine("vigil0")
            let details = try NetworkNamespace.ip("-d", "-o", "link", "show", "vigil0").first
            let first = try device.announce(Self.vip)
            let again = try device.announce(Self.vip)
            let announced = try Self.routeTables()
            let viaNetlink = try RouteManager().routes(protocolNumber: 250, tables: [254, 255])
            let withdrawn = try device.withdraw(Self.vip)
            let withdrawnAgain = try device.withdraw(Self.vip)
            return Seen(link: link, details: details, leftovers: device.leftovers, first: first, again: again,
                        announced: announced, viaNetlink: viaNetlink, withdrawn: withdrawn,
                        withdrawnAgain: withdrawnAgain, after: try Self.routeTables(), index: device.interfaceIndex,
                        kernelIndex: link?.split(separator: ":").first.map(String.init))
        }
        let link = try #require(seen.link)
        let flags = link.split(separator: "<").dropFirst().first?.split(separator: ">").first ?? ""
        #expect(flags.split(separator: ",").contains("UP"), "vigil0 is not up: \(link)")
        #expect(flags.split(separator: ",").contains("LOWER_UP"), "vigil0 has no carrier: \(link)")
        #expect(seen.details?.contains(" tun type tun pi off ") == true, "not a tun without packet information: \(seen.details ?? "")")
        #expect(seen.details?.contains("persist off") == true, "persistent: \(seen.details ?? "")")
        #expect(seen.kernelIndex == String(seen.index))
        #expect(seen.leftovers.isEmpty)
        #expect(seen.first && !seen.again, "the first announce adds, the second finds it there")
        #expect(seen.announced == Tables(main: ["203.0.113.10 dev vigil0 scope link "],
                                         local: ["local 203.0.113.10 dev lo scope host "]))
        #expect(Set(seen.viaNetlink.map { $0.description }) == ["203.0.113.10/32", "local 203.0.113.10/32 table 255"])
        #expect(seen.withdrawn && !seen.withdrawnAgain)
        #expect(seen.after == Tables(main: [], local: []))
    }

    /// A crash is the descriptor closed with nothing else done: the kernel destroys the device
    /// and its main-table route, the local route stays, and the next run removes it.
    @Test func aCrashLeavesTheLocalRouteAndTheNextRunRemovesIt() throws {
        struct Seen: Sendable { var before: Tables, linkAfter: String?, after: Tables, leftovers: [String], cleaned: Tables }
        let seen = try NetworkNamespace.run {
            var device: AnnounceDevice? = try AnnounceDevice()
            try device?.announce(Self.vip)
            let before = try Self.routeTables()
            device = nil
            let linkAfter = Self.linkLine("vigil0")
            let after = try Self.routeTables()
            let next = try AnnounceDevice()
            return Seen(before: before, linkAfter: linkAfter, after: after, leftovers: next.leftovers, cleaned: try Self.routeTables())
        }
        #expect(seen.before.main.count == 1 && seen.before.local.count == 1)
        #expect(seen.linkAfter == nil, "the device outlived its descriptor: \(seen.linkAfter ?? "")")
        #expect(seen.after == Tables(main: [], local: ["local 203.0.113.10 dev lo scope host "]))
        #expect(seen.leftovers == ["local 203.0.113.10/32 table 255"])
        #expect(seen.cleaned == Tables(main: [], local: []))
    }

    @Test func ipv6TheSame() throws {
        struct Seen: Sendable { var announced: Tables, withdrawn: Tables, crashed: Tables, leftovers: [String], cleaned: Tables }
        let seen = try NetworkNamespace.run {
            var device: AnnounceDevice? = try AnnounceDevice()
            try device?.announce(Self.vip6)
            let announced = try Self.routeTables(ipv6: true)
            try device?.withdraw(Self.vip6)
            let withdrawn = try Self.routeTables(ipv6: true)
            try device?.announce(Self.vip6)
            device = nil
            let crashed = try Self.routeTables(ipv6: true)
            let next = try AnnounceDevice()
            return Seen(announced: announced, withdrawn: withdrawn, crashed: crashed, leftovers: next.leftovers,
                        cleaned: try Self.routeTables(ipv6: true))
        }
        #expect(seen.announced.main.count == 1 && seen.announced.main.first?.hasPrefix("2001:db8::10 dev vigil0 ") == true,
                "\(seen.announced.main)")
        #expect(seen.announced.local.count == 1 && seen.announced.local.first?.hasPrefix("local 2001:db8::10 dev lo ") == true,
                "\(seen.announced.local)")
        #expect(seen.withdrawn == Tables(main: [], local: []))
        #expect(seen.crashed.main.isEmpty && seen.crashed.local.count == 1)
        #expect(seen.leftovers == ["local 2001:db8::10/128 table 255 metric 1024"])  // the kernel's IPv6 default metric
        #expect(seen.cleaned == Tables(main: [], local: []))
    }

    @Test func closeWithdrawsEverythingAndDestroysTheDevice() throws {
        struct Seen: Sendable { var v4: Tables, v6: Tables, link: String?, announceAfter: String? }
        let seen = try NetworkNamespace.run {
            let device = try AnnounceDevice()
            try device.announce(Self.vip)
            try device.announce(Self.vip6)
            try device.close()
            try device.close()
            var announceAfter: String?
            do { try device.announce(Self.vip) } catch { announceAfter = "\(error)" }
            return Seen(v4: try Self.routeTables(), v6: try Self.routeTables(ipv6: true), link: Self.linkLine("vigil0"), announceAfter: announceAfter)
        }
        #expect(seen.v4 == Tables(main: [], local: []) && seen.v6 == Tables(main: [], local: []))
        #expect(seen.link == nil)
        #expect(seen.announceAfter == "announce device vigil0: closed")
    }

    /// Another program's link of that name: refused, named, and left as it was. A bridge,
    /// because the kernels the tests run on do not all have the dummy driver.
    @Test func aLinkOfAnotherKindIsRefusedAndLeftAlone() throws {
        struct Seen: Sendable { var error: String?, refusal: AnnounceDevice.Refusal?, link: String? }
        let seen = try NetworkNamespace.run {
            _ = try NetworkNamespace.ip("link", "add", "vigil0", "type", "bridge")
            var seen = Seen()
            do { _ = try AnnounceDevice() } catch let refusal as AnnounceDevice.Refusal {
                seen.refusal = refusal
                seen.error = refusal.description
            }
            seen.link = Self.linkLine("vigil0")
            return seen
        }
        #expect(seen.refusal == AnnounceDevice.Refusal(name: "vigil0", reason: .notTun(kind: "bridge")))
        #expect(seen.error?.contains("vigil0") == true && seen.error?.contains("bridge") == true, "\(seen.error ?? "")")
        #expect(seen.link != nil, "the bridge was deleted")
    }

    @Test func aPersistentTunIsRefusedAndLeftAlone() throws {
        struct Seen: Sendable { var refusal: AnnounceDevice.Refusal?, details: String? }
        let seen = try NetworkNamespace.run {
            _ = try NetworkNamespace.ip("tuntap", "add", "mode", "tun", "name", "vigil0")
            var seen = Seen()
            do { _ = try AnnounceDevice() } catch let refusal as AnnounceDevice.Refusal { seen.refusal = refusal }
            seen.details = try NetworkNamespace.ip("-d", "-o", "link", "show", "vigil0").first
            return seen
        }
        #expect(seen.refusal == AnnounceDevice.Refusal(name: "vigil0", reason: .persistentTun))
        #expect(seen.refusal?.description.contains("persistent tun device") == true)
        #expect(seen.details?.contains("persist on") == true, "\(seen.details ?? "gone")")
    }

    /// A second vigil with the same device name is refused before it removes anything: the
    /// running one's routes stay.
    @Test func aDeviceHeldByAnotherIsRefusedAndItsRoutesStay() throws {
        struct Seen: Sendable { var refusal: AnnounceDevice.Refusal?, tables: Tables }
        let seen = try NetworkNamespace.run {
            let running = try AnnounceDevice()
            try running.announce(Self.vip)
            var seen = Seen(refusal: nil, tables: Tables(main: [], local: []))
            do { _ = try AnnounceDevice() } catch let refusal as AnnounceDevice.Refusal { seen.refusal = refusal }
            seen.tables = try Self.routeTables()
            try running.close()
            return seen
        }
        #expect(seen.refusal == AnnounceDevice.Refusal(name: "vigil0", reason: .inUse(errno: EBUSY)))
        #expect(seen.tables.main.count == 1 && seen.tables.local.count == 1)
    }

    @Test func anotherNameAndProtocolNumber() throws {
        struct Seen: Sendable { var main: [String], unmarked: [String], leftovers: [String] }
        let seen = try NetworkNamespace.run {
            let device = try AnnounceDevice(name: "announce7", protocolNumber: 77)
            try device.announce(Self.vip)
            let main = try NetworkNamespace.ip("-4", "route", "show", "table", "main", "proto", "77")
            let unmarked = try NetworkNamespace.ip("-4", "route", "show", "table", "main", "proto", "250")
            // A leftover of another number is not this device's to remove.
            _ = try NetworkNamespace.ip("route", "add", "local", "198.51.100.7", "dev", "lo", "table", "local", "proto", "250")
            let other = try AnnounceDevice(name: "announce8", protocolNumber: 78)
            return Seen(main: main, unmarked: unmarked, leftovers: other.leftovers)
        }
        #expect(seen.main == ["203.0.113.10 dev announce7 scope link "])
        #expect(seen.unmarked.isEmpty)
        #expect(seen.leftovers.isEmpty)
    }

    @Test func invalidNamesAreRefusedBeforeAnythingIsOpened() {
        for name in ["", "sixteen-bytes-xx", "a/b", "vigil%d", "a b"] {
            #expect(throws: AnnounceDevice.Refusal(name: name, reason: .invalidName)) { try AnnounceDevice(name: name) }
        }
    }
}

/// Runs a body on a thread of its own after unshare(CLONE_NEWNET) on that thread (a network
/// namespace belongs to a thread, not the process): every socket and tun descriptor opened
/// there, and every process spawned from there, lives in that namespace, which vanishes with
/// the last of them. Loopback is brought up first, as on any host.
enum NetworkNamespace {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The result of the body, handed from its thread back to the test's (joined first).
    private final class Outcome<T>: @unchecked Sendable {
        var result: Result<T, any Error>?
    }

    private final class Job: @unchecked Sendable {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) throws -> T {
        let outcome = Outcome<T>()
        try onOwnThread(Job {
            do {
                try enterNewNamespace()
                outcome.result = .success(try body())
            } catch {
                outcome.result = .failure(error)
            }
        })
        guard let result = outcome.result else { throw Failure(description: "the namespace thread returned nothing") }
        return try result.get()
    }

    private static func enterNewNamespace() throws {
        guard libc("unshare", as: (@convention(c) (Int32) -> Int32).self)(0x4000_0000) == 0 else {  // CLONE_NEWNET
            throw Failure(description: "unshare(CLONE_NEWNET): \(String(cString: strerror(errno)))")
        }
        try ip("link", "set", "lo", "up")
    }

    /// Runs the job on a new thread and waits for it.
    private static func onOwnThread(_ job: Job) throws {
        var thread = pthread_t()
        let retained = Unmanaged.passRetained(job)
        let created = pthread_create(&thread, nil, { arg in
            Unmanaged<Job>.fromOpaque(arg!).takeRetainedValue().body()
            return nil
        }, retained.toOpaque())
        guard created == 0 else {
            retained.release()
            throw Failure(description: "pthread_create: \(String(cString: strerror(created)))")
        }
        pthread_join(thread, nil)
    }

    /// A C library function Glibc's Swift module does not declare (it needs _GNU_SOURCE).
    private static func libc<F>(_ name: String, as type: F.Type) -> F {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { fatalError("no \(name) in the C library") }
        return unsafeBitCast(symbol, to: type)
    }

    /// Runs /usr/sbin/ip (or the first `ip` on a usual path) from this thread, so in its
    /// namespace; its output lines. Throws with its output when it fails.
    @discardableResult
    static func ip(_ arguments: String...) throws -> [String] { try ip(arguments) }

    @discardableResult
    static func ip(_ arguments: [String]) throws -> [String] {
        let candidates: [String] = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"]
        let path = candidates.first { access($0, X_OK) == 0 } ?? "/usr/sbin/ip"
        var pipeEnds: [Int32] = [0, 0]
        let pipe2 = libc("pipe2", as: (@convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32).self)
        guard pipe2(&pipeEnds, O_CLOEXEC) == 0 else { throw Failure(description: "pipe2") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 1)
        posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 2)
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, path, &actions, nil, argv, environ)
        Glibc.close(pipeEnds[1])
        defer { Glibc.close(pipeEnds[0]) }
        guard spawned == 0 else { throw Failure(description: "spawning \(path): \(String(cString: strerror(spawned)))") }
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while output.count < 1 << 20 {
            let n = read(pipeEnds[0], &buffer, buffer.count)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            output += buffer.prefix(n)
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let text = String(decoding: output, as: UTF8.self)
        guard status == 0 else {
            throw Failure(description: "ip \(arguments.joined(separator: " ")) failed (status \(status)): \(text)")
        }
        return text.split(separator: "\n").map(String.init)
    }
}
