import VigilTypes
/// `global_defs { }`: settings shared by every instance.
public struct GlobalDefs: Hashable, Sendable {
    public var routerID: String?
    /// `vrrp_version`: 2 (RFC 3768, keepalived's default) or 3 (RFC 5798).
    public var vrrpVersion: Int?
    public var vrrpStrict = false
    /// `vrrp_skip_check_adv_addr`: do not compare an advert's address list with ours.
    public var skipCheckAdvertAddresses = false
    public var vrrpCheckUnicastSource = false
    public var garp = GratuitousARPSettings()
    /// `vrrp_garp_interval` / `vrrp_gna_interval` (microseconds between each ARP / NA).
    public var garpInterval: Microseconds?
    public var gnaInterval: Microseconds?
    public var enableScriptSecurity = false
    /// `dynamic_interfaces [allow_if_changes]`: an instance whose interface does not exist
    /// yet waits in FAULT and joins when it appears (a VLAN or bond made later at boot).
    public var dynamicInterfaces = false
    /// `script_user USER [GROUP]`
    public var scriptUser: ScriptUser?
    public var notifyFIFO: String?
    public var notifyFIFOScript: String?
    public var vrrpNotifyFIFO: String?
    public var vrrpNotifyFIFOScript: String?
    /// `lvs_notify_fifo`: keepalived's VS and RS lines (the global notify_fifo gets them too).
    public var lvsNotifyFIFO: String?
    public var lvsNotifyFIFOScript: String?
    /// `lvs_sync_daemon`: the kernel's IPVS connection synchronisation.
    public var lvsSyncDaemon: LVSSyncDaemonConfig?
    /// `lvs_timeouts`: the kernel's IPVS connection timeouts, set at start.
    public var lvsTimeouts: LVSTimeoutsConfig?
    /// `lvs_flush`: empty the kernel's whole IPVS table at start (not at a reload).
    public var lvsFlush = false
    /// `lvs_flush_on_stop [VS]`.
    public var lvsFlushOnStop: LVSFlushOnStopConfig?
    /// `notification_email { ADDRESS … }`: who SMTP alerts go to, in order.
    public var notificationEmail: [String] = []
    /// `notification_email_from`: the alerts' sender (keepalived's default: the daemon's
    /// user @ the host's canonical name).
    public var notificationEmailFrom: String?
    /// `smtp_server ADDRESS [PORT]` (port 25 unless given).
    public var smtpServer: SMTPServer?
    /// `smtp_helo_name` (keepalived's default: the host's canonical name).
    public var smtpHeloName: String?
    /// `smtp_connect_timeout` in whole seconds (keepalived's default 30).
    public var smtpConnectTimeout: Int?
    /// `smtp_alert`, `smtp_alert_vrrp`, `smtp_alert_checker`: the defaults for every
    /// instance and group, for VRRP only, for the checkers only (nil: not written).
    public var smtpAlert: Bool?
    public var smtpAlertVRRP: Bool?
    public var smtpAlertChecker: Bool?
    /// `no_email_faults`: no alert for a move to FAULT.
    public var noEmailFaults = false
    /// `no_checker_emails [BOOL]`: no alert for a checker whose real server's state does
    /// not change with it.
    public var noCheckerEmails = false
    /// `metrics_listen ADDR:PORT` — Vigil's own: Prometheus metrics (keepalived has none).
    public var metricsListen: String?
    /// `vrrp_startup_delay`: the VRRP instances start this long after the daemon (a box
    /// whose network comes up slowly at boot would otherwise take over as master before
    /// it can hear the current one).
    public var vrrpStartupDelay: Microseconds?
    /// `vrrp_delay_after_boot` (keepalived 2.4.0): the instances start no sooner than this
    /// long after the machine booted (a restart later is not delayed); the longer of the two
    /// delays holds.
    public var vrrpDelayAfterBoot: Microseconds?
    /// `vrrp_garp_extra_if [all] SECONDS`: every instance's default `garp_extra_if`.
    public var garpExtraInterface: GarpExtraInterface?
    /// `v3_checksum_as_v2` (keepalived 2.2.8): every instance's default (see VRRPInstance).
    public var v3ChecksumAsV2 = false
    /// Recognised keywords Vigil does not implement yet, as written.
    public var unsupported: [Statement] = []
    /// Where each keyword was written (strict-mode diagnostics point at the line).
    public var keywordOrigins = KeywordOrigins()

    public init() {}
}

/// Gratuitous ARP timing of keepalived, used globally (`vrrp_garp_master_*`) and per
/// instance (`garp_master_*`).
public struct GratuitousARPSettings: Hashable, Sendable {
    /// Delay before the second burst after becoming master (default 5 s).
    public var masterDelay: Microseconds?
    /// Gratuitous ARPs per burst (default 5).
    public var masterRepeat: Int?
    /// Period of refresh bursts while master (default 0: none).
    public var masterRefresh: Microseconds?
    public var masterRefreshRepeat: Int?

    public init() {}
}

/// `garp_extra_if [all] SECONDS`: a gratuitous ARP on the instance's other interfaces every
/// SECONDS while master; `all`: on every interface of its addresses, not only on macvlans
/// made for single addresses (which Vigil does not make, so without `all` it sends none).
public struct GarpExtraInterface: Hashable, Sendable {
    /// Seconds, 1…86400 (an instance's 0 turns the global setting off).
    public var interval: Int
    public var all: Bool

    public init(interval: Int, all: Bool) {
        self.interval = interval
        self.all = all
    }
}

public struct ScriptUser: Hashable, Sendable {
    public var user: String
    public var group: String?
    public init(user: String, group: String?) {
        self.user = user
        self.group = group
    }
}

/// `smtp_server`: where keepalived's alerts are sent.
public struct SMTPServer: Hashable, Sendable {
    public var address: IPAddress
    public var port: Int
    public init(address: IPAddress, port: Int = 25) {
        self.address = address
        self.port = port
    }
}
