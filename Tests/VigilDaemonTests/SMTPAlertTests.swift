import LVS
import Testing
import VRRP
import VigilConfig
@testable import VigilPlan

/// keepalived's SMTP alerts as Vigil words them, compared with what keepalived 2.2.7's
/// code writes for the same event (core/smtp.c's subjects and headers, the bodies of
/// vrrp_notify.c, the checkers and ipwrapper.c), and which settings decide.
@Suite struct SMTPAlertTests {
    @Test func vrrpSubjectsAndBodies() {
        let cases: [(SMTPAlert, String, String)] = [
            (.instance(name: "VI_1", state: .master), "[lb1] VRRP Instance VI_1 - Entering MASTER state", "=> VRRP Instance is now owning VRRP VIPs <="),
            (.instance(name: "VI_1", state: .backup), "[lb1] VRRP Instance VI_1 - Entering BACKUP state", "=> VRRP Instance is no longer owning VRRP VIPs <="),
            (.instance(name: "VI_1", state: .fault), "[lb1] VRRP Instance VI_1 - Entering FAULT state", "=> VRRP Instance is no longer owning VRRP VIPs <="),
            (.instance(name: "VI_1", state: .initialize), "[lb1] VRRP Instance VI_1 - Stopping", "=> VRRP Instance stopping <="),
            (.group(name: "G1", state: .master), "[lb1] VRRP Group G1 - Entering MASTER state", "=> All VRRP group instances are now in MASTER state <="),
            (.group(name: "G1", state: .backup), "[lb1] VRRP Group G1 - Entering BACKUP state", "=> All VRRP group instances are now in BACKUP state <="),
            (.group(name: "G1", state: .fault), "[lb1] VRRP Group G1 - Entering FAULT state", "=> All VRRP group instances are now in FAULT state <="),
            (.group(name: "G1", state: .initialize), "[lb1] VRRP Group G1 - Stopping", "=> All VRRP group instances are now stopping <="),
        ]
        for (alert, subject, body) in cases {
            #expect(alert.subject(routerID: "lb1") == subject)
            #expect(alert.body == body)
        }
        #expect(SMTPAlert.instance(name: "VI_1", state: .master).subject(routerID: nil) == "VRRP Instance VI_1 - Entering MASTER state")
    }

