import ArgumentParser
import VigilConfig
import VigilLinux
#if canImport(Glibc)
import Glibc
#endif

/// `vigil check`: validate a keepalived.conf before deploying it.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate a configuration (keepalived.conf syntax).",
        discussion: """
        Prints one diagnostic per line as FILE:LINE:COLUMN: error|warning: MESSAGE, in file order, \
        then a summary. Exit status: 0 valid (warnings allowed), 1 configuration errors, \
        2 usage or I/O errors.
        """
    )

    @Option(name: [.customShort("f"), .customLong("file")], help: "The configuration file.")
    var file = "/etc/vigil/vigil.conf"

    @Option(name: [.customShort("i"), .customLong("config-id")],
            help: "Select '@ID' lines (default: this host's short name, as keepalived does).")
    var configID: String?

    @Flag(help: "Check against this host: an interface that does not exist here is an error.")
    var host = false

    @Flag(help: "Print the diagnostics and summary as JSON.")
    var json = false

    @Flag(help: "Print the effective configuration (includes and definitions expanded) in canonical syntax.")
    var dump = false

    @OptionGroup(visibility: .hidden) var keywordList: KeywordList

    mutating func run() throws {
        let facts: HostFacts?
        do {
            facts = try KernelHostFacts.current()
        } catch {
            if host {
                StandardError.write("vigil: cannot read this host's interfaces: \(error)\n")
                throw ExitCode(2)
            }
            facts = nil
        }
        let options = ConfigurationLoader.Options(configID: configID ?? defaultConfigID(), host: facts, strictHost: host)
        let result: ConfigurationLoader.Result
        do {
            result = try ConfigurationLoader.load(path: file, options: options)
        } catch {
            StandardError.write("vigil: \(error)\n")
            throw ExitCode(2)
        }
        let report = ConfigurationReport(result)
        if json {
            print(report.json, terminator: "")
        } else {
            if dump { print(Dumper.dump(result.configuration), terminator: "") }
            let out = report.text
            if dump { StandardError.write(out) } else { print(out, terminator: "") }
        }
        if !result.isValid { throw ExitCode(1) }
    }
}
