import VigilConfig

/// The configuration around a probed keyword: the blocks that lead to its block, what its
/// block needs to be valid, and what makes the block matter (an instance that tracks the
/// script, a real server with checkers for the checker defaults).
struct ProbeFrame {
    /// Lines up to the keyword's block, its opening line last.
    var openers: [String]
    /// Lines the block needs, by keyword: a probe of that keyword replaces them.
    var required: [(keyword: String, lines: [String])] = []
    /// Lines after the keyword: the closing braces, then top-level blocks that use this one.
    var closers: [String]

    /// A minimal valid instance; `lines` are added inside it.
    static func instance(_ lines: [String] = []) -> [String] {
        ["vrrp_instance VI_1 {"] + instanceRequired.flatMap(\.lines) + lines + ["}"]
    }

    static let instanceRequired: [(keyword: String, lines: [String])] = [
        ("interface", ["interface eth0"]),
        ("virtual_router_id", ["virtual_router_id 51"]),
        ("virtual_ipaddress", ["virtual_ipaddress {", "192.0.2.100/24", "}"]),
    ]

    /// A virtual server with a real server; `lines` are added inside the real server.
    static func virtualServer(realServer lines: [String]) -> [String] {
        ["virtual_server 192.0.2.1 80 {", "protocol TCP", "real_server 198.51.100.1 80 {"] + lines
    }

    /// Checkers whose options fall back on the real server's and the virtual server's.
    static let checkers = ["TCP_CHECK {", "}", "HTTP_GET {", "url {", "path /", "}", "}"]

    static func of(_ kind: BlockKind) -> ProbeFrame {
        func block(_ opener: String, _ required: [(keyword: String, lines: [String])] = [], users: [String] = []) -> ProbeFrame {
            ProbeFrame(openers: [opener], required: required, closers: ["}"] + users)
        }
        func inRealServer(_ openers: [String], _ required: [(keyword: String, lines: [String])] = []) -> ProbeFrame {
            ProbeFrame(openers: virtualServer(realServer: []) + openers, required: required,
                       closers: Array(repeating: "}", count: openers.count + 2))
        }
        switch kind {
        case .root:
            return ProbeFrame(openers: [], closers: [])
        case .announce:
            return ProbeFrame(openers: instance() + virtualServer(realServer: checkers) + ["}", "}", "announce 192.0.2.1 {"],
                              required: [("vrrp_instance", ["vrrp_instance VI_1"])], closers: ["}"])
        case .globalDefs:
            return block("global_defs {", users: instance())
        case .trackGroup:
            return block("track_group TG {")
        case .vrrpSyncGroup:
            return ProbeFrame(openers: instance() + ["vrrp_sync_group G1 {"],
                              required: [("group", ["group {", "VI_1", "}"])], closers: ["}"])
        case .garpGroup:
            return block("garp_group {")
        case .vrrpInstance:
            return block("vrrp_instance VI_1 {", instanceRequired)
        case .authentication:
            return ProbeFrame(openers: ["vrrp_instance VI_1 {"] + instanceRequired.flatMap(\.lines) + ["authentication {"],
                              required: [("auth_type", ["auth_type PASS"]), ("auth_pass", ["auth_pass secret"])],
                              closers: ["}", "}"])
        case .authHMAC:
            return ProbeFrame(openers: ["vrrp_instance VI_1 {"] + instanceRequired.flatMap(\.lines) + ["auth_hmac {"],
                              required: [], closers: ["}", "}"])
        case .vrrpScript:
            return block("vrrp_script chk {", [("script", ["script /bin/true"])],
                         users: instance(["track_script {", "chk", "}"]))
        case .trackProcess:
            return block("vrrp_track_process proc {", [("process", ["process nginx"])],
                         users: instance(["track_process {", "proc", "}"]))
        case .trackFile:
            return block("track_file tf {", [("file", ["file /run/vigil-probe"])],
                         users: instance(["track_file {", "tf", "}"]))
        case .ssl:
            return block("SSL {", [("certificate", ["certificate /etc/vigil/client.pem"]),
                                   ("key", ["key /etc/vigil/client.key"])])
        case .virtualServer:
            return block("virtual_server 192.0.2.1 80 {",
                         [("protocol", ["protocol TCP"]), ("real_server", ["real_server 198.51.100.1 80 {"] + checkers + ["}"])])
        case .realServer:
            return ProbeFrame(openers: virtualServer(realServer: []), required: [("", checkers)], closers: ["}", "}"])
        case .miscCheck:
            return inRealServer(["MISC_CHECK {"], [("misc_path", ["misc_path /bin/true"])])
        case .smtpCheck:
            return inRealServer(["SMTP_CHECK {"])
        case .smtpHost:
            return inRealServer(["SMTP_CHECK {", "host {"])
        case .tcpCheck:
            return inRealServer(["TCP_CHECK {"])
        case .pingCheck:
            return inRealServer(["PING_CHECK {"])
        case .udpCheck:
            return inRealServer(["UDP_CHECK {"])
        case .httpGetCheck:
            return inRealServer(["HTTP_GET {"], [("url", ["url {", "path /", "}"])])
        case .url:
            return inRealServer(["HTTP_GET {", "url {"], [("path", ["path /"])])
        case .dnsCheck:
            return inRealServer(["DNS_CHECK {"])
        case .fileCheck:
            return inRealServer(["FILE_CHECK {"])
        case .bfdCheck:
            return inRealServer(["BFD_CHECK {"])
        case .bfdInstance:
            return block("bfd_instance bfd1 {")
        }
    }
}
