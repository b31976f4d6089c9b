import VRRP
import VigilConfig

/// keepalived's SMTP alerts as this configuration asks for them: where they go, who sends
/// them, and which instances and groups send them (the virtual and real servers carry
/// their own `smtpAlert`, in `LVSPlan`).
///
/// keepalived sends nothing unless both `smtp_server` and `notification_email` are
/// written; each instance's, group's and server's `smtp_alert` is its own when written,
/// else global_defs' `smtp_alert_vrrp` / `smtp_alert_checker`, else `smtp_alert`, else off
/// (on for a real server, keepalived's older default kept for compatibility).
public struct SMTPAlertPlan: Sendable, Equatable {
    /// `smtp_server`: address and port (nil: no alert is ever sent).
    public var server: SMTPServer?
    /// `notification_email`, in order: one RCPT TO each, all in the To header.
    public var recipients: [String] = []
    /// `notification_email_from`, `smtp_helo_name`, `router_id`: nil takes keepalived's
    /// default from the host at start (user@host, the host name, the host name).
    public var from: String?
    public var heloName: String?
    public var routerID: String?
    /// `smtp_connect_timeout`: for the connection and for each answer, microseconds
    /// (keepalived's default 30 s).
    public var connectTimeout: Int64 = 30_000_000
    /// `no_email_faults`: a move to FAULT sends nothing.
    public var noEmailFaults = false
    /// `no_checker_emails`: a checker's change sends a mail only when its real server's
    /// state changes with it.
    public var noCheckerEmails = false
    /// The instances and sync groups whose `smtp_alert` is on, by name.
    public var instances: Set<String> = []
    public var groups: Set<String> = []

    public init() {}

    /// Whether any alert can be sent: a server and somebody to send to.
    public var isActive: Bool { server != nil && !recipients.isEmpty }

    /// keepalived's rule for an instance's (or, `group`, a sync group's) move to `state`:
    /// an alert when its smtp_alert is on, unless it is a move to FAULT under
    /// `no_email_faults`, or `state` is the one its last alert already announced (after a
    /// FAULT that sent nothing, the return to the same state sends nothing either).
    public func vrrpAlert(_ name: String, group: Bool, to state: VRRPState, lastAlerted: VRRPState?) -> SMTPAlert? {
        guard isActive, (group ? groups : instances).contains(name) else { return nil }
        if state == .fault && noEmailFaults { return nil }
        if state == lastAlerted { return nil }
        return group ? .group(name: name, state: state) : .instance(name: name, state: state)
    }

    /// keepalived at a reload that removes an instance (vrrp.c, vrrp_notify.c): without
    /// `notify_deleted` the removal is announced as a move to FAULT, and not at all for an
    /// instance in FAULT already.
    public func removalAlert(_ name: String, state: VRRPState, lastAlerted: VRRPState?) -> SMTPAlert? {
        guard state != .fault else { return nil }
        return vrrpAlert(name, group: false, to: .fault, lastAlerted: lastAlerted)
    }

    public static func make(_ config: Configuration) -> SMTPAlertPlan {
        let g = config.globalDefs
        var plan = SMTPAlertPlan()
        plan.server = g.smtpServer
        plan.recipients = g.notificationEmail
        plan.from = g.notificationEmailFrom
        plan.heloName = g.smtpHeloName
        plan.routerID = g.routerID
        if let seconds = g.smtpConnectTimeout { plan.connectTimeout = Int64(seconds) * 1_000_000 }
        plan.noEmailFaults = g.noEmailFaults
        plan.noCheckerEmails = g.noCheckerEmails
        let vrrpDefault = g.smtpAlertVRRP ?? g.smtpAlert ?? false
        plan.instances = Set(config.vrrpInstances.filter { $0.smtpAlert ?? vrrpDefault }.map(\.name))
        plan.groups = Set(config.syncGroups.filter { $0.smtpAlert ?? vrrpDefault }.map(\.name))
        return plan
    }
}
