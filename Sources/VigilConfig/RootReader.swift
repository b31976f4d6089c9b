extension ModelBuilder {
    /// Reads the top level of keepalived.conf.
    func build(_ statements: [Statement]) -> Configuration {
        var config = Configuration()
        var unsupported: [Statement] = []
        each(statements, in: .root, path: "the top level", unsupported: &unsupported) { s in
            switch s.name {
            case "global_defs":
                if let block = blockExpected(s) { readGlobalDefs(block, into: &config.globalDefs) }
            case "vrrp_instance":
                if let instance = readInstance(s) { config.vrrpInstances.append(instance) }
            case "vrrp_sync_group":
                if let group = readSyncGroup(s) { config.syncGroups.append(group) }
            case "vrrp_script":
                if let script = readVRRPScript(s) { config.vrrpScripts.append(script) }
            case "vrrp_track_process":
                if let p = readTrackProcess(s) { config.trackProcesses.append(p) }
            case "track_file", "vrrp_track_file":
                if let file = readTrackFile(s) { config.trackFiles.append(file) }
            case "virtual_server":
                if let server = readVirtualServer(s) { config.virtualServers.append(server) }
            case "virtual_server_group":
                if let group = readVirtualServerGroup(s) { config.virtualServerGroups.append(group) }
            case "SSL":
                guard let block = blockExpected(s) else { break }
                var ssl = SSLContextSettings(origin: Origin(s.location))
                var ignored: [Statement] = []
                each(block, in: .ssl, path: "SSL", unsupported: &ignored) { s in
                    switch s.name {
                    case "password": ssl.password = word(s, "the key's password")
                    case "ca": ssl.ca = word(s, "a CA file")
                    case "certificate": ssl.certificate = word(s, "a certificate file (PEM)")
                    case "key": ssl.key = word(s, "a key file (PEM)")
                    default: return false
                    }
                    return true
                }
                if config.ssl != nil { diagnostics.warning("duplicate", at: s.location, "a second SSL block replaces the first") }
                if (ssl.certificate == nil) != (ssl.key == nil) {
                    diagnostics.error("ssl-incomplete", at: s.location, "SSL needs both 'certificate' and 'key' (or neither)")
                }
                config.ssl = ssl
            case "static_routes":
                if let block = blockExpected(s) { config.staticRoutes += block.compactMap { readVirtualRoute($0, block: "static_routes") } }
            case "static_rules":
                if let block = blockExpected(s) { config.staticRules += block.compactMap { readVirtualRule($0, block: "static_rules") } }
            default:
                return false
            }
            return true
        }
        config.unsupported = unsupported
        return config
    }

    /// The name after a block keyword (`vrrp_instance VI_1 {`), reported when missing.
    func blockName(_ s: Statement) -> String? {
        guard let first = s.arguments.first else {
            diagnostics.error("missing-name", at: s.location, "'\(s.name)' needs a name")
            return nil
        }
        if s.arguments.count > 1 {
            diagnostics.warning("extra-argument", at: s.arguments[1].location, "extra words after '\(s.name) \(first.text)' are ignored")
        }
        return first.text
    }
}
