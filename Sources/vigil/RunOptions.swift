import ArgumentParser
import VigilPlan

/// `vigil run`'s options as values: what the `Run` command's ArgumentParser properties
/// hold, what keepalived's command line maps to (`KeepalivedMode`), and what the daemon's
/// start reads (`Run.start`).
struct RunOptions: Equatable {
    var file = "/etc/vigil/vigil.conf"
    var configID: String?
    var pidFile: String?
    var logDetail = false
    var dontReleaseIPVS = false
    var controlSocket = ControlPath.defaultPath
    /// `--only vrrp` / `--only checker` (keepalived's -P / -C).
    var subsystems = PlanSource.Subsystems.all
    var alsoPIDFiles: [String] = []
}

/// The options' names, in one place for ArgumentParser's `Run` and the plain reading.
enum RunOption: CaseIterable {
    case file, configID, pidFile, logDetail, dontReleaseIPVS, controlSocket, only, alsoPIDFile

    var short: Character? {
        switch self {
        case .file: "f"
        case .configID: "i"
        case .dontReleaseIPVS: "I"
        default: nil
        }
    }

    var long: String {
        switch self {
        case .file: "file"
        case .configID: "config-id"
        case .pidFile: "pid-file"
        case .logDetail: "log-detail"
        case .dontReleaseIPVS: "dont-release-ipvs"
        case .controlSocket: "control-socket"
        case .only: "only"
        case .alsoPIDFile: "also-pid-file"
        }
    }

    /// A flag takes no value.
    var isFlag: Bool { self == .logDetail || self == .dontReleaseIPVS }

    /// As ArgumentParser names it.
    var names: NameSpecification {
        NameSpecification((short.map { [.customShort($0)] } ?? []) + [.customLong(long)])
    }
}

extension RunOptions {
    /// `--only`'s word: "vrrp" or "checker"; anything else runs both.
    static func subsystems(only: String?) -> PlanSource.Subsystems {
        only == "vrrp" ? .vrrpOnly : only == "checker" ? .checkersOnly : .all
    }

    /// The common `vigil run` command line (the unit's `run -f FILE --pid-file FILE`) read
    /// without ArgumentParser. Why: ArgumentParser reads a command by reflecting on its
    /// properties, and that reflection (generic metadata built from mangled names, each
    /// protocol requirement a scan of every conformance record in the binary) was half of
    /// a start's instructions and, in the IPVS guest's emulation, about a third of the time
    /// from exec to a programmed table (Benchmarks/start-table.sh) — the one figure where a
    /// daemon's start is waited for. So this reads only what it plainly understands: each
    /// option once (`--also-pid-file` any number of times), `--long VALUE`, `--long=VALUE` (not empty),
    /// `-f VALUE`, the flags alone. Anything else — help, `--version`, an unknown or repeated
    /// option, a missing value, a value that starts with `-`, clustered short options, a
    /// bare word, `--` — is nil, and ArgumentParser reads the line with its help and errors.
    /// RunOptionsTests holds the two readings equal on every line this one accepts.
    init?(plainArguments arguments: [String]) {
        self.init()
        var seen: [RunOption] = []
        var i = arguments.startIndex
        while i < arguments.endIndex {
            let word = arguments[i]
            i += 1
            let option: RunOption?
            var value: String?
            if word.hasPrefix("--") {
                let body = word.dropFirst(2)
                let name = body.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                option = RunOption.allCases.first { $0.long == name[0] }
                if name.count == 2 {
                    // `--name=` is a missing value to ArgumentParser.
                    guard !name[1].isEmpty else { return nil }
                    value = String(name[1])
                }
            } else if word.hasPrefix("-"), word.count == 2 {
                option = RunOption.allCases.first { $0.short == word.last }
            } else {
                return nil
            }
            guard let option, option == .alsoPIDFile || !seen.contains(option) else { return nil }
            seen.append(option)
            if option.isFlag {
                guard value == nil else { return nil }
            } else if value == nil {
                guard i < arguments.endIndex, !arguments[i].hasPrefix("-") else { return nil }
                value = arguments[i]
                i += 1
            }
            switch option {
            case .file: file = value!
            case .configID: configID = value
            case .pidFile: pidFile = value
            case .logDetail: logDetail = true
            case .dontReleaseIPVS: dontReleaseIPVS = true
            case .controlSocket: controlSocket = value!
            case .only: subsystems = Self.subsystems(only: value)
            case .alsoPIDFile: alsoPIDFiles.append(value!)
            }
        }
    }
}
