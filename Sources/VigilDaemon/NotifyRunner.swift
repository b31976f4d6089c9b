#if canImport(Glibc)
import Glibc
#endif
import Logging
import VRRP
import VigilConfig

/// Runs notify scripts without blocking the protocol loop: spawned with `/bin/sh -c`,
/// reaped later, killed if still running after `timeout` (keepalived's arguments: the
/// state script as written; `notify` with `INSTANCE NAME STATE PRIORITY` appended).
final class NotifyRunner {
    private let logger: Logger
    private var running: [(pid: pid_t, command: String, started: Instant)] = []
    let timeout: Int64 = 30_000_000

    init(logger: Logger) { self.logger = logger }

    func transition(instance: String, to state: VRRPState, priority: UInt8, scripts: NotifyScripts) {
        let specific: String?
        switch state {
        case .master: specific = scripts.master
        case .backup: specific = scripts.backup
        case .fault: specific = scripts.fault
        case .initialize: specific = scripts.stop
        }
        if let specific { spawn(specific) }
        if let any = scripts.any {
            let word = state == .initialize ? "STOP" : state.rawValue
            spawn("\(any) INSTANCE \"\(instance)\" \(word) \(priority)")
        }
    }

    private func spawn(_ command: String) {
        var pid: pid_t = 0
        let words: [String] = ["/bin/sh", "-c", command]
        var argv: [UnsafeMutablePointer<CChar>?] = words.map { word in word.withCString { strdup($0) } }
        argv.append(nil)
        defer { argv.forEach { free($0) } }
        let result = posix_spawn(&pid, "/bin/sh", nil, nil, argv, environ)
        if result != 0 {
            logger.warning("notify script '\(command)': \(String(cString: strerror(result)))")
            return
        }
        running.append((pid, command, Monotonic.now()))
    }

    /// Collects finished scripts and kills overdue ones.
    func reap() {
        let now = Monotonic.now()
        running.removeAll { entry in
            var status: Int32 = 0
            if waitpid(entry.pid, &status, WNOHANG) == entry.pid {
                let code = (status >> 8) & 0xff
                if status & 0x7f != 0 || code != 0 {
                    logger.warning("notify script '\(entry.command)' exited with status \(code)")
                }
                return true
            }
            if now - entry.started > timeout {
                logger.warning("notify script '\(entry.command)' timed out; killed")
                kill(entry.pid, SIGKILL)
                _ = waitpid(entry.pid, &status, 0)
                return true
            }
            return false
        }
    }

    /// On exit: gives running scripts (notify_stop) up to `timeout` µs to finish.
    func finish(timeout: Int64) {
        let end = Monotonic.now() + timeout
        for _ in 0..<1000 where !running.isEmpty && Monotonic.now() < end {
            reap()
            usleep(10_000)
        }
        for entry in running { kill(entry.pid, SIGKILL) }
    }
}
