import Foundation
import Testing
import VRRP
@testable import VigilLinux
import VigilTypes

/// The child supervisor with real processes: what a child inherits, how deadlines are
/// enforced without waiting, and what it is given and gives back.
@Suite(.serialized) struct ChildSupervisorTests {
    static func now() -> Instant {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Instant(microseconds: Int64(t.tv_sec) * 1_000_000 + Int64(t.tv_nsec) / 1000)
    }

    /// Advances until `pid` has ended (at most `limit` µs); its ending.
    static func wait(_ supervisor: ChildSupervisor, _ pid: pid_t, limit: Int64 = 10_000_000) -> ChildSupervisor.Ending? {
        let start = now()
        for _ in 0..<10_000 where now() - start < limit {
            supervisor.advance(to: now())
            if let ending = supervisor.take(pid) { return ending }
            usleep(5_000)
        }
        return nil
    }

    @Test func aChildStartsWithNoDescriptorOfTheDaemonAndDefaultSignals() throws {
        // What a daemon holds: a listening socket opened without close-on-exec (as
        // SwiftNIO opens its sockets), SIGPIPE ignored (as the runtime sets it), a
        // signal blocked for a signalfd.
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #expect(listener > 2)
        defer { close(listener) }
        let previous = signal(SIGPIPE, SIG_IGN)
        defer { signal(SIGPIPE, previous) }
        var usr2 = sigset_t()
        sigemptyset(&usr2)
        sigaddset(&usr2, SIGUSR2)
        pthread_sigmask(SIG_BLOCK, &usr2, nil)
        defer { pthread_sigmask(SIG_UNBLOCK, &usr2, nil) }

        // Programs started directly (no shell between: a shell blocks signals around
        // its own forks), each reading its own state.
        let supervisor = ChildSupervisor()
        let ls = try supervisor.start(.exec("/bin/ls", ["/proc/self/fd"]), captureOutput: true, timeout: 10_000_000, at: Self.now())
        let listing = try #require(Self.wait(supervisor, ls))
        #expect(listing.exit == .status(0))
        let descriptors = String(decoding: listing.standardOutput, as: UTF8.self).split(separator: "\n").map(String.init)
        // 0-2, and 3: the directory ls is reading.
        #expect(descriptors.sorted() == ["0", "1", "2", "3"], "the child holds \(descriptors)")
        let grep = try supervisor.start(.exec("/bin/grep", ["-E", "^Sig(Ign|Blk):", "/proc/self/status"]), captureOutput: true,
                                        timeout: 10_000_000, at: Self.now())
        let state = String(decoding: try #require(Self.wait(supervisor, grep)).standardOutput, as: UTF8.self)
        let lines = state.split(separator: "\n").map(String.init)
        #expect(lines.count == 2, "no signal state read: \(state)")
        for line in lines {
            #expect(line.hasSuffix("0000000000000000"), "\(line): the child must start with default signals")
        }
    }

    @Test func aChildThatIgnoresSIGTERMGetsSIGKILLAfterItsGraceAndNothingWaits() throws {
        let supervisor = ChildSupervisor()
        let start = Self.now()
        let pid = try supervisor.start(.shell("trap '' TERM; sleep 30"), timeout: 100_000,
                                       policy: .terminate(grace: 300_000), at: start)
        #expect(getpgid(pid) == pid, "a process group of its own")
        #expect(supervisor.nextDeadline == start + 100_000)
        // At the deadline: SIGTERM, which it ignores; `advance` returns, the child lives on.
        usleep(150_000)
        supervisor.advance(to: start + 150_000)
        #expect(supervisor.take(pid) == nil)
        #expect(supervisor.running == 1)
        #expect(supervisor.nextDeadline == start + 150_000 + 300_000, "the grace runs from SIGTERM")
        let ending = try #require(Self.wait(supervisor, pid))
        #expect(ending == ChildSupervisor.Ending(exit: .signal(SIGKILL), timedOut: true))
        #expect(supervisor.killedAtDeadline == 1)
        #expect(supervisor.running == 0)
    }

    @Test func aChildStoppedAtItsDeadlineLeavesNothingOfItsGroupBehind() throws {
        // The shell dies of SIGTERM; its job ignores SIGTERM and would sleep on.
        let supervisor = ChildSupervisor()
        let start = Self.now()
        let pid = try supervisor.start(.shell("(trap '' TERM; exec sleep 30) & wait"), timeout: 100_000,
                                       policy: .terminate(grace: 5_000_000), at: start)
        let ending = try #require(Self.wait(supervisor, pid))
        #expect(ending.exit == .signal(SIGTERM) && ending.timedOut)
        var alive = Self.liveMembers(ofGroup: pid)
        for _ in 0..<200 where !alive.isEmpty {
            usleep(5_000)
            alive = Self.liveMembers(ofGroup: pid)
        }
        #expect(alive.isEmpty, "processes \(alive) of the group outlived its stopped leader")
        if !alive.isEmpty { kill(-pid, SIGKILL) }
    }

    /// Processes of group `group` that are not zombies (a killed orphan may wait for
    /// whoever adopted it to reap it).
    static func liveMembers(ofGroup group: pid_t) -> [Int32] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return entries.compactMap { entry -> Int32? in
            guard let pid = Int32(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return nil }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 2, fields[0] != "Z", Int32(fields[2]) == group else { return nil }
            return pid
        }
    }

