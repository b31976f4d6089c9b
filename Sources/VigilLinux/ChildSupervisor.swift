#if canImport(Glibc)
import Glibc
#endif
import CLinux
import VRRP
import VigilTypes

/// Every child process the daemon starts — notify scripts, vrrp_scripts, MISC_CHECKs, the
/// notify FIFO's reader, nft — goes through one supervisor, so they share one set of rules:
///
/// - A child starts clean: no descriptor of the daemon's above stderr, default signal
///   dispositions and an empty mask, a process group of its own, the environment its user
///   should have, SIGTERM when the daemon dies (see `vigil_spawn`).
/// - Nothing ever blocks the daemon's loop: children are reaped with `WNOHANG` when SIGCHLD
///   or a deadline wakes the loop, and a deadline is enforced by signals alone. A child that
///   ignores SIGTERM gets SIGKILL after its grace; one that does not die even then (stuck
///   in the kernel, state D) stays listed and is reaped whenever it finally ends.
/// - Owners ask for their child's `Ending` (`take`); a child an owner no longer wants
///   (`abandon`) is stopped by its policy and its ending dropped.
public final class ChildSupervisor {
    /// What runs: a command line through `/bin/sh -c` (scripts, as keepalived runs them),
    /// or a program with its arguments (nft).
    public enum Program: Sendable, Equatable, CustomStringConvertible {
        case shell(String)
        case exec(String, [String])

        public var description: String {
            switch self {
            case let .shell(command): command
            case let .exec(path, arguments): ([path] + arguments).joined(separator: " ")
            }
        }
    }

    /// What happens at a child's deadline.
    public enum KillPolicy: Sendable, Equatable {
        /// SIGKILL to its process group (MISC_CHECK, notify scripts, nft).
        case kill
        /// SIGTERM to its process group, SIGKILL `grace` µs later if it is still there
        /// (vrrp_scripts, as keepalived: a script may clean up).
        case terminate(grace: Int64)
    }

    /// How a reaped child ended.
    public enum Exit: Equatable, Sendable, CustomStringConvertible {
        case status(Int32)
        case signal(Int32)

        public var description: String {
            switch self {
            case let .status(code): "exit status \(code)"
            case let .signal(number): "signal \(number)"
            }
        }
    }

    /// A child that ended: how, whether its deadline had passed (it was signalled for
    /// it), and what it wrote when its output was captured.
    public struct Ending: Sendable, Equatable {
        public var exit: Exit
        public var timedOut: Bool
        public var standardOutput: [UInt8] = []
        public var standardError: [UInt8] = []
    }

    private struct Child {
        var program: Program
        var deadline: Instant?
        var policy: KillPolicy
        /// When SIGTERM went (the grace runs from it) and whether SIGKILL went.
        var terminated: Instant?
        var killed = false
        /// The owner no longer wants the ending.
        var abandoned = false
        var output: (out: Int32, err: Int32)?
    }

    private var children: [pid_t: Child] = [:]
    private var endings: [pid_t: Ending] = [:]
    /// Figures for `vigil status` and the drills: children started, the most alive at
    /// once, and how many were signalled at a deadline.
    public private(set) var started = 0
    public private(set) var peak = 0
    public private(set) var killedAtDeadline = 0

    public init() {}

    /// Children started and not yet reaped (abandoned ones included: they still exist).
    public var running: Int { children.count }

