#if canImport(Glibc)
import Glibc
#endif
import VigilTypes

/// The `nft` program, run as a child of the `ChildSupervisor` with a script on its stdin
/// (`nft -f -`: one atomic transaction). Vigil's tables (`StrictFirewall`, `FullNATTable`)
/// are each one table of its own, never the ruleset.
public struct NFTables: Sendable {
    /// `nft` could not do what was asked: the command, how it ended, and what it said.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// How long one nft run may take before it is killed (it takes 5-20 ms).
    static let timeoutMicroseconds: Int64 = 2_000_000

    /// Absolute path of the nft program.
    public let path: String

    public init(path: String) { self.path = path }

    /// The `nft` program in the usual places (Debian: package nftables, /usr/sbin/nft).
    public static func locate() -> NFTables? {
        for dir in ["/usr/sbin", "/sbin", "/usr/bin", "/bin", "/usr/local/sbin"] {
            let path = "\(dir)/nft"
            if access(path, X_OK) == 0 { return NFTables(path: path) }
        }
        return nil
    }

    /// Runs nft with `arguments` to its end, feeding `script` on stdin: its PID and stdout,
    /// or a Failure with its stderr. Waits (start-up, exit, tests).
    func runToEnd(_ arguments: [String], script: String?, children: ChildSupervisor,
                  now: () -> Instant) throws(Failure) -> (pid: Int32, output: String) {
        let command = "nft \(arguments.joined(separator: " "))"
        do {
            let (pid, ending) = try children.runToEnd(.exec(path, arguments), input: script.map { Array($0.utf8) },
                                                      timeout: Self.timeoutMicroseconds, now: now)
            return (pid, try Self.judge(ending, command))
        } catch let failure as Failure {
            throw failure
        } catch {
            throw Failure(description: "\(command): \(error)")
        }
    }

    /// Starts `nft -f -` with `script` beside the loop; its end is collected with
    /// `children.take(pid)` and judged with `judge`.
    func start(_ script: String, children: ChildSupervisor, now: Instant) throws -> Int32 {
        try children.start(.exec(path, ["-f", "-"]), input: Array(script.utf8), captureOutput: true,
                           timeout: Self.timeoutMicroseconds, policy: .kill, at: now)
    }

    /// nft's stdout when it succeeded, else a Failure saying how it ended and what it said.
    static func judge(_ ending: ChildSupervisor.Ending, _ command: String) throws(Failure) -> String {
        let stderr = String(decoding: ending.standardError, as: UTF8.self).trimmingSpaces
        switch ending.exit {
        case .status(0):
            return String(decoding: ending.standardOutput, as: UTF8.self)
        case let .status(code):
            throw Failure(description: "\(command) exited \(code): \(stderr.isEmpty ? "no message" : stderr)")
        case let .signal(signal):
            throw Failure(description: "\(command) killed by signal \(signal)\(ending.timedOut ? " after \(timeoutMicroseconds / 1_000_000) s" : "")\(stderr.isEmpty ? "" : ": \(stderr)")")
        }
    }

    /// Whether `nft list tables` lists `table` ("inet vigil").
    static func lists(_ table: String, in listing: String) -> Bool {
        listing.split(separator: "\n").contains { $0.trimmingSpaces == "table \(table)" }
    }

    /// Deletes `table` whether or not it exists: `table` declares it (a no-op when it is
    /// there), then `delete table` removes it (nft 1.0.6 has no `destroy`).
    static func deleteScript(_ table: String) -> String { "table \(table)\ndelete table \(table)\n" }
}

extension StringProtocol {
    /// Without its leading and trailing blanks (space, tab, newline). By index, not through
    /// `drop(while:).reversed()`: those wrapper types were built at run time, each start
    /// (about 1.5 M instructions, most of them the runtime looking up their conformances).
    var trimmingSpaces: String {
        let blank = { (c: Character) in c == " " || c == "\t" || c == "\n" }
        guard let first = firstIndex(where: { !blank($0) }), let last = lastIndex(where: { !blank($0) }) else { return "" }
        return String(self[first...last])
    }
}
