/// The top-level keywords Vigil reads.
enum RootKeyword: String, ImplementedKeyword {
    static let block = BlockKind.root
    case globalDefs = "global_defs"
    case vrrpInstance = "vrrp_instance"
    case vrrpSyncGroup = "vrrp_sync_group"
    case vrrpScript = "vrrp_script"
    case vrrpTrackProcess = "vrrp_track_process"
    case trackFile = "track_file"
    /// The older spelling of `track_file`.
    case vrrpTrackFile = "vrrp_track_file"
    case virtualServer = "virtual_server"
    case virtualServerGroup = "virtual_server_group"
    case ssl = "SSL"
    case staticRoutes = "static_routes"
    case staticRules = "static_rules"
    /// Vigil's own: a host route announced while the service is up here.
    case announce
    /// Vigil's own (DPVS's word): the source addresses of FNAT services here.
    case localAddressGroup = "local_address_group"
}

/// The keywords of the `SSL` block (the client certificate of SSL_GET checkers).
enum SSLKeyword: String, ImplementedKeyword {
    static let block = BlockKind.ssl
    case password, ca, certificate, key
}

extension ModelBuilder {
    /// Reads the top level of keepalived.conf.
    func build(_ statements: [Statement]) -> Configuration {
        var config = Configuration()
        var unsupported: [Statement] = []
        each(statements, RootKeyword.self, path: "the top level", unsupported: &unsupported) { keyword, s in
            switch keyword {
            case .globalDefs:
                if let block = blockExpected(s) { readGlobalDefs(block, into: &config.globalDefs) }
            case .vrrpInstance:
                if let instance = readInstance(s) { config.vrrpInstances.append(instance) }
            case .vrrpSyncGroup:
                if let group = readSyncGroup(s) { config.syncGroups.append(group) }
            case .vrrpScript:
                if let script = readVRRPScript(s) { config.vrrpScripts.append(script) }
            case .vrrpTrackProcess:
                if let p = readTrackProcess(s) { config.trackProcesses.append(p) }
            case .trackFile, .vrrpTrackFile:
                if let file = readTrackFile(s) { config.trackFiles.append(file) }
            case .virtualServer:
                if let server = readVirtualServer(s) { config.virtualServers.append(server) }
            case .virtualServerGroup:
                if let group = readVirtualServerGroup(s) { config.virtualServerGroups.append(group) }
            case .ssl:
                guard let block = blockExpected(s) else { break }
                var ssl = SSLContextSettings(origin: Origin(s.location))
                var ignored: [Statement] = []
                each(block, SSLKeyword.self, path: "SSL", unsupported: &ignored) { keyword, s in
                    switch keyword {
                    case .password: ssl.password = word(s, "the key's password")
                    case .ca: ssl.ca = word(s, "a CA file")
                    case .certificate: ssl.certificate = word(s, "a certificate file (PEM)")
                    case .key: ssl.key = word(s, "a key file (PEM)")
                    }
                    return true
                }
                if config.ssl != nil { diagnostics.warning("duplicate", at: s.location, "a second SSL block replaces the first") }
                if (ssl.certificate == nil) != (ssl.key == nil) {
                    diagnostics.error("ssl-incomplete", at: s.location, "SSL needs both 'certificate' and 'key' (or neither)")
                }
                config.ssl = ssl
            case .staticRoutes:
                if let block = blockExpected(s) { config.staticRoutes += block.compactMap { readVirtualRoute($0, block: "static_routes") } }
            case .staticRules:
                if let block = blockExpected(s) { config.staticRules += block.compactMap { readVirtualRule($0, block: "static_rules") } }
            case .announce:
                if let a = readAnnouncement(s) { config.announcements.append(a) }
            case .localAddressGroup:
                if let g = readLocalAddressGroup(s) { config.localAddressGroups.append(g) }
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
