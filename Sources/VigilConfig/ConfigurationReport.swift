import FoundationEssentials

/// What `vigil check` prints (and `vigil run` when it refuses a configuration): the
/// diagnostics in file order, then a one-line summary; or the same as JSON.
public struct ConfigurationReport {
    public let result: ConfigurationLoader.Result

    public init(_ result: ConfigurationLoader.Result) { self.result = result }

    public var summary: String {
        let c = result.configuration
        return "\(result.files.first ?? "configuration"): "
            + "\(c.vrrpInstances.count) \(plural(c.vrrpInstances.count, "VRRP instance")), "
            + "\(c.syncGroups.count) \(plural(c.syncGroups.count, "sync group")), "
            + "\(c.virtualServers.count) \(plural(c.virtualServers.count, "virtual server")), "
            + "\(c.realServerCount) \(plural(c.realServerCount, "real server")); "
            + "\(result.errorCount) \(plural(result.errorCount, "error")), "
            + "\(result.warningCount) \(plural(result.warningCount, "warning"))"
    }

    private func plural(_ n: Int, _ word: String) -> String { n == 1 ? word : word + "s" }

    /// One diagnostic per line, then the summary.
    public var text: String {
        (result.diagnostics.map(\.description) + [summary]).joined(separator: "\n") + "\n"
    }

    struct JSONDiagnostic: Encodable {
        let file: String
        let line: Int
        let column: Int
        let severity: String
        let id: String
        let message: String
    }

    struct JSONSummary: Encodable {
        let vrrpInstances: Int
        let syncGroups: Int
        let virtualServers: Int
        let realServers: Int
        let errors: Int
        let warnings: Int
    }

    struct JSONReport: Encodable {
        let file: String
        let files: [String]
        let valid: Bool
        let diagnostics: [JSONDiagnostic]
        let summary: JSONSummary
    }

    public var json: String {
        let c = result.configuration
        let report = JSONReport(
            file: result.files.first ?? "",
            files: result.files,
            valid: result.isValid,
            diagnostics: result.diagnostics.map {
                JSONDiagnostic(file: $0.location.file, line: $0.location.line, column: $0.location.column,
                               severity: $0.severity.rawValue, id: $0.id, message: $0.message)
            },
            summary: JSONSummary(vrrpInstances: c.vrrpInstances.count, syncGroups: c.syncGroups.count,
                                 virtualServers: c.virtualServers.count, realServers: c.realServerCount,
                                 errors: result.errorCount, warnings: result.warningCount))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(report)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
