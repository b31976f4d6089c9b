import Testing
@testable import VigilConfig

/// The SMTP alert keywords: global_defs' server, addresses and defaults, and each
/// block's own smtp_alert, read as keepalived reads them, with located errors.
@Suite struct SMTPAlertKeywordTests {
    @Test func globalDefsAreRead() {
        let r = load("""
            global_defs {
                notification_email {
                    ops@example.test
                    oncall@example.test backup@example.test
                }
                notification_email_from vigil@example.test
                smtp_server 192.0.2.25 2525
                smtp_helo_name lb1.example.test
                smtp_connect_timeout 5
                smtp_alert
                smtp_alert_vrrp off
                smtp_alert_checker yes
                no_email_faults
                no_checker_emails yes
            }
            """ + instance(""))
        #expect(r.diagnostics.isEmpty, "\(r.diagnostics)")
        let g = r.configuration.globalDefs
        #expect(g.notificationEmail == ["ops@example.test", "oncall@example.test", "backup@example.test"], "every word, in order, as keepalived")
        #expect(g.notificationEmailFrom == "vigil@example.test")
        #expect(g.smtpServer == SMTPServer(address: IPAddress("192.0.2.25")!, port: 2525))
        #expect(g.smtpHeloName == "lb1.example.test")
        #expect(g.smtpConnectTimeout == 5)
        #expect(g.smtpAlert == true && g.smtpAlertVRRP == false && g.smtpAlertChecker == true)
        #expect(g.noEmailFaults && g.noCheckerEmails)
        #expect(r.dumpReadsBack)
    }

    @Test func theServersPortIs25UnlessGiven() {
        let r = load("global_defs {\n    smtp_server 2001:db8::25\n}\n" + instance(""))
        #expect(r.configuration.globalDefs.smtpServer == SMTPServer(address: IPAddress("2001:db8::25")!, port: 25))
        #expect(r.dumpReadsBack)
    }

    @Test func eachBlocksOwnSmtpAlert() {
        let r = load("""
            vrrp_sync_group G1 {
                group {
                    VI_1
                    VI_2
                }
                smtp_alert off
            }
            \(instance("    smtp_alert"))
            \(instance("", name: "VI_2").replacingOccurrences(of: "virtual_router_id 51", with: "virtual_router_id 52").replacingOccurrences(of: "192.0.2.100", with: "192.0.2.101"))
            virtual_server 192.0.2.100 80 {
                protocol TCP
                smtp_alert on
                real_server 198.51.100.1 80 {
                    smtp_alert no
                }
            }
            """)
        #expect(r.errors.isEmpty, "\(r.errors)")
        #expect(r.configuration.syncGroups.first?.smtpAlert == false)
        #expect(r.configuration.vrrpInstances.map(\.smtpAlert) == [true, nil])
        #expect(r.configuration.virtualServers.first?.smtpAlert == true)
        #expect(r.configuration.virtualServers.first?.realServers.first?.smtpAlert == false)
        #expect(r.dumpReadsBack)
    }

    @Test func badValuesAreLocatedErrors() {
        let r = load("""
            global_defs {
                smtp_server 192.0.2.300
                smtp_server 192.0.2.25 70000
                smtp_connect_timeout 5000
                smtp_connect_timeout soon
                smtp_alert maybe
            }
            """ + instance("    smtp_alert sometimes"))
        #expect(r.has("bad-address", line: 2, .error))
        #expect(r.has("out-of-range", line: 3, .error))
        #expect(r.has("out-of-range", line: 4, .error))
        #expect(r.has("out-of-range", line: 5, .error))
        #expect(r.has("bad-value", line: 6, .error))
        #expect(r.has("bad-value", line: 13, .error))
        #expect(r.errors.first?.location.column == 17, "at the word: \(String(describing: r.errors.first))")
        #expect(r.configuration.globalDefs.smtpServer == nil)
    }

    @Test func zeroTimeoutIsOneAndAnEmptyListWarns() {
        let r = load("global_defs {\n    smtp_connect_timeout 0\n    notification_email {\n    }\n}\n" + instance(""))
        #expect(r.errors.isEmpty)
        #expect(r.has("zero-interval", line: 2, .warning))
        #expect(r.has("empty-block", line: 3, .warning))
        #expect(r.configuration.globalDefs.smtpConnectTimeout == 1, "keepalived takes 0 as 1")
    }

    /// keepalived sends nothing with only one of the server and the addresses, and does
    /// not say so; `vigil check` does, at the keyword written.
    @Test func halfAConfigurationWarns() {
        let noServer = load("global_defs {\n    notification_email {\n        ops@example.test\n    }\n}\n" + instance(""))
        #expect(noServer.has("no-smtp-server", line: 2, .warning), "\(noServer.diagnostics)")
        let noAddress = load("global_defs {\n    smtp_server 192.0.2.25\n}\n" + instance(""))
        #expect(noAddress.has("no-recipient", line: 2, .warning), "\(noAddress.diagnostics)")
        let both = load("global_defs {\n    smtp_server 192.0.2.25\n    notification_email {\n        ops@example.test\n    }\n}\n" + instance(""))
        #expect(both.diagnostics.isEmpty)
        let named = load("global_defs {\n    smtp_server mail.example.test\n    notification_email {\n        ops@example.test\n    }\n}\n" + instance(""))
        #expect(!named.has("no-smtp-server", line: 3), "the name is reported already")
    }

    /// keepalived resolves a host name once, at load; Vigil reports it as not supported
    /// (no alert is sent), never silently.
    @Test func aHostNameIsReportedNotSupported() {
        let r = load("global_defs {\n    smtp_server mail.example.test\n}\n" + instance(""))
        #expect(r.errors.isEmpty)
        #expect(r.configuration.globalDefs.smtpServer == nil)
        #expect(r.configuration.globalDefs.unsupported.map(\.name) == ["smtp_server"])
        #expect(r.warnings.contains { $0.location.line == 2 }, "\(r.warnings)")
    }
}
