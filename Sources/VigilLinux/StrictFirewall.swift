#if canImport(Glibc)
import Glibc
#endif
import VRRP

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
public struct StrictFirewall: Sendable {
    /// An address to drop traffic to and from (nft reads its RFC 5952 text).
    public typealias Address = InternetAddress

    /// `nft` could not do what was asked: the command, how it ended, and what it said.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// Family and name, as nft spells them.
    public static let table = "inet vigil"
    /// Chain priority: just before the usual `filter` chains (priority 0), as keepalived's -1.
    static let priority = -1
    /// How long one nft run may take before it is killed. It takes 5-20 ms; the daemon's
    /// loop waits for it (the rules must be in before the VIPs), so a hung nft must not
    /// hold the adverts for long.
    static let timeoutMicroseconds: Int64 = 2_000_000

    /// Absolute path of the nft program.
    public let nft: String
    /// What the table drops as far as this process knows: [] no table, nil unknown (before
    /// `removeLeftover`, or after a failed nft run).
    public private(set) var installed: Set<Address>?
    /// PIDs of the last nft runs made here: their transactions are Vigil's own, not
    /// another program's (`NFTablesMonitor` names the committing process).
    public private(set) var recentRuns: [Int32] = []

    public init(nft: String) { self.nft = nft }

    /// The `nft` program in the usual places (Debian: package nftables, /usr/sbin/nft).
    public static func locate() -> StrictFirewall? {
        for dir in ["/usr/sbin", "/sbin", "/usr/bin", "/bin", "/usr/local/sbin"] {
            let path = "\(dir)/nft"
            if access(path, X_OK) == 0 { return StrictFirewall(nft: path) }
        }
        return nil
    }

    /// Deletes Vigil's table if an earlier run left it (killed before its cleanup); true
    /// when there was one. Run at start, before any instance can become master.
    public mutating func removeLeftover() throws(Failure) -> Bool {
        let listing = try run(["list", "tables"], input: "")
        guard listing.split(separator: "\n").contains(where: { $0.trimmingSpaces == "table \(Self.table)" }) else {
            installed = []
            return false
        }
        try apply(Self.deleteScript, giving: [])
        return true
    }

    /// Makes the rules drop exactly these addresses, each change one nft transaction.
    /// Cost matters on takeover (the rules go in before the VIPs): creating the table
    /// takes about 5 ms and changing the set's elements as much, but deleting a table
    /// with hooked chains waits for the kernel (about 15 ms), so the table is deleted
    /// only when nothing is dropped any more, and replaced whole only when its state is
    /// unknown.
    public mutating func update(droppedAddresses wanted: Set<Address>) throws(Failure) {
        guard wanted != installed else { return }
        if wanted.isEmpty {
            try apply(Self.deleteScript, giving: [])
        } else if installed == [] {
            try apply(Self.createScript(wanted), giving: wanted)
        } else if installed != nil {
            try apply(Self.replaceElementsScript(wanted), giving: wanted)
        } else {
            try apply(Self.deleteScript + Self.createScript(wanted), giving: wanted)
        }
    }

    /// Another program changed the table: its state is unknown, and the next `update`
    /// replaces it whole.
    public mutating func forget() { installed = nil }

    /// Deletes the table unless it is known to be absent (shutdown).
    public mutating func remove() throws(Failure) {
        guard installed != [] else { return }
        try apply(Self.deleteScript, giving: [])
    }

    private mutating func apply(_ script: String, giving result: Set<Address>) throws(Failure) {
        do {
            _ = try run(["-f", "-"], input: script)
            installed = result
        } catch {
            installed = nil
            throw error
        }
    }

    /// Deletes the table whether or not it exists: `table` declares it (a no-op when it
    /// is there), then `delete table` removes it (nft 1.0.6 has no `destroy`).
    static let deleteScript = "table \(table)\ndelete table \(table)\n"

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

    /// Runs nft with `arguments`, feeding `input` on stdin; its stdout, or a Failure with
    /// its stderr. Bounded: killed after `timeoutMicroseconds`.
    private mutating func run(_ arguments: [String], input: String) throws(Failure) -> String {
        let command = "nft \(arguments.joined(separator: " "))"
        let result: BoundedProcess.Result
        do {
            result = try BoundedProcess.run(nft, arguments, input: Array(input.utf8), timeout: Self.timeoutMicroseconds)
            recentRuns = Array((recentRuns + [result.pid]).suffix(16))
        } catch {
            throw Failure(description: "\(command): \(error)")
        }
        let stderr = String(decoding: result.stderr, as: UTF8.self).trimmingSpaces
        switch result.exit {
        case .status(0):
            return String(decoding: result.stdout, as: UTF8.self)
        case let .status(code):
            throw Failure(description: "\(command) exited \(code): \(stderr.isEmpty ? "no message" : stderr)")
        case let .signal(signal):
            throw Failure(description: "\(command) killed by signal \(signal)\(result.timedOut ? " after \(Self.timeoutMicroseconds / 1_000_000) s" : "")\(stderr.isEmpty ? "" : ": \(stderr)")")
        }
    }
}

/// A short-lived helper program run to completion with a deadline: posix_spawn with
/// stdin, stdout and stderr on pipes, in a process group of its own, every signal
/// unblocked in the child (the daemon blocks SIGTERM/SIGINT/SIGCHLD for its signalfd, and
/// a child would inherit that).
enum BoundedProcess {
    struct Result {
        var pid: Int32
        var exit: ScriptProcess.Exit
        var stdout: [UInt8]
        var stderr: [UInt8]
        var timedOut: Bool
    }

