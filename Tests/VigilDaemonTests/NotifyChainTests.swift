import Foundation
import Logging
import Testing
import VRRP
import VigilConfig
@testable import VigilLinux
@testable import VigilDaemon

/// Notify scripts under a flapping instance: one transition's scripts at a time per
/// instance, in order, the newest waiting transition winning — not two processes per flap;
/// and a hung script does not hold the next transition back for long.
@Suite struct NotifyChainTests {
    @Test func aFlappingInstanceRunsOneChainAtATimeAndEndsOnItsLastState() throws {
        let file = "/tmp/vigil-notify-chain-\(getpid())"
        defer { unlink(file) }
        var scripts = NotifyScripts()
        scripts.master = "sh -c 'echo MASTER >> \(file); sleep 0.2'"
        scripts.backup = "sh -c 'echo BACKUP >> \(file); sleep 0.2'"
        scripts.any = "sh -c 'echo ANY $3 >> \(file)' notify"
        let children = ChildSupervisor()
        let runner = NotifyRunner(logger: Logger(label: "test"), children: children)
        // 50 flaps in a moment (a hostile LAN): 100 transitions, ending BACKUP.
        for _ in 0..<50 {
            runner.transition(instance: "VI_1", to: .master, priority: 100, scripts: scripts)
            runner.transition(instance: "VI_1", to: .backup, priority: 100, scripts: scripts)
        }
        for _ in 0..<1000 where runner.isBusy {
            children.advance(to: Monotonic.now())
            runner.reap()
            usleep(5_000)
        }
        #expect(!runner.isBusy)
        let lines = (try String(contentsOfFile: file, encoding: .utf8)).split(separator: "\n").map(String.init)
        #expect(lines.count == 4 && Set(lines.prefix(2)) == ["MASTER", "ANY MASTER"] && Set(lines.suffix(2)) == ["BACKUP", "ANY BACKUP"],
                "the first transition, then the newest: \(lines)")
        #expect(children.started == 4)
        #expect(children.peak == 2, "one transition's two scripts at a time for one instance")
        #expect(runner.chainsSkipped == 98)
    }

    @Test func aHungScriptHoldsTheNextTransitionBackOnlyForItsPatience() throws {
        let file = "/tmp/vigil-notify-patience-\(getpid())"
        defer { unlink(file) }
        var scripts = NotifyScripts()
        scripts.backup = "sh -c 'echo BACKUP >> \(file); exec sleep 30'"
        scripts.master = "sh -c 'echo MASTER >> \(file)'"
        let children = ChildSupervisor()
        let runner = NotifyRunner(logger: Logger(label: "test"), children: children)
        runner.transition(instance: "VI_1", to: .backup, priority: 100, scripts: scripts)
        runner.transition(instance: "VI_1", to: .master, priority: 100, scripts: scripts)
        let deadline = try #require(runner.nextDeadline, "the waiting transition has a deadline")
        var lines: [String] = []
        for _ in 0..<600 where lines.count < 2 {
            usleep(10_000)
            children.advance(to: Monotonic.now())
            runner.reap()
            lines = ((try? String(contentsOfFile: file, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }
        #expect(lines == ["BACKUP", "MASTER"], "notify_master ran while notify_backup still sleeps")
        #expect(Monotonic.now() >= deadline)
        // notify_master's shell wrote its line and is ending: reaped within a few turns
        // (the loop above stops at the line, which can come before the exit).
        for _ in 0..<300 where children.running > 1 {
            usleep(10_000)
            children.advance(to: Monotonic.now())
            runner.reap()
        }
        #expect(children.running == 1, "the hung one is left to its timeout")
        children.finish(within: 0, now: Monotonic.now)
    }
}
