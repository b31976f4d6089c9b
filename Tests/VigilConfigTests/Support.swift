import Foundation
import Testing
@testable import VigilConfig

/// Loads configuration text from memory, with optional extra files for includes.
func load(_ text: String, files: [String: String] = [:], configID: String? = nil,
          host: HostFacts? = nil, strictHost: Bool = false) -> ConfigurationLoader.Result {
    var all = files
    all["/cfg/keepalived.conf"] = text
    let options = ConfigurationLoader.Options(configID: configID, host: host, strictHost: strictHost)
    return try! ConfigurationLoader.load(path: "/cfg/keepalived.conf", reader: InMemorySourceReader(all), options: options)
}

extension ConfigurationLoader.Result {
    /// `line:id` for every diagnostic, the compact form tests compare.
    var found: [String] { diagnostics.map { "\($0.location.line):\($0.id)" } }
    var errors: [Diagnostic] { diagnostics.filter { $0.severity == .error } }
    var warnings: [Diagnostic] { diagnostics.filter { $0.severity == .warning } }
    func has(_ id: String, line: Int, _ severity: Diagnostic.Severity? = nil) -> Bool {
        diagnostics.contains { $0.id == id && $0.location.line == line && (severity == nil || $0.severity == severity) }
    }
    /// The first checker of the first real server of the first virtual server.
    var firstChecker: HealthChecker? { configuration.virtualServers.first?.realServers.first?.checkers.first }
    /// Whether `vigil check --dump` of it reads back to the same model.
    var dumpReadsBack: Bool { load(Dumper.dump(configuration)).configuration == configuration }
}

/// The repository root, for tests that read etc/ and the fixtures.
let repositoryRoot: String = {
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)  // Tests/VigilConfigTests/Support.swift
    return parts.joined(separator: "/")
}()

/// A minimal valid instance, for tests that vary one thing.
func instance(_ body: String, name: String = "VI_1") -> String {
    """
    vrrp_instance \(name) {
        interface eth0
        virtual_router_id 51
        virtual_ipaddress {
            192.0.2.100/24
        }
    \(body)
    }
    """
}
