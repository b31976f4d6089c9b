#if canImport(Glibc)
import Glibc
#endif

/// The one entry point from a file name to a validated `Configuration`: preprocess, parse,
/// build the typed model, validate. `vigil check` and `vigil run` both go through it, so
/// they report the same diagnostics.
public enum ConfigurationLoader {
    public struct Options {
        /// `--config-id`: selects `@ID` lines.
        public var configID: String?
        /// Facts about this machine (interfaces); nil skips host checks.
        public var host: HostFacts?
        /// `--host`: a missing interface is an error, not a warning.
        public var strictHost: Bool
        /// What `${_ENV NAME}` reads (keepalived 2.4): the process's environment unless a
        /// caller (a test) gives another.
        public var environment: [String: String]?

        public init(configID: String? = nil, host: HostFacts? = nil, strictHost: Bool = false,
                    environment: [String: String]? = nil) {
            self.configID = configID
            self.host = host
            self.strictHost = strictHost
            self.environment = environment
        }
    }

    public struct Result {
        public var configuration: Configuration
        /// In file order.
        public var diagnostics: [Diagnostic]
        /// Every file read, the main file first.
        public var files: [String]

        public var errorCount: Int { diagnostics.filter { $0.severity == .error }.count }
        public var warningCount: Int { diagnostics.filter { $0.severity == .warning }.count }
        public var isValid: Bool { errorCount == 0 }
    }

    /// Throws `SourceReadError` only when the main file cannot be read (an I/O error, exit
    /// code 2); every problem inside the configuration is a diagnostic.
    public static func load(path: String, reader: SourceReader = FileSystemSourceReader(),
                            options: Options = Options()) throws -> Result {
        let diagnostics = DiagnosticEngine()
        // The process's environment, one variable at a time as `${_ENV NAME}` asks (copying
        // it all into a dictionary was a fifth of a small configuration's load).
        let environment: (String) -> String? = options.environment.map { table in { table[$0] } }
            ?? { getenv($0).map { String(cString: $0) } }
        var preprocessor = Preprocessor(reader: reader, diagnostics: diagnostics, configID: options.configID,
                                        environment: environment)
        try preprocessor.run(mainFile: path)
        let statements = Parser.parse(preprocessor.tokens, diagnostics: diagnostics)
        let configuration = ModelBuilder(diagnostics: diagnostics).build(statements)
        Validator(config: configuration, diagnostics: diagnostics, host: options.host,
                  strictHost: options.strictHost).run()
        return Result(configuration: configuration, diagnostics: diagnostics.sorted, files: preprocessor.files)
    }

    /// Reads configuration text held in memory (tests, fuzzing, `--dump` round trips).
    public static func load(text: String, path: String = "vigil.conf", options: Options = Options()) -> Result {
        // The in-memory reader always has the main file, so this cannot throw.
        (try? load(path: path, reader: InMemorySourceReader([path: text]), options: options))
            ?? Result(configuration: Configuration(), diagnostics: [], files: [])
    }
}
