import ArgumentParser
import VigilLinux
import VigilDaemon
#if canImport(Glibc)
import Glibc
#endif

/// Every command names itself (`commandName`): ArgumentParser's default derives the name from
/// the type's with `String(describing:)`, which asks the runtime, at each of its many uses,
/// whether the metatype conforms to three protocols — each a scan of every conformance
/// record in the binary. That was a third of a `vigil run` start's instructions
/// (Benchmarks/start-instructions.sh: 38.9 M before, 27.2 M after).
@main
struct Vigil: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vigil",
        abstract: "A keepalived-compatible high-availability daemon: VRRP failover and IPVS health checks.",
        version: BuildInfo.version,
        subcommands: [Check.self, Run.self, Status.self, Reload.self, Drain.self, Undrain.self, Priority.self, Resign.self, Genhash.self]
    )

    /// Usage errors exit with 2, the code `vigil check` documents (ArgumentParser's is 64).
    static func main() {
        // Invoked as keepalived (a symlink): keepalived's command line.
        if CommandLine.arguments.first.map({ $0.split(separator: "/").last.map(String.init) == "keepalived" }) == true {
            KeepalivedMode.main(Array(CommandLine.arguments.dropFirst()))
        }
        do {
            // The daemon's own line, read plainly when it can be (`RunOptions(plainArguments:)`
            // says why): the start to a programmed table is waited for.
            let arguments = CommandLine.arguments.dropFirst()
            if arguments.first == "run", let options = RunOptions(plainArguments: Array(arguments.dropFirst())) {
                return try Run.start(options)
            }
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                StandardError.write(fullMessage(for: error) + "\n")
                Glibc.exit(2)
            }
            exit(withError: error)
        }
    }
}
