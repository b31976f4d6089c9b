import Foundation
import Logging
import Testing
import VRRP
import VigilConfig
@testable import VigilLinux
@testable import VigilDaemon

/// Notify scripts under a flapping instance: one chain at a time per instance, in order,
/// the newest waiting transition winning — not two processes per flap.
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
        #expect(lines == ["MASTER", "ANY MASTER", "BACKUP", "ANY BACKUP"], "the first transition, then the newest")
        #expect(children.started == 4)
        #expect(children.peak == 1, "one script at a time for one instance")
        #expect(runner.chainsSkipped == 98)
    }
}