    static func run(_ path: String, _ arguments: [String], input: [UInt8], timeout: Int64) throws(SystemCallError) -> Result {
        // Close-on-exec so no other child inherits them (the daemon is single-threaded,
        // so nothing forks between pipe and fcntl); the child gets them by dup2.
        func makePipe() throws(SystemCallError) -> [Int32] {
            var fds: [Int32] = [-1, -1]
            guard pipe(&fds) == 0 else { throw SystemCallError("pipe") }
            for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            return fds
        }
        let inPipe = try makePipe()
        let outPipe: [Int32], errPipe: [Int32]
        do { outPipe = try makePipe() } catch { inPipe.forEach { close($0) }; throw error }
        do { errPipe = try makePipe() } catch { (inPipe + outPipe).forEach { close($0) }; throw error }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        // A process group of its own, so a timeout kills whatever it started too.
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP))

        let words = [path] + arguments
        var argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) }
        argv.append(nil)
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, path, &actions, &attributes, argv, environ)
        close(inPipe[0]); close(outPipe[1]); close(errPipe[1])
        guard spawned == 0 else {
            close(inPipe[1]); close(outPipe[0]); close(errPipe[0])
            throw SystemCallError("posix_spawn \(path)", errno: spawned)
        }

        // One loop feeds stdin and drains stdout/stderr until both close or time runs out,
        // so neither side can block the other whatever the sizes. SIGPIPE (nft exiting
        // before reading everything) is held back here and discarded: EPIPE says it.
        var pipeSignal = sigset_t(), previousMask = sigset_t()
        sigemptyset(&pipeSignal)
        sigaddset(&pipeSignal, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &pipeSignal, &previousMask)
        defer {
            var pending = sigset_t()
            sigpending(&pending)
            if sigismember(&pending, SIGPIPE) == 1 && sigismember(&previousMask, SIGPIPE) == 0 {
                var zero = timespec()
                _ = sigtimedwait(&pipeSignal, nil, &zero)
            }
            pthread_sigmask(SIG_SETMASK, &previousMask, nil)
        }
        var stdinFD: Int32 = inPipe[1], written = 0
        var out: [UInt8] = [], err: [UInt8] = []
        var open: [Int32] = [outPipe[0], errPipe[0]]
        if input.isEmpty { close(stdinFD); stdinFD = -1 }
        let deadline = monotonicMicroseconds() + timeout
        var timedOut = false
        var buffer = [UInt8](repeating: 0, count: 65536)
        var rounds = 0
        while (!open.isEmpty || stdinFD >= 0) && rounds < 100_000 {
            rounds += 1
            let left = deadline - monotonicMicroseconds()
            if left <= 0 { timedOut = true; break }
            var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            if stdinFD >= 0 { fds.append(pollfd(fd: stdinFD, events: Int16(POLLOUT), revents: 0)) }
            let ready = poll(&fds, nfds_t(fds.count), Int32(min(left / 1000 + 1, 1000)))
            if ready < 0 && errno != EINTR { break }
            for fd in fds where fd.revents != 0 {
                if fd.fd == stdinFD {
                    let n = input[written...].withUnsafeBytes { write(stdinFD, $0.baseAddress, $0.count) }
                    if n > 0 { written += n }
                    if (n < 0 && errno != EINTR && errno != EAGAIN) || written >= input.count {
                        close(stdinFD); stdinFD = -1
                    }
                } else {
                    let n = read(fd.fd, &buffer, buffer.count)
                    if n > 0 {
                        if fd.fd == outPipe[0] { out += buffer[..<n] } else { err += buffer[..<n] }
                    } else if n == 0 || (errno != EINTR && errno != EAGAIN) {
                        close(fd.fd); open.removeAll { $0 == fd.fd }
                    }
                }
            }
        }
        if stdinFD >= 0 { close(stdinFD) }
        open.forEach { close($0) }

        // Reap within what is left of the deadline, then SIGKILL (which cannot be ignored).
        var exit: ScriptProcess.Exit?
        for _ in 0..<10_000 {
            exit = ScriptProcess.reap(pid)
            if exit != nil || timedOut || monotonicMicroseconds() >= deadline { break }
            usleep(1000)
        }
        if exit == nil {
            timedOut = true
            if kill(-pid, SIGKILL) != 0 { kill(pid, SIGKILL) }
            var status: Int32 = 0
            _ = waitpid(pid, &status, 0)
            exit = status & 0x7f != 0 ? .signal(status & 0x7f) : .status((status >> 8) & 0xff)
        }
        return Result(pid: pid, exit: exit ?? .signal(SIGKILL), stdout: out, stderr: err, timedOut: timedOut)
    }

    private static func monotonicMicroseconds() -> Int64 {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Int64(t.tv_sec) * 1_000_000 + Int64(t.tv_nsec) / 1000
    }
}

extension StringProtocol {
    fileprivate var trimmingSpaces: String {
        String(drop(while: { $0 == " " || $0 == "\t" || $0 == "\n" }).reversed()
            .drop(while: { $0 == " " || $0 == "\t" || $0 == "\n" }).reversed())
    }
}
