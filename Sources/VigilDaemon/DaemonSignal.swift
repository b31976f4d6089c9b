#if canImport(Glibc)
import Glibc
#endif
import VigilLinux

/// The signals `vigil run` answers: keepalived's set, under the names of keepalived's
/// `--signum` (STOP, RELOAD, DATA, STATS, STATS_CLEAR, JSON), so the operators' habits, the
/// units' `ExecReload` and the exporters' signals all work. Every other signal that could
/// end the process is ignored (`SignalSource(ignoringTheRest:)`), as keepalived ignores
/// them: none ends the daemon without its clean-up.
enum DaemonSignal: Equatable {
    /// SIGTERM, SIGINT: hand over and stop.
    case stop
    /// SIGHUP: re-read the configuration.
    case reload
    /// SIGUSR1: write `keepalived.data`.
    case data
    /// SIGUSR2: write `keepalived.stats`.
    case stats
    /// SIGRTMAX-1: write `keepalived.stats`, then zero the counters.
    case statsClear
    /// SIGRTMIN+2: write `keepalived.json`.
    case json
    /// SIGCHLD: a child ended; it only wakes the loop.
    case childEnded

    static var jsonNumber: Int32 { SignalSource.realTimeRange.lowerBound + 2 }
    static var statsClearNumber: Int32 { SignalSource.realTimeRange.upperBound - 1 }

    /// The signals the daemon reads from its signalfd.
    static var handled: [Int32] { [SIGTERM, SIGINT, SIGHUP, SIGCHLD, SIGUSR1, SIGUSR2, statsClearNumber, jsonNumber] }

    init?(number: Int32) {
        switch number {
        case SIGTERM, SIGINT: self = .stop
        case SIGHUP: self = .reload
        case SIGUSR1: self = .data
        case SIGUSR2: self = .stats
        case SIGCHLD: self = .childEnded
        case Self.statsClearNumber: self = .statsClear
        case Self.jsonNumber: self = .json
        default: return nil
        }
    }

    /// keepalived's `--signum` names and their numbers on this system.
    static func number(named name: String) -> Int32? {
        switch name {
        case "STOP": return SIGTERM
        case "RELOAD": return SIGHUP
        case "DATA": return SIGUSR1
        case "STATS": return SIGUSR2
        case "STATS_CLEAR": return statsClearNumber
        case "JSON": return jsonNumber
        default: return nil
        }
    }
}
