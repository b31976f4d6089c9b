#if canImport(Glibc)
import Glibc
#endif
import Logging
import VRRP
import VigilConfig
import VigilLinux
import VigilPlan
import VigilTypes

/// Tells the outside world about state changes, as keepalived does: notify scripts
/// (children of the supervisor, never waited for, killed after `timeout`) and lines on the
/// notify FIFOs.
///
/// Arguments as keepalived gives them: a state script (`notify_master` …) runs as written;
/// `notify` gets `INSTANCE|GROUP NAME STATE PRIORITY` appended; a FIFO gets the same four
/// words as a line (a group's priority is 0).
///
/// One transition's scripts at a time per owner (an instance, a sync group, a real server,
/// a virtual server's quorum): the state's own script and `notify` start together, as
/// keepalived starts them, and a transition that comes while they run waits; if several
/// come, only the newest waits (the one before it is dropped, counted), and it is dropped
/// too when it names the state last announced. So scripts see an owner's states in order,
/// and a flapping instance (a hostile LAN, a bad link) runs one transition's scripts at a
/// time instead of two per flap. A slow script must not hold the news back, though: once
/// the running ones have had `patience`, the waiting transition starts and they are left
/// to finish (or meet their timeout) on their own — one such set per owner at most, so
/// a hung script costs at most one more. FIFO lines are written at once: they are cheap
/// and a reader sees every transition.
final class NotifyRunner {
    private struct Chain {
        /// The scripts of the transition announced last, still running, and when they started.
        var running: [(pid: pid_t, command: String)] = []
        var started: Instant = .zero
        /// Scripts of an earlier transition left to finish on their own.
        var left: [(pid: pid_t, command: String)] = []
        /// The newest transition that came while the chain ran: its state word and scripts.
        var waiting: (state: String, commands: [String])?
        /// The state the last started chain announced.
        var announced: String?
    }

    private let logger: Logger
    private let children: ChildSupervisor
    private var chains: [String: Chain] = [:]
    private(set) var user: ScriptCredentials
    /// Commands refused by enable_script_security, with why.
    private var refused: [String: String]
    /// The open FIFOs, with the kinds of line each gets.
    private var fifos: [(fifo: NotifyFIFO, plan: DaemonPlan.FIFOPlan)] = []
    /// `notify_fifo_script`s: run for the daemon's whole life, stopped at exit.
    private var fifoReaders: [pid_t] = []
    /// Transitions whose scripts never ran because a newer one replaced them.
    private(set) var chainsSkipped = 0
    let timeout: Int64 = 30_000_000
    /// How long a transition's scripts hold the next transition's back.
    let patience: Int64 = 1_000_000

    init(logger: Logger, children: ChildSupervisor, user: ScriptCredentials = .root, refused: [String: String] = [:]) {
        self.logger = logger
        self.children = children
        self.user = user
        self.refused = refused
    }

    /// A live reload: who scripts run as and which are refused may have changed.
    func reconfigure(user: ScriptCredentials, refused: [String: String]) {
        self.user = user
        self.refused = refused
    }

    /// Why enable_script_security refused `command` (its program), or nil.
    func refusal(of command: String) -> String? {
        if let why = refused[command] { return why }
        return refused.first { command.hasPrefix($0.key + " ") }?.value
    }

    /// Creates (if needed) and opens each FIFO, then starts its script with the FIFO's
    /// path as last argument.
    func openFIFOs(_ list: [DaemonPlan.FIFOPlan]) {
        for plan in list {
            let path = plan.path, script = plan.script
            do { fifos.append((try NotifyFIFO(path: path), plan)) } catch {
                logger.error("notify_fifo \(path): \(error)")
                continue
            }
            if let script, refusal(of: script) == nil {
                do {
                    fifoReaders.append(try children.start(.shell("\(script) \(path)"), as: user, timeout: nil,
                                                          policy: .terminate(grace: 2_000_000), at: Monotonic.now()))
                } catch {
                    logger.error("notify_fifo_script '\(script)': \(error)")
                }
            }
        }
    }

    /// A line to every FIFO that gets its kind (`vrrp`: the VRRP lines, else LVS's).
    private func write(_ line: String, vrrp: Bool, about name: String) {
        for (fifo, plan) in fifos where (vrrp ? plan.vrrp : plan.lvs) && !fifo.write(line: line) {
            logger.warning("notify_fifo \(fifo.path) is full (no reader?): line for \(name) dropped")
        }
    }

    /// keepalived's LVS lines: `VS [192.0.2.100]:tcp:80 UP`, `RS [198.51.100.1]:tcp:80
    /// [192.0.2.100]:tcp:80 DOWN`.
    func lvsLine(_ line: String, about name: String) { write(line, vrrp: false, about: name) }