    @Test func inputGoesInAndOutputComesBack() throws {
        let supervisor = ChildSupervisor()
        let text = Array(String(repeating: "table inet vigil\n", count: 10_000).utf8)  // beyond a pipe's 64 KiB
        let cat = try supervisor.start(.exec("/bin/cat", []), input: text, captureOutput: true, timeout: 10_000_000, at: Self.now())
        let copied = try #require(Self.wait(supervisor, cat))
        #expect(copied.exit == .status(0))
        #expect(copied.standardOutput == text)
        let failing = try supervisor.start(.shell("echo oops >&2; exit 4"), captureOutput: true, timeout: 10_000_000, at: Self.now())
        let failed = try #require(Self.wait(supervisor, failing))
        #expect(failed == ChildSupervisor.Ending(exit: .status(4), timedOut: false, standardOutput: [], standardError: Array("oops\n".utf8)))
        #expect(supervisor.started == 2)
    }

    @Test func anAbandonedChildIsStoppedAndItsEndingDropped() throws {
        let supervisor = ChildSupervisor()
        let start = Self.now()
        let pid = try supervisor.start(.shell("sleep 30"), timeout: nil, at: start)
        #expect(supervisor.nextDeadline == nil)
        supervisor.abandon(pid, at: start)
        for _ in 0..<1000 where supervisor.running > 0 {
            supervisor.advance(to: Self.now())
            usleep(5_000)
        }
        #expect(supervisor.running == 0)
        #expect(supervisor.take(pid) == nil)
    }

    @Test func aScriptUserGetsItsOwnCleanEnvironmentAndRootKeepsTheDaemonsSafely() throws {
        guard getuid() == 0, let nobody = try? ScriptCredentials.lookup(user: "nobody", group: nil) else { return }
        setenv("VIGIL_TEST_SECRET", "root-only", 1)
        setenv("LD_PRELOAD", "/nonexistent.so", 1)
        defer {
            unsetenv("VIGIL_TEST_SECRET")
            unsetenv("LD_PRELOAD")
        }
        let supervisor = ChildSupervisor()
        let asNobody = try supervisor.start(.shell("id -u; env"), as: nobody, captureOutput: true, timeout: 10_000_000, at: Self.now())
        let seen = String(decoding: try #require(Self.wait(supervisor, asNobody)).standardOutput, as: UTF8.self)
        let lines = Set(seen.split(separator: "\n").map(String.init))
        #expect(lines.contains("65534"), "runs as nobody: \(seen)")
        #expect(lines.contains("USER=nobody"))
        #expect(lines.contains("HOME=\(nobody.home)"))
        #expect(!seen.contains("VIGIL_TEST_SECRET"), "root's environment leaked: \(seen)")
        let asRoot = try supervisor.start(.shell("env"), captureOutput: true, timeout: 10_000_000, at: Self.now())
        let rootSeen = String(decoding: try #require(Self.wait(supervisor, asRoot)).standardOutput, as: UTF8.self)
        #expect(rootSeen.contains("VIGIL_TEST_SECRET=root-only"), "the daemon's own user keeps its environment")
        #expect(!rootSeen.contains("LD_PRELOAD"), "…without the loader's overrides")
    }
}