    @Test func serverSubjectsAndBodies() {
        let rs = SMTPAlert.realServer(name: "[198.51.100.1]:tcp:80", virtualServer: "[192.0.2.100]:tcp:80", up: false,
                                      body: "=> TCP CHECK failed on service <=")
        #expect(rs.subject(routerID: "lb1") == "[lb1] Realserver [198.51.100.1]:tcp:80 of virtual server [192.0.2.100]:tcp:80 - DOWN")
        #expect(rs.body == "=> TCP CHECK failed on service <=")
        let lost = SMTPAlert.virtualServer(name: "FWM 7", up: false,
                                           body: SMTPAlert.quorumBody(up: false, quorum: 3, hysteresis: 1, liveWeight: 1))
        #expect(lost.subject(routerID: "lb1") == "[lb1] Virtualserver FWM 7 - DOWN")
        #expect(lost.body == "=> Lost quorum 3+1=2 <= 1 <=", "losing: quorum − hysteresis")
        #expect(SMTPAlert.quorumBody(up: true, quorum: 3, hysteresis: 1, liveWeight: 4) == "=> Gained quorum 3+1=4 <= 4 <=",
                "gaining: quorum + hysteresis")
        #expect(SMTPAlert.shuttingDown == "=> Shutting down <=")
    }

    @Test func eachCheckersWords() {
        let t = CheckTarget(host: "198.51.100.1", port: 80)
        let down = CheckOutcome.down("connection refused")
        #expect(SMTPAlert.realServerBody(.tcp(t), up: true, outcome: .up) == "=> TCP CHECK succeed on service <=")
        #expect(SMTPAlert.realServerBody(.tcp(t), up: false, outcome: down) == "=> TCP CHECK failed on service <=")
        #expect(SMTPAlert.realServerBody(.http(t, HTTPGetSettings(urls: [])), up: false, outcome: down)
            == "=> CHECK failed on service : HTTP request failed <=")
        #expect(SMTPAlert.realServerBody(.udp(t, UDPCheckSettings()), up: true, outcome: .up) == "=> UDP CHECK succeed on service <=")
        #expect(SMTPAlert.realServerBody(.dns(t, DNSCheckSettings(type: 1, name: "")), up: false, outcome: down) == "=> DNS_CHECK: failed on service <=")
        #expect(SMTPAlert.realServerBody(.ping(t), up: false, outcome: down) == "=> ICMP CHECK failed on service <=")
        #expect(SMTPAlert.realServerBody(.smtp(t, SMTPCheckSettings()), up: false, outcome: down)
            == "=> CHECK failed on service : connection refused <=")
        let misc = CheckSpec.Kind.misc(command: "/bin/true", timeout: 1, dynamic: false, user: nil, group: nil)
        #expect(SMTPAlert.realServerBody(misc, up: true, outcome: .up) == "=> MISC CHECK succeeded on service <=")
        #expect(SMTPAlert.realServerBody(misc, up: false, outcome: .down("MISC_CHECK timeout after 1 s")) == "=> MISC CHECK timed out on service <=")
        #expect(SMTPAlert.realServerBody(misc, up: false, outcome: .down("MISC_CHECK exit status 1")) == "=> MISC CHECK failed on service <=")
        #expect(SMTPAlert.realServerBody(.file(name: "f", weight: 0, reverse: false), up: false, outcome: down) == nil,
                "keepalived's FILE_CHECK sends no alert")
    }

    /// check_tcp.c and its siblings: each checker mails on its own change of state, the
    /// subject saying the real server's state, the body the checker's.
    @Test func eachCheckerMailsItsOwnChange() {
        let tcp = CheckSpec.Kind.tcp(CheckTarget(host: "198.51.100.1", port: 80))
        let up = RealServerHealth.CheckerState(isUp: true, hasRun: true)
        let down = RealServerHealth.CheckerState(isUp: false, hasRun: true)
        let fresh = RealServerHealth.CheckerState(isUp: true, hasRun: false)
        func mail(_ outcome: CheckOutcome, _ before: RealServerHealth.CheckerState, _ was: Bool, _ now: Bool,
                  quiet: Bool = false, kind: CheckSpec.Kind = tcp) -> SMTPAlert? {
            SMTPAlert.checkerResult(kind, outcome, before: before, serverWasUp: was, serverIsUp: now, noCheckerEmails: quiet,
                                    realServer: "[198.51.100.1]:tcp:80", virtualServer: "[192.0.2.100]:tcp:80")
        }
        let failed = CheckOutcome.down("connection refused")
        #expect(mail(failed, up, true, false) == .realServer(name: "[198.51.100.1]:tcp:80", virtualServer: "[192.0.2.100]:tcp:80",
                                                              up: false, body: "=> TCP CHECK failed on service <="))
        #expect(mail(failed, down, false, false) == nil, "no change of the checker: nothing")
        #expect(mail(.up, fresh, true, true) == nil, "a first success of a checker that starts up: nothing")
        #expect(mail(failed, fresh, true, false) != nil, "a first failure: its DOWN mail")
        // Two checkers: the second fails while the first already did; the first recovers while the second still fails.
        #expect(mail(failed, up, false, false)?.subject(routerID: nil) == "Realserver [198.51.100.1]:tcp:80 of virtual server [192.0.2.100]:tcp:80 - DOWN")
        let recovering = mail(.up, down, false, false)
        #expect(recovering?.subject(routerID: nil).hasSuffix(" - DOWN") == true && recovering?.body == "=> TCP CHECK succeed on service <=",
                "the server is still down: DOWN, with the checker's succeed")
        #expect(mail(.up, down, false, false, quiet: true) == nil, "no_checker_emails: only a change of the server mails")
        #expect(mail(.up, down, false, true, quiet: true) != nil)
        let misc = CheckSpec.Kind.misc(command: "/bin/true", timeout: 1, dynamic: false, user: nil, group: nil)
        #expect(mail(.up, fresh, true, true, kind: misc)?.body == "=> MISC CHECK succeeded on service <=",
                "MISC_CHECK mails its first result too (check_misc.c)")
        #expect(mail(.up, up, true, true, kind: misc) == nil)
    }

    /// core/smtp.c's SMTP_HEADERS_CMD, SMTP_BODY_CMD and SMTP_SEND_CMD in one DATA.
    @Test func theMailAsKeepalivedWritesIt() {
        let mail = SMTPAlert.instance(name: "VI_1", state: .master)
            .message(date: "Sun, 29 Nov 2026 09:13:02 +0000", from: "vigil@example.test",
                     to: ["ops@example.test", "oncall@example.test"], routerID: "lb1")
        #expect(mail == "Date: Sun, 29 Nov 2026 09:13:02 +0000\r\nFrom: vigil@example.test\r\n"
            + "Subject: [lb1] VRRP Instance VI_1 - Entering MASTER state\r\nX-Mailer: Keepalived\r\n"
            + "To: ops@example.test, oncall@example.test\r\n\r\n=> VRRP Instance is now owning VRRP VIPs <=\r\n\r\n.\r\n")
    }

    @Test func keepalivedsLimits() {
        let long = String(repeating: "x", count: 300)
        #expect(SMTPAlert.instance(name: long, state: .master).subject(routerID: "lb1").utf8.count == 255)
        #expect(SMTPAlert.realServer(name: "a", virtualServer: "b", up: true, body: long + long).body.utf8.count == 511)
        let many = (0..<100).map { "operator\($0)@example.test" }
        let to = SMTPAlert.toHeader(many)
        #expect(to.utf8.count <= 1023 && to.hasPrefix("operator0@example.test, operator1@example.test"))
        #expect(!to.hasSuffix(", "))
        #expect(SMTPAlert.truncated("éé", to: 3) == "é", "cut at a character")
    }

    static func plan(_ text: String) -> SMTPAlertPlan {
        SMTPAlertPlan.make(ConfigurationLoader.load(text: text).configuration)
    }

    static let mail = """
        global_defs {
            notification_email {
                ops@example.test
            }
            smtp_server 192.0.2.25
        %@
        }
        vrrp_instance VI_1 {
            interface eth0
            virtual_router_id 51
        %@
        }
        vrrp_instance VI_2 {
            interface eth0
            virtual_router_id 52
        }
        """

    static func config(global: String = "", local: String = "") -> String {
        var text = mail
        text = text.replacingOccurrences(of: "%@", with: global, options: [], range: text.range(of: "%@"))
        return text.replacingOccurrences(of: "%@", with: local)
    }

    /// vrrp.c: the instance's own, else smtp_alert_vrrp, else smtp_alert, else off.
    @Test func whichSettingDecidesForVRRP() {
        #expect(Self.plan(Self.config()).instances.isEmpty, "nothing written: off")
        #expect(Self.plan(Self.config(global: "smtp_alert")).instances == ["VI_1", "VI_2"])
        #expect(Self.plan(Self.config(global: "smtp_alert\nsmtp_alert_vrrp off")).instances.isEmpty, "smtp_alert_vrrp first")
        #expect(Self.plan(Self.config(global: "smtp_alert off", local: "smtp_alert")).instances == ["VI_1"], "the instance's own first")
        #expect(Self.plan(Self.config(global: "smtp_alert", local: "smtp_alert off")).instances == ["VI_2"])
        #expect(Self.plan(Self.config()).isActive)
        #expect(!Self.plan(Self.config().replacingOccurrences(of: "smtp_server 192.0.2.25", with: "")).isActive,
                "no smtp_server: keepalived sends nothing")
    }

    /// check_data.c: a virtual server's own, else smtp_alert_checker, else smtp_alert, else
    /// off; a real server's the same but on at the end.
    @Test func whichSettingDecidesForServers() {
        func flags(_ global: String, vs: String = "", rs: String = "") -> (Bool, Bool) {
            let text = "global_defs {\n\(global)\n}\nvirtual_server 192.0.2.100 80 {\nprotocol TCP\n\(vs)\nreal_server 198.51.100.1 80 {\n\(rs)\nTCP_CHECK {\n}\n}\n}\n"
            let pool = LVSPlan.make(ConfigurationLoader.load(text: text).configuration).pools[0]
            return (pool.smtpAlert, pool.members[0].smtpAlert)
        }
        #expect(flags("") == (false, true), "keepalived's old default: real servers on, virtual servers off")
        #expect(flags("smtp_alert off") == (false, false))
        #expect(flags("smtp_alert off\nsmtp_alert_checker on") == (true, true), "smtp_alert_checker first")
        #expect(flags("smtp_alert", vs: "smtp_alert off", rs: "smtp_alert off") == (false, false), "their own first")
    }

    /// vrrp.c at a reload: an instance no longer configured is announced as entering FAULT
    /// (keepalived's default without notify_deleted), unless it is in FAULT already.
    @Test func aRemovedInstanceAlertsFault() {
        let plan = Self.plan(Self.config(global: "smtp_alert"))
        #expect(plan.removalAlert("VI_1", state: .master, lastAlerted: .master) == .instance(name: "VI_1", state: .fault))
        #expect(plan.removalAlert("VI_1", state: .backup, lastAlerted: .backup)?.subject(routerID: "lb1")
            == "[lb1] VRRP Instance VI_1 - Entering FAULT state")
        #expect(plan.removalAlert("VI_1", state: .fault, lastAlerted: .master) == nil, "in FAULT already: nothing")
        var quiet = plan
        quiet.noEmailFaults = true
        #expect(quiet.removalAlert("VI_1", state: .master, lastAlerted: .master) == nil)
    }

    /// vrrp_notify.c: no mail for FAULT under no_email_faults, and none for the state the
    /// last mail announced.
    @Test func whenAnInstanceAlerts() {
        var plan = Self.plan(Self.config(global: "smtp_alert"))
        #expect(plan.vrrpAlert("VI_1", group: false, to: .master, lastAlerted: .backup) == .instance(name: "VI_1", state: .master))
        #expect(plan.vrrpAlert("VI_1", group: false, to: .master, lastAlerted: .master) == nil)
        #expect(plan.vrrpAlert("VI_1", group: true, to: .master, lastAlerted: nil) == nil, "no group of that name alerts")
        #expect(plan.vrrpAlert("VI_1", group: false, to: .fault, lastAlerted: .master) == .instance(name: "VI_1", state: .fault))
        plan.noEmailFaults = true
        #expect(plan.vrrpAlert("VI_1", group: false, to: .fault, lastAlerted: .master) == nil)
    }
}