    func transition(instance: String, to state: VRRPState, priority: UInt8, scripts: NotifyScripts) {
        announce(kind: "INSTANCE", name: instance, state: state, priority: Int(priority), scripts: scripts)
    }

    func groupTransition(group: String, to state: VRRPState, scripts: NotifyScripts) {
        announce(kind: "GROUP", name: group, state: state, priority: 0, scripts: scripts)
    }

    private func announce(kind: String, name: String, state: VRRPState, priority: Int, scripts: NotifyScripts) {
        let word = state == .initialize ? "STOP" : state.rawValue
        write("\(kind) \"\(name)\" \(word) \(priority)", vrrp: true, about: name)
        let specific: String?
        switch state {
        case .master: specific = scripts.master
        case .backup: specific = scripts.backup
        case .fault: specific = scripts.fault
        case .initialize: specific = scripts.stop
        }
        let commands = [specific, scripts.any.map { "\($0) \(kind) \"\(name)\" \(word) \(priority)" }].compactMap { $0 }
        enqueue(commands, state: word, owner: "\(kind) \(name)")
    }

    /// A script as written (notify_up/down, quorum_up/down), under the same rules; `owner`
    /// names whose chain it joins, `state` what it announces ("UP", "DOWN").
    func run(_ command: String, state: String, owner: String) { enqueue([command], state: state, owner: owner) }

    private func enqueue(_ commands: [String], state: String, owner: String) {
        let allowed = commands.filter { refusal(of: $0) == nil }
        guard !allowed.isEmpty else { return }
        var chain = chains[owner] ?? Chain()
        if chain.waiting != nil { chainsSkipped += 1 }
        chain.waiting = (state, allowed)
        advance(&chain, at: Monotonic.now())
        chains[owner] = chain
    }

    /// Starts the waiting transition's scripts if nothing holds them back.
    private func advance(_ chain: inout Chain, at now: Instant) {
        guard let waiting = chain.waiting else { return }
        if !chain.running.isEmpty {
            guard chain.left.isEmpty, now - chain.started >= patience else { return }
            chain.left = chain.running
            chain.running = []
        }
        chain.waiting = nil
        if waiting.state == chain.announced {
            chainsSkipped += 1
            return
        }
        chain.announced = waiting.state
        chain.started = now
        for command in waiting.commands {
            do {
                chain.running.append((try children.start(.shell(command), as: user, timeout: timeout, at: now), command))
            } catch {
                logger.warning("notify script '\(command)': \(error)")
            }
        }
    }

    /// When a waiting transition runs out of patience with the scripts before it.
    var nextDeadline: Instant? {
        chains.values.compactMap { c in c.waiting != nil && !c.running.isEmpty && c.left.isEmpty ? c.started + patience : nil }.min()
    }

    /// Collects finished scripts (the supervisor kills overdue ones) and starts what waits.
    func reap() {
        let now = Monotonic.now()
        for (owner, var chain) in chains {
            func collect(_ list: inout [(pid: pid_t, command: String)]) {
                list.removeAll { entry in
                    guard let ending = children.take(entry.pid) else { return false }
                    if ending.timedOut {
                        logger.warning("notify script '\(entry.command)' still running after \(formatMicro(timeout)); killed")
                    } else if ending.exit != .status(0) {
                        logger.warning("notify script '\(entry.command)' ended with \(ending.exit)")
                    }
                    return true
                }
            }
            collect(&chain.running)
            collect(&chain.left)
            advance(&chain, at: now)
            let idle = chain.running.isEmpty && chain.left.isEmpty && chain.waiting == nil
            chains[owner] = idle ? nil : chain
        }
        fifoReaders.removeAll { pid in
            guard let ending = children.take(pid) else { return false }
            logger.warning("notify_fifo_script ended with \(ending.exit)")
            return true
        }
    }

    /// Scripts running or waiting to run.
    var isBusy: Bool { chains.values.contains { !$0.running.isEmpty || !$0.left.isEmpty || $0.waiting != nil } }

    /// On exit: stops the FIFO readers, then gives the chains (notify_stop) up to `limit` µs
    /// to finish, starting what waits; the supervisor ends what is left.
    func finish(within limit: Int64) {
        for pid in fifoReaders { children.abandon(pid, at: Monotonic.now()) }
        fifoReaders = []
        let start = Monotonic.now()
        for _ in 0..<10_000 where isBusy && Monotonic.now() - start < limit {
            children.advance(to: Monotonic.now())
            reap()
            if isBusy { Monotonic.pause(2_000) }
        }
        fifos = []
    }
}
