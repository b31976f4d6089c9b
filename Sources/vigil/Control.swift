import ArgumentParser
import VigilDaemon
import VigilLinux
#if canImport(Glibc)
import Glibc
#endif

/// Where `vigil run` listens and the control commands connect.
enum ControlPath {
    static let defaultPath = "/run/vigil/vigil.sock"

    /// Creates the socket's directory (0750) if it is missing.
    static func prepare(_ path: String) -> String {
        if let slash = path.lastIndex(of: "/"), slash != path.startIndex {
            let dir = String(path[..<slash])
            if access(dir, F_OK) != 0 { mkdir(dir, 0o750) }
        }
        return path
    }
}

/// The options every control command shares.
struct ControlOptions: ParsableArguments {
    @Option(name: [.customShort("s"), .customLong("socket")], help: "The daemon's control socket.")
    var socket = ControlPath.defaultPath

    /// Sends the request; prints the reply's text; exit 1 when the daemon said error.
    func send(_ command: ControlCommand, print: (String) -> Void = { Swift.print($0, terminator: "") }) throws {
        let reply: String
        do { reply = try ControlSocket.request(command.line, path: socket) } catch {
            StandardError.write("vigil: \(error)\n")
            throw ExitCode(2)
        }
        let (head, body) = split(reply)
        if head == "ok" {
            print(body)
        } else {
            StandardError.write(body.isEmpty ? "vigil: the daemon gave no answer\n" : body)
            throw ExitCode(1)
        }
    }

    private func split(_ reply: String) -> (String, String) {
        guard let newline = reply.firstIndex(of: "\n") else { return (reply, "") }
        return (String(reply[..<newline]), String(reply[reply.index(after: newline)...]))
    }
}

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show every VRRP instance and virtual server of the running daemon.")
    @OptionGroup var options: ControlOptions
    @Flag(help: "Print the daemon's JSON as it is.")
    var json = false

    func run() throws {
        try options.send(.status) { body in
            if json {
                print(body, terminator: "")
            } else {
                guard let report = try? StatusReport.decode(body) else {
                    print(body, terminator: "")
                    return
                }
                print(report.table, terminator: "")
            }
        }
    }
}

struct Reload: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload",
        abstract: "Re-read the configuration in the running daemon (as SIGHUP), and say how it went.",
        discussion: "An invalid configuration is refused with its errors (file:line:col) and the running one stays; exit 1.")
    @OptionGroup var options: ControlOptions
    func run() throws { try options.send(.reload) }
}

struct Drain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drain",
        abstract: "Weight 0 for a real server: established connections finish, new ones go elsewhere (until undrain or restart).")
    @OptionGroup var options: ControlOptions
    @Argument(help: "The virtual server as configured: ADDRESS:PORT, 'fwmark N' or 'group NAME' (quoted).")
    var virtualServer: String
    @Argument(help: "The real server: ADDRESS:PORT (or ADDRESS when unambiguous).")
    var realServer: String
    func run() throws { try options.send(.drain(virtualServer: virtualServer, realServer: realServer)) }
}

struct Undrain: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "undrain", abstract: "Give a drained real server its weight back.")
    @OptionGroup var options: ControlOptions
    @Argument var virtualServer: String
    @Argument var realServer: String
    func run() throws { try options.send(.undrain(virtualServer: virtualServer, realServer: realServer)) }
}

struct Priority: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "priority",
        abstract: "Set an instance's priority until reset (not kept across a restart).",
        discussion: "vigil priority VI_1 50 — the peer takes over if it preempts; vigil priority VI_1 reset — back to the configured priority.")
    @OptionGroup var options: ControlOptions
    @Argument var instance: String
    @Argument(help: "1-254, or 'reset'.")
    var value: String
    func run() throws {
        let command: ControlCommand
        do { command = try ControlCommand(parsing: "priority \(instance) \(value)") } catch {
            throw ValidationError("\(error)")
        }
        try options.send(command)
    }
}

struct Resign: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resign",
        abstract: "Hand an instance over to its peer for maintenance: priority 1, and a master steps down at once.",
        discussion: "Undo with `vigil priority INSTANCE reset`.")
    @OptionGroup var options: ControlOptions
    @Argument var instance: String
    func run() throws { try options.send(.resign(instance: instance)) }
}