    /// Starts `program` as `credentials`. `input` is its stdin (else /dev/null);
    /// `captureOutput` keeps its stdout and stderr for the `Ending` (else /dev/null).
    /// `timeout` µs from `now` applies `policy`; nil: no deadline.
    public func start(_ program: Program, as credentials: ScriptCredentials = .root, input: [UInt8]? = nil,
                      captureOutput: Bool = false, timeout: Int64?, policy: KillPolicy = .kill,
                      at now: Instant) throws(SystemCallError) -> pid_t {
        var opened: [Int32] = []
        defer { opened.forEach { close($0) } }
        func memfd(_ name: String) throws(SystemCallError) -> Int32 {
            let fd = vigil_memfd(name)
            guard fd >= 0 else { throw SystemCallError("memfd_create") }
            opened.append(fd)
            return fd
        }
        var stdin: Int32 = -1
        if let input {
            stdin = try memfd("vigil-child-input")
            var written = 0
            while written < input.count {
                let n = input[written...].withUnsafeBytes { write(stdin, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw SystemCallError("write (child input)") }
                written += n
            }
            lseek(stdin, 0, SEEK_SET)
        }
        var output: (out: Int32, err: Int32)?
        if captureOutput { output = (try memfd("vigil-child-stdout"), try memfd("vigil-child-stderr")) }

        let (path, words): (String, [String]) = switch program {
        case let .shell(command): ("/bin/sh", ["/bin/sh", "-c", command])
        case let .exec(path, arguments): (path, [path] + arguments)
        }
        var argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) }
        argv.append(nil)
        defer { argv.forEach { free($0) } }
        var envp: [UnsafeMutablePointer<CChar>?] = credentials.environment(inheriting: Self.inheritedEnvironment()).map { strdup($0) }
        envp.append(nil)
        defer { envp.forEach { free($0) } }
        let pid = credentials.groups.withUnsafeBufferPointer { groups in
            vigil_spawn(path, argv, envp, credentials.isOtherThanDaemon ? 1 : 0, credentials.uid, credentials.gid,
                        groups.baseAddress, Int32(groups.count), stdin, output?.out ?? -1, output?.err ?? -1)
        }
        guard pid > 0 else { throw SystemCallError("fork", errno: -pid) }
        if let output { opened.removeAll { $0 == output.out || $0 == output.err } }
        children[pid] = Child(program: program, deadline: timeout.map { now + $0 }, policy: policy, output: output)
        started += 1
        peak = max(peak, children.count)
        return pid
    }

    private static func inheritedEnvironment() -> [String] {
        var list: [String] = []
        var p = environ
        for _ in 0..<4096 {
            guard let entry = p.pointee else { break }
            list.append(String(cString: entry))
            p += 1
        }
        return list
    }

    /// The earliest moment a child needs a signal.
    public var nextDeadline: Instant? {
        children.values.compactMap { child -> Instant? in
            if child.killed { return nil }
            if let terminated = child.terminated, case let .terminate(grace) = child.policy { return terminated + grace }
            return child.deadline
        }.min()
    }

    /// Reaps every child that ended and signals those whose deadline (or grace) passed.
    /// Never waits.
    public func advance(to now: Instant) {
        for (pid, child) in children {
            // A child stopped at its deadline may leave its process group behind (a
            // shell that died of SIGTERM while its jobs ignore it): the group gets SIGKILL
            // while the leader, unreaped, still holds the group's ID.
            if child.terminated != nil || child.killed, vigil_child_ended(pid) != 0 { _ = kill(-pid, SIGKILL) }
            var status: Int32 = 0
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid || (reaped < 0 && errno == ECHILD) {
                children[pid] = nil
                let exit: Exit = reaped < 0 ? .status(255)
                    : status & 0x7f != 0 ? .signal(status & 0x7f) : .status((status >> 8) & 0xff)
                var ending = Ending(exit: exit, timedOut: child.terminated != nil || child.killed)
                if let output = child.output {
                    ending.standardOutput = Self.readAll(output.out)
                    ending.standardError = Self.readAll(output.err)
                    close(output.out)
                    close(output.err)
                }
                if !child.abandoned { endings[pid] = ending }
                continue
            }
            if child.killed { continue }
            if let terminated = child.terminated {
                if case let .terminate(grace) = child.policy, now >= terminated + grace { signal(pid, SIGKILL) }
            } else if let deadline = child.deadline, now >= deadline {
                killedAtDeadline += 1
                switch child.policy {
                case .kill: signal(pid, SIGKILL)
                case .terminate: signal(pid, SIGTERM, at: now)
                }
            }
        }
    }

    /// The ending of a child this supervisor reaped, once.
    public func take(_ pid: pid_t) -> Ending? { endings.removeValue(forKey: pid) }

    /// The owner no longer wants `pid` (a reload removed its script, the daemon stops):
    /// it is stopped now by its policy, and its ending is dropped.
    public func abandon(_ pid: pid_t, at now: Instant) {
        endings[pid] = nil
        guard var child = children[pid] else { return }
        child.abandoned = true
        children[pid] = child
        guard child.terminated == nil, !child.killed else { return }
        switch child.policy {
        case .kill: signal(pid, SIGKILL)
        case .terminate: signal(pid, SIGTERM, at: now)
        }
    }

    /// Sends `number` to the child's process group (the child alone if the group is gone).
    private func signal(_ pid: pid_t, _ number: Int32, at now: Instant? = nil) {
        if kill(-pid, number) != 0 { kill(pid, number) }
        if number == SIGKILL { children[pid]?.killed = true }
        if number == SIGTERM { children[pid]?.terminated = now }
    }

    /// Starts `program` and waits for it, at most `timeout` µs (then SIGKILL) and 200 ms
    /// more for the kill to land. Only where nothing else runs yet or any more — the
    /// daemon's start and exit; in the loop, owners `take` endings instead.
    public func runToEnd(_ program: Program, input: [UInt8]? = nil, timeout: Int64,
                         now: () -> Instant) throws(SystemCallError) -> (pid: pid_t, ending: Ending) {
        let start = now()
        let pid = try self.start(program, input: input, captureOutput: true, timeout: timeout, policy: .kill, at: start)
        for _ in 0..<100_000 where now() - start < timeout + 200_000 {
            advance(to: now())
            if let ending = take(pid) { return (pid, ending) }
            usleep(1_000)
        }
        abandon(pid, at: now())
        return (pid, Ending(exit: .signal(SIGKILL), timedOut: true))
    }

    /// At exit: children get up to `limit` µs to end by themselves (a notify_stop script
    /// finishing its work; deadlines still apply), then every one left is stopped by its
    /// policy and waited for at most 200 ms more (one stuck in the kernel is left to init).
    public func finish(within limit: Int64, now: () -> Instant) {
        let start = now()
        for _ in 0..<10_000 where !children.isEmpty && now() - start < limit {
            advance(to: now())
            if !children.isEmpty { usleep(2_000) }
        }
        let stopped = now()
        for pid in children.keys { abandon(pid, at: stopped) }
        for _ in 0..<100 where !children.isEmpty && now() - stopped < 200_000 {
            for pid in children.keys where children[pid]?.killed == false { signal(pid, SIGKILL) }
            advance(to: now())
            if !children.isEmpty { usleep(2_000) }
        }
    }

    private static func readAll(_ fd: Int32) -> [UInt8] {
        lseek(fd, 0, SEEK_SET)
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16_384)
        for _ in 0..<4096 {
            let n = read(fd, &buffer, buffer.count)
            guard n > 0 else { break }
            data += buffer[..<n]
        }
        return data
    }
}
