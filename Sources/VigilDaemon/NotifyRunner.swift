#if canImport(Glibc)
import Glibc
#endif
import Logging
import VRRP
import VigilConfig
import VigilLinux

/// Tells the outside world about state changes, as keepalived does: notify scripts
/// (spawned, never waited for, killed after `timeout`) and lines on the notify FIFOs.
///
/// Arguments as keepalived gives them: a state script (`notify_master` …) runs as written;
/// `notify` gets `INSTANCE|GROUP NAME STATE PRIORITY` appended; a FIFO gets the same four
/// words as a line (a group's priority is 0).
final class NotifyRunner {
    private let logger: Logger
    private var running: [(pid: pid_t, command: String, started: Instant)] = []
    private(set) var user: ScriptCredentials
    private var refused: Set<String>
    private var fifos: [NotifyFIFO] = []
    /// `notify_fifo_script`s: run for the daemon's whole life, stopped at exit.
    private var fifoReaders: [pid_t] = []
    let timeout: Int64 = 30_000_000

    init(logger: Logger, user: ScriptCredentials = .root, refused: Set<String> = []) {
        self.logger = logger
        self.user = user
        self.refused = refused
    }

    /// A live reload: who scripts run as and which are refused may have changed.
    func reconfigure(user: ScriptCredentials, refused: Set<String>) {
        self.user = user
        self.refused = refused
    }

    /// Creates (if needed) and opens each FIFO, then starts its script with the FIFO's
    /// path as last argument.
    func openFIFOs(_ list: [(path: String, script: String?)]) {
        for (path, script) in list {
            do { fifos.append(try NotifyFIFO(path: path)) } catch {
                logger.error("notify_fifo \(path): \(error)")
                continue
            }
            if let script, !refused.contains(script) {
                do { fifoReaders.append(try ScriptProcess.spawn("\(script) \(path)", as: user)) } catch {
                    logger.error("notify_fifo_script '\(script)': \(error)")
                }
            }
        }
    }

    func transition(instance: String, to state: VRRPState, priority: UInt8, scripts: NotifyScripts) {
        announce(kind: "INSTANCE", name: instance, state: state, priority: Int(priority), scripts: scripts)
    }

    func groupTransition(group: String, to state: VRRPState, scripts: NotifyScripts) {
        announce(kind: "GROUP", name: group, state: state, priority: 0, scripts: scripts)
    }

    private func announce(kind: String, name: String, state: VRRPState, priority: Int, scripts: NotifyScripts) {
        let word = state == .initialize ? "STOP" : state.rawValue
        for fifo in fifos where !fifo.write(line: "\(kind) \"\(name)\" \(word) \(priority)") {
            logger.warning("notify_fifo \(fifo.path) is full (no reader?): line for \(name) dropped")
        }
        let specific: String?
        switch state {
        case .master: specific = scripts.master
        case .backup: specific = scripts.backup
        case .fault: specific = scripts.fault
        case .initialize: specific = scripts.stop
        }
        if let specific { spawn(specific) }
        if let any = scripts.any { spawn("\(any) \(kind) \"\(name)\" \(word) \(priority)") }
    }

    /// A script as written (notify_up/down, quorum_up/down), under the same rules.
    func run(_ command: String) { spawn(command) }

    private func spawn(_ command: String) {
        if refused.contains(command) || refused.contains(where: { command.hasPrefix($0 + " ") }) { return }
        do { running.append((try ScriptProcess.spawn(command, as: user), command, Monotonic.now())) } catch {
            logger.warning("notify script '\(command)': \(error)")
        }
    }

    /// When the oldest running script reaches its timeout (the loop wakes for it).
    var nextDeadline: Instant? { running.map { $0.started + timeout }.min() }

    /// Collects finished scripts and kills overdue ones.
    func reap() {
        let now = Monotonic.now()
        running.removeAll { entry in
            if let exit = ScriptProcess.reap(entry.pid) {
                if exit != .status(0) { logger.warning("notify script '\(entry.command)' ended with \(exit)") }
                return true
            }
            if now - entry.started > timeout {
                logger.warning("notify script '\(entry.command)' still running after \(formatMicro(timeout)); killed")
                ScriptProcess.end(entry.pid)
                return true
            }
            return false
        }
        fifoReaders.removeAll { pid in
            guard let exit = ScriptProcess.reap(pid) else { return false }
            logger.warning("notify_fifo_script ended with \(exit)")
            return true
        }
    }

    /// On exit: gives running scripts (notify_stop) up to `timeout` µs to finish, then
    /// stops the FIFO readers and removes the FIFOs this run created.
    func finish(timeout: Int64) {
        let end = Monotonic.now() + timeout
        for _ in 0..<1000 where !running.isEmpty && Monotonic.now() < end {
            reap()
            usleep(10_000)
        }
        for entry in running { ScriptProcess.signal(entry.pid, SIGKILL) }
        for pid in fifoReaders { ScriptProcess.end(pid, with: SIGTERM) }
        fifoReaders = []
        fifos = []
    }
}
