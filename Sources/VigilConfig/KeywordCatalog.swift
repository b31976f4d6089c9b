import Synchronization

/// The vocabulary of keepalived.conf as keepalived 2.4.3 reads it.
///
/// Every keyword keepalived accepts appears here, in the block it belongs to, so that
/// `vigil check` can tell three things apart: a keyword Vigil implements (the model builder
/// consumes it), a keyword keepalived knows but Vigil does not implement yet (a warning,
/// "recognised, not supported by vigil yet", never a silent drop), and a word that is no
/// keyword at all (a warning with the nearest known keyword suggested, as keepalived also
/// only warns).
///
/// The table was derived from the order of keepalived 2.2.7's `install_keyword_root`,
/// `install_keyword` and `install_sublevel` calls (facts, not code), then extended with the
/// keywords 2.2.8 to 2.4.3 added, each marked with the release that added it (`since`),
/// because 2.2.7 — still the keepalived of Debian stable — calls those unknown; the catalog says
/// nothing about what arguments mean: that is the model builder's job.
///
/// Which of them Vigil implements is not declared here but in the readers' keyword lists
/// (`ImplementedKeyword`), which `KeywordAgreementTests` hold to this table, as it holds the
/// names the `Dumper` writes.
///
/// Vigil's own keywords (`metrics_listen`) are listed too, marked as such, so that a
/// misspelling of one gets the same suggestion as a misspelt keepalived keyword; keepalived
/// itself would reject them.
///
/// Not keywords, and so not listed: `$NAME=value` definitions, `~SEQ(...)`/`~LST(...)` lines
/// and `@id`/`@^id` line prefixes, which keepalived's line reader handles before keyword lookup.
/// The `include` family is listed under `.root`, although keepalived's line reader accepts it
/// on any line at any nesting level.

/// A kind of block: the context in which a keyword is looked up.
public enum BlockKind: String, Sendable, CaseIterable {
    case root
    case globalDefs = "global_defs"
    case trackGroup = "track_group"
    case vrrpSyncGroup = "vrrp_sync_group"
    case garpGroup = "garp_group"
    case vrrpInstance = "vrrp_instance"
    case authentication = "authentication"
    case authHMAC = "auth_hmac"
    case vrrpScript = "vrrp_script"
    case trackProcess = "vrrp_track_process"
    case ssl = "SSL"
    case virtualServer = "virtual_server"
    case realServer = "real_server"
    case miscCheck = "MISC_CHECK"
    case smtpCheck = "SMTP_CHECK"
    case smtpHost = "host"
    case tcpCheck = "TCP_CHECK"
    case pingCheck = "PING_CHECK"
    case udpCheck = "UDP_CHECK"
    case httpGetCheck = "HTTP_GET"
    case url = "url"
    case dnsCheck = "DNS_CHECK"
    case fileCheck = "FILE_CHECK"
    case bfdCheck = "BFD_CHECK"
    case bfdInstance = "bfd_instance"
    case trackFile = "track_file"
    /// Vigil's own `announce ADDRESS { … }`.
    case announce
}

/// What follows a keyword.
public enum KeywordShape: Sendable, Equatable {
    /// A keyword with arguments on its line and no block.
    case leaf
    /// A keyword that opens a block of keywords of the given kind.
    case block(BlockKind)
    /// A keyword that opens a block of items (addresses, interface names), one per line.
    case list
}

public struct KeywordEntry: Sendable, Equatable {
    public let name: String
    public let shape: KeywordShape
    /// Set when keepalived accepts the word only as an older spelling of another keyword.
    public let replacement: String?
    /// Vigil's own keyword: keepalived does not know it.
    public let isVigilExtension: Bool
    /// The keepalived release that added the keyword, set only for those added after 2.2.7:
    /// keepalived 2.2.7 (Debian's, and the release most of this table was read from) calls
    /// them unknown, so a configuration using one is not portable to it.
    public let since: String?

    public init(_ name: String, _ shape: KeywordShape = .leaf, replacement: String? = nil, vigilExtension: Bool = false,
                since: String? = nil) {
        self.name = name
        self.shape = shape
        self.replacement = replacement
        self.isVigilExtension = vigilExtension
        self.since = since
    }
}

public enum KeywordCatalog {
    /// The entry for a keyword in a block, or nil when keepalived does not know it there.
    public static func entry(_ name: String, in kind: BlockKind) -> KeywordEntry? {
        index.withLock { index in
            if let names = index[kind] { return names[name] }
            let entries = keywords(in: kind)
            var names = [String: KeywordEntry](minimumCapacity: entries.count)
            for entry in entries where names[entry.name] == nil { names[entry.name] = entry }
            index[kind] = names
            return names[name]
        }
    }

    /// Every keyword of a block kind, for "did you mean" suggestions.
    public static func names(in kind: BlockKind) -> [String] {
        keywords(in: kind).map(\.name)
    }

    /// Keyword lookup per block kind, each built when a block of its kind is first read:
    /// a file names a few of the 29 kinds, and building all of them was a sixth of a small
    /// daemon's start (from exec to its IPVS table). The daemon loads configurations on one
    /// thread, but the unit tests load theirs in parallel, hence the lock.
    private static let index = Mutex<[BlockKind: [String: KeywordEntry]]>([:])

    /// check_api.c install_checker_common_keywords(true): the connection keywords of
    /// every checker that opens a connection (all but MISC_CHECK and FILE_CHECK).
    private static let checkerConnectionKeywords: [KeywordEntry] = [
            KeywordEntry("connect_ip"),
            KeywordEntry("connect_port"),
            KeywordEntry("bindto"),
            KeywordEntry("bind_port"),
            KeywordEntry("bind_if"),
            KeywordEntry("connect_timeout"),
            // _WITH_SO_MARK_
            KeywordEntry("fwmark"),
    ]

    /// check_api.c install_checker_common_keywords: common to every checker.
    private static let checkerCommonKeywords: [KeywordEntry] = [
            KeywordEntry("retry"),
            KeywordEntry("delay_before_retry"),
            KeywordEntry("warmup"),
            KeywordEntry("delay_loop"),
            KeywordEntry("alpha"),
            KeywordEntry("log_all_failures"),
    ]

    /// The keywords of each block kind, in the order keepalived 2.4.3 installs them.
    /// Keywords compiled only under a configure option are included; the option is named in a comment.
    /// A function, not one table of all kinds: a start builds only the kinds its file uses
    /// (the whole table was a twentieth of the code a small daemon runs before its IPVS table).
    public static func keywords(in kind: BlockKind) -> [KeywordEntry] {
        switch kind {
        case .root: return [
            // lib/parser.c: include lines are read by the line reader (at any nesting level, not only here)
            KeywordEntry("include"),
            KeywordEntry("includer"),
            KeywordEntry("includem"),
            KeywordEntry("includew"),
            KeywordEntry("includeb"),
            KeywordEntry("includea"),
            // core/global_parser.c init_global_keywords
            // _WITH_LINKBEAT_
            KeywordEntry("linkbeat_use_polling"),
            KeywordEntry("net_namespace"),
            KeywordEntry("net_namespace_ipvs"),
            KeywordEntry("namespace_with_ipsets"),
            KeywordEntry("use_pid_dir"),
            KeywordEntry("instance"),
            KeywordEntry("child_wait_time"),
            KeywordEntry("global_defs", .block(.globalDefs)),
            // vrrp/vrrp_parser.c init_vrrp_keywords
            KeywordEntry("track_group", .block(.trackGroup)),
            KeywordEntry("static_ipaddress", .list),
            KeywordEntry("static_routes", .list),
            KeywordEntry("static_rules", .list),
            KeywordEntry("vrrp_sync_group", .block(.vrrpSyncGroup)),
            KeywordEntry("garp_group", .block(.garpGroup)),
            // _WITH_LINKBEAT_
            KeywordEntry("linkbeat_interfaces", .list),
            KeywordEntry("vrrp_instance", .block(.vrrpInstance)),
            KeywordEntry("vrrp_script", .block(.vrrpScript)),
            // _WITH_TRACK_PROCESS_
            KeywordEntry("vrrp_track_process", .block(.trackProcess)),
            KeywordEntry("interface_up_down_delays", .list),
            // check/check_parser.c init_check_keywords (_WITH_LVS_)
            KeywordEntry("SSL", .block(.ssl)),
            KeywordEntry("virtual_server_group", .list),
            KeywordEntry("virtual_server", .block(.virtualServer)),
            // bfd/bfd_parser.c init_bfd_keywords (_WITH_BFD_)
            KeywordEntry("bfd_instance", .block(.bfdInstance)),
            // Vigil's own: host routes announced while a service is up here
            KeywordEntry("announce", .block(.announce), vigilExtension: true),
            // Vigil's own, DPVS's word: the source addresses of FNAT services here
            KeywordEntry("local_address_group", .list, vigilExtension: true),
            // trackers/track_file.c add_track_file_keywords
            KeywordEntry("track_file", .block(.trackFile)),
            KeywordEntry("vrrp_track_file", .block(.trackFile), replacement: "track_file"),
        ]
        case .globalDefs: return [
            // core/global_parser.c init_global_keywords
            KeywordEntry("process_names"),
            KeywordEntry("process_name"),
            // _WITH_VRRP_
            KeywordEntry("vrrp_process_name"),
            // _WITH_LVS_
            KeywordEntry("checker_process_name"),
            KeywordEntry("lvs_process_name", replacement: "checker_process_name"),
            // _WITH_BFD_
            KeywordEntry("bfd_process_name"),
            KeywordEntry("use_symlink_paths", since: "2.3.0"),
            KeywordEntry("router_id"),
            KeywordEntry("notification_email_from"),
            KeywordEntry("smtp_server"),
            KeywordEntry("smtp_helo_name"),
            KeywordEntry("smtp_connect_timeout"),
            KeywordEntry("notification_email", .list),
            KeywordEntry("smtp_alert"),
            KeywordEntry("startup_script"),
            KeywordEntry("startup_script_timeout"),
            KeywordEntry("shutdown_script"),
            KeywordEntry("shutdown_script_timeout"),
            KeywordEntry("max_auto_priority"),
            KeywordEntry("min_auto_priority_delay"),
            // _WITH_VRRP_
            KeywordEntry("smtp_alert_vrrp"),
            // _WITH_LVS_
            KeywordEntry("smtp_alert_checker"),
            KeywordEntry("checker_log_all_failures"),
            // _WITH_VRRP_
            KeywordEntry("dynamic_interfaces"),
            KeywordEntry("no_email_faults"),
            KeywordEntry("default_interface"),
            KeywordEntry("disable_local_igmp"),
            KeywordEntry("v3_checksum_as_v2", since: "2.2.8"),
            // _WITH_LVS_
            KeywordEntry("lvs_timeouts"),
            KeywordEntry("lvs_flush"),
            KeywordEntry("lvs_flush_on_stop"),
            // deprecated after v2.1.5 (source comment only; keepalived does not log it)
            KeywordEntry("lvs_flush_onstop", replacement: "lvs_flush_on_stop"),
            // _WITH_LVS_ && _WITH_VRRP_
            KeywordEntry("lvs_sync_daemon"),
            // _WITH_VRRP_
            KeywordEntry("vrrp_mcast_group4"),
            KeywordEntry("vrrp_mcast_group6"),
            KeywordEntry("vrrp_garp_master_delay"),
            KeywordEntry("vrrp_garp_master_repeat"),
            KeywordEntry("vrrp_garp_master_refresh"),
            KeywordEntry("vrrp_garp_master_refresh_repeat"),
            KeywordEntry("vrrp_garp_lower_prio_delay"),
            KeywordEntry("vrrp_garp_lower_prio_repeat"),
            KeywordEntry("vrrp_down_timer_adverts"),
            KeywordEntry("vrrp_garp_interval"),
            KeywordEntry("vrrp_gna_interval"),
            KeywordEntry("vrrp_min_garp"),
            // _HAVE_VRRP_VMAC_
            KeywordEntry("vrrp_garp_extra_if"),
            KeywordEntry("vrrp_vmac_garp_intvl", replacement: "vrrp_garp_extra_if"),
            KeywordEntry("vrrp_lower_prio_no_advert"),
            KeywordEntry("vrrp_higher_prio_send_advert"),
            KeywordEntry("vrrp_version"),
            // _WITH_IPTABLES_ || _WITH_NFTABLES_
            KeywordEntry("vrrp_iptables"),
            // _HAVE_LIBIPSET_
            KeywordEntry("vrrp_ipsets"),
            // _WITH_NFTABLES_ && _WITH_VRRP_
            KeywordEntry("nftables"),
            KeywordEntry("nftables_priority"),
            KeywordEntry("nftables_ifindex"),
            // _WITH_NFTABLES_ && _WITH_LVS_
            KeywordEntry("nftables_ipvs"),
            KeywordEntry("nftables_ipvs_priority"),
            KeywordEntry("nftables_ipvs_start_fwmark"),
            // _WITH_NFTABLES_
            KeywordEntry("nftables_counters"),
            // _WITH_VRRP_
            KeywordEntry("vrrp_check_unicast_src"),
            KeywordEntry("vrrp_skip_check_adv_addr"),
            KeywordEntry("vrrp_strict"),
            KeywordEntry("vrrp_priority"),
            KeywordEntry("vrrp_no_swap"),
            KeywordEntry("vrrp_rt_priority"),
            KeywordEntry("vrrp_cpu_affinity"),
            KeywordEntry("vrrp_rlimit_rttime"),
            KeywordEntry("vrrp_rlimit_rtime", replacement: "vrrp_rlimit_rttime"),
            KeywordEntry("notify_fifo"),
            KeywordEntry("notify_fifo_script"),
            // _WITH_VRRP_
            KeywordEntry("vrrp_notify_fifo"),
            KeywordEntry("vrrp_notify_fifo_script"),
            KeywordEntry("vrrp_notify_priority_changes"),
            KeywordEntry("fifo_write_vrrp_states_on_reload"),
            // _WITH_LVS_
            KeywordEntry("lvs_notify_fifo"),
            KeywordEntry("lvs_notify_fifo_script"),
            KeywordEntry("checker_priority"),
            KeywordEntry("checker_no_swap"),
            KeywordEntry("checker_rt_priority"),
            KeywordEntry("checker_cpu_affinity"),
            KeywordEntry("checker_rlimit_rttime"),
            KeywordEntry("checker_rlimit_rtime", replacement: "checker_rlimit_rttime"),
            // _WITH_BFD_
            KeywordEntry("bfd_priority"),
            KeywordEntry("bfd_no_swap"),
            KeywordEntry("bfd_rt_priority"),
            KeywordEntry("bfd_cpu_affinity"),
            KeywordEntry("bfd_rlimit_rttime"),
            KeywordEntry("bfd_rlimit_rtime", replacement: "bfd_rlimit_rttime"),
            // _WITH_SNMP_
            KeywordEntry("snmp_socket"),
            KeywordEntry("enable_traps"),
            // _WITH_SNMP_VRRP_ (enable_snmp_keepalived: deprecated v2.0.0, source comment only; keepalived does not log it)
            KeywordEntry("enable_snmp_vrrp"),
            KeywordEntry("enable_snmp_keepalived", replacement: "enable_snmp_vrrp"),
            // _WITH_SNMP_RFC_ / _WITH_SNMP_RFCV2_ / _WITH_SNMP_RFCV3_
            KeywordEntry("enable_snmp_rfc"),
            KeywordEntry("enable_snmp_rfcv2"),
            KeywordEntry("enable_snmp_rfcv3"),
            // _WITH_SNMP_CHECKER_
            KeywordEntry("enable_snmp_checker"),
            KeywordEntry("snmp_vs_stats_update_interval", since: "2.3.0"),
            KeywordEntry("snmp_rs_stats_update_interval", since: "2.3.0"),
            // _WITH_DBUS_
            KeywordEntry("enable_dbus"),
            KeywordEntry("dbus_service_name"),
            KeywordEntry("dbus_no_interface_name", since: "2.3.0"),
            KeywordEntry("script_user"),
            KeywordEntry("enable_script_security"),
            // _WITH_VRRP_
            KeywordEntry("vrrp_netlink_cmd_rcv_bufs"),
            KeywordEntry("vrrp_netlink_cmd_rcv_bufs_force"),
            KeywordEntry("vrrp_netlink_monitor_rcv_bufs"),
            KeywordEntry("vrrp_netlink_monitor_rcv_bufs_force"),
            // _WITH_VRRP_ && _WITH_TRACK_PROCESS_
            KeywordEntry("process_monitor_rcv_bufs"),
            KeywordEntry("process_monitor_rcv_bufs_force"),
            // _WITH_LVS_
            KeywordEntry("lvs_netlink_cmd_rcv_bufs"),
            KeywordEntry("lvs_netlink_cmd_rcv_bufs_force"),
            KeywordEntry("lvs_netlink_monitor_rcv_bufs"),
            KeywordEntry("lvs_netlink_monitor_rcv_bufs_force"),
            KeywordEntry("rs_init_notifies"),
            KeywordEntry("no_checker_emails"),
            // _WITH_VRRP_
            KeywordEntry("vrrp_rx_bufs_policy"),
            KeywordEntry("vrrp_rx_bufs_multiplier"),
            KeywordEntry("vrrp_startup_delay"),
            KeywordEntry("vrrp_delay_after_boot", since: "2.4.0"),
            KeywordEntry("log_unknown_vrids"),
            KeywordEntry("vrrp_owner_ignore_adverts", since: "2.3.3"),
            // _WITH_VRRP_ && _HAVE_VRRP_VMAC_
            KeywordEntry("vmac_prefix"),
            KeywordEntry("vmac_addr_prefix"),
            KeywordEntry("umask"),
            KeywordEntry("random_seed"),
            // not _ONE_PROCESS_DEBUG_
            KeywordEntry("reload_check_config"),
            KeywordEntry("reload_time_file"),
            KeywordEntry("reload_repeat"),
            KeywordEntry("reload_file"),
            KeywordEntry("include_check"),
            KeywordEntry("config_save_dir"),
            KeywordEntry("tmp_config_directory"),
            KeywordEntry("data_use_instance"),
            // _WITH_JSON_
            KeywordEntry("json_version", since: "2.2.8"),
            // _WITH_VRRP_
            KeywordEntry("iproute_usr_dir", since: "2.3.2"),
            KeywordEntry("iproute_etc_dir", since: "2.3.2"),
            KeywordEntry("state_dump_file", since: "2.3.3"),
            KeywordEntry("stats_dump_file", since: "2.3.3"),
            KeywordEntry("json_dump_file", since: "2.3.3"),
            // Vigil's own: the Prometheus metrics endpoint
            KeywordEntry("metrics_listen", vigilExtension: true),
        ]
        case .trackGroup: return [
            // vrrp/vrrp_parser.c init_vrrp_keywords (track_group)
            KeywordEntry("group", .list),
        ]
        case .vrrpSyncGroup: return [
            // vrrp/vrrp_parser.c init_vrrp_keywords (vrrp_sync_group)
            KeywordEntry("group", .list),
            KeywordEntry("track_interface", .list),
            KeywordEntry("track_script", .list),
            KeywordEntry("track_file", .list),
            // _WITH_TRACK_PROCESS_
            KeywordEntry("track_process", .list),
            // _WITH_BFD_
            KeywordEntry("track_bfd", .list),
            KeywordEntry("notify_backup"),
            KeywordEntry("notify_master"),
            KeywordEntry("notify_fault"),
            KeywordEntry("notify_stop"),
            KeywordEntry("notify"),
            KeywordEntry("smtp_alert"),
            // global_tracking: logged as deprecated, sets the same flag as sync_group_tracking_weight
            KeywordEntry("global_tracking", replacement: "sync_group_tracking_weight"),
            KeywordEntry("sync_group_tracking_weight"),
            KeywordEntry("notify_priority_changes"),
        ]
        case .garpGroup: return [
            // vrrp/vrrp_parser.c init_vrrp_keywords (garp_group)
            KeywordEntry("garp_interval"),
            KeywordEntry("gna_interval"),
            KeywordEntry("interface"),
            KeywordEntry("interfaces", .list),
        ]
        case .vrrpInstance: return [
            // vrrp/vrrp_parser.c init_vrrp_keywords (vrrp_instance)
            // _HAVE_VRRP_VMAC_
            KeywordEntry("use_vmac"),
            KeywordEntry("use_vmac_addr"),
            KeywordEntry("vmac_xmit_base"),
            // _HAVE_VRRP_IPVLAN_
            KeywordEntry("use_ipvlan"),
            KeywordEntry("unicast_peer", .list),
            KeywordEntry("unicast_fault_no_peer"),
            KeywordEntry("check_unicast_src"),
            // _WITH_UNICAST_CHKSUM_COMPAT_
            KeywordEntry("old_unicast_checksum"),
            KeywordEntry("native_ipv6"),
            KeywordEntry("state"),
            KeywordEntry("interface"),
            // _HAVE_VRF_
            KeywordEntry("vrf"),
            KeywordEntry("dont_track_primary"),
            KeywordEntry("track_interface", .list),
            KeywordEntry("track_script", .list),
            KeywordEntry("track_file", .list),
            // _WITH_TRACK_PROCESS_
            KeywordEntry("track_process", .list),
            // _WITH_BFD_
            KeywordEntry("track_bfd", .list),
            KeywordEntry("mcast_src_ip"),
            KeywordEntry("unicast_src_ip"),
            KeywordEntry("mcast_dst_ip"),
            KeywordEntry("track_src_ip"),
            KeywordEntry("virtual_router_id"),
            KeywordEntry("unicast_ttl"),
            KeywordEntry("version"),
            KeywordEntry("priority"),
            KeywordEntry("advert_int"),
            KeywordEntry("virtual_ipaddress", .list),
            KeywordEntry("virtual_ipaddress_excluded", .list),
            KeywordEntry("no_virtual_ipaddress", since: "2.2.8"),
            KeywordEntry("promote_secondaries"),
            // _WITH_LINKBEAT_; logged as deprecated (use the linkbeat_interfaces block)
            KeywordEntry("linkbeat_use_polling"),
            KeywordEntry("v3_checksum_as_v2", since: "2.2.8"),
            KeywordEntry("virtual_routes", .list),
            KeywordEntry("virtual_rules", .list),
            KeywordEntry("accept"),
            // _WITH_FIREWALL_
            KeywordEntry("no_accept"),
            KeywordEntry("skip_check_adv_addr"),
            KeywordEntry("strict_mode"),
            KeywordEntry("preempt"),
            KeywordEntry("nopreempt"),
            KeywordEntry("preempt_delay"),
            KeywordEntry("debug"),
            KeywordEntry("notify_backup"),
            KeywordEntry("notify_master"),
            KeywordEntry("notify_fault"),
            KeywordEntry("notify_stop"),
            KeywordEntry("notify_deleted"),
            KeywordEntry("notify"),
            KeywordEntry("notify_master_rx_lower_pri"),
            KeywordEntry("smtp_alert"),
            KeywordEntry("notify_priority_changes"),
            // _WITH_LVS_; logged as deprecated (use global_defs lvs_sync_daemon)
            KeywordEntry("lvs_sync_daemon_interface"),
            KeywordEntry("garp_master_delay"),
            KeywordEntry("garp_master_refresh"),
            KeywordEntry("garp_master_repeat"),
            KeywordEntry("garp_master_refresh_repeat"),
            KeywordEntry("garp_lower_prio_delay"),
            KeywordEntry("garp_lower_prio_repeat"),
            KeywordEntry("down_timer_adverts"),
            KeywordEntry("timer_expired_backup", since: "2.2.8"),
            // logged as an error asking for timer_expired_backup, then read as it
            KeywordEntry("thread_timer_expired", replacement: "timer_expired_backup", since: "2.3.2"),
            // _HAVE_VRRP_VMAC_
            KeywordEntry("garp_extra_if"),
            KeywordEntry("vmac_garp_intvl", replacement: "garp_extra_if"),
            KeywordEntry("lower_prio_no_advert"),
            KeywordEntry("higher_prio_send_advert"),
            KeywordEntry("owner_ignore_adverts", since: "2.3.3"),
            KeywordEntry("kernel_rx_buf_size"),
            // _WITH_VRRP_AUTH_
            KeywordEntry("authentication", .block(.authentication)),
            KeywordEntry("auth_hmac", .block(.authHMAC), since: "2.4.0"),
        ]
        case .authentication: return [
            // vrrp/vrrp_parser.c init_vrrp_keywords (vrrp_instance > authentication, _WITH_VRRP_AUTH_)
            KeywordEntry("auth_type"),
            KeywordEntry("auth_pass"),
        ]
        case .authHMAC: return [
            // vrrp/vrrp_parser.c init_vrrp_keywords (vrrp_instance > auth_hmac, _WITH_VRRP_AUTH_; keepalived 2.4.0)
            KeywordEntry("key", since: "2.4.0"),
            KeywordEntry("active_key", since: "2.4.0"),
            KeywordEntry("time_window", since: "2.4.0"),
            KeywordEntry("anti_replay", since: "2.4.0"),
            KeywordEntry("mode", since: "2.4.0"),
        ]
        case .vrrpScript: return [
            // vrrp/vrrp_parser.c init_vrrp_keywords (vrrp_script)
            KeywordEntry("script"),
            KeywordEntry("interval"),
            KeywordEntry("timeout"),
            KeywordEntry("weight"),
            KeywordEntry("rise"),
            KeywordEntry("fall"),
            KeywordEntry("user"),
            KeywordEntry("init_fail"),
        ]
        case .trackProcess: return [
            // vrrp/vrrp_parser.c init_vrrp_keywords (vrrp_track_process, _WITH_TRACK_PROCESS_)
            KeywordEntry("process"),
            KeywordEntry("param_match"),
            KeywordEntry("weight"),
            KeywordEntry("quorum"),
            KeywordEntry("quorum_max"),
            KeywordEntry("delay"),
            KeywordEntry("terminate_delay"),
            KeywordEntry("fork_delay"),
            KeywordEntry("full_command"),
        ]
        case .ssl: return [
            // check/check_parser.c init_check_keywords (SSL)
            KeywordEntry("password"),
            KeywordEntry("ca"),
            KeywordEntry("certificate"),
            KeywordEntry("key"),
        ]
        case .virtualServer: return [
            // Vigil's own, DPVS's word: the local_address_group of a FNAT service
            KeywordEntry("laddr_group_name", vigilExtension: true),
            // check/check_parser.c init_check_keywords (virtual_server)
            KeywordEntry("ip_family"),
            KeywordEntry("retry"),
            KeywordEntry("delay_before_retry"),
            KeywordEntry("warmup"),
            KeywordEntry("connect_timeout"),
            KeywordEntry("delay_loop"),
            KeywordEntry("inhibit_on_failure"),
            KeywordEntry("lb_algo"),
            KeywordEntry("lvs_sched"),
            KeywordEntry("hashed"),
            KeywordEntry("ops"),
            // IP_VS_SVC_F_SCHED1
            KeywordEntry("flag-1"),
            KeywordEntry("flag-2"),
            KeywordEntry("flag-3"),
            KeywordEntry("sh-port"),
            KeywordEntry("sh-fallback"),
            KeywordEntry("mh-port"),
            KeywordEntry("mh-fallback"),
            KeywordEntry("lb_kind"),
            KeywordEntry("lvs_method"),
            KeywordEntry("persistence_engine"),
            KeywordEntry("persistence_timeout"),
            KeywordEntry("persistence_granularity"),
            KeywordEntry("protocol"),
            KeywordEntry("ha_suspend"),
            KeywordEntry("smtp_alert"),
            KeywordEntry("virtualhost"),
            // _WITH_SNMP_CHECKER_
            KeywordEntry("snmp_name"),
            KeywordEntry("alpha"),
            KeywordEntry("omega"),
            KeywordEntry("quorum_up"),
            KeywordEntry("quorum_down"),
            KeywordEntry("quorum"),
            KeywordEntry("hysteresis"),
            KeywordEntry("weight"),
            KeywordEntry("sorry_server"),
            KeywordEntry("sorry_server_inhibit"),
            KeywordEntry("sorry_server_lvs_method"),
            KeywordEntry("real_server", .block(.realServer)),
        ]
        case .realServer: return [
            // check/check_parser.c init_check_keywords (virtual_server > real_server)
            KeywordEntry("weight"),
            KeywordEntry("lvs_method"),
            KeywordEntry("uthreshold"),
            KeywordEntry("lthreshold"),
            KeywordEntry("inhibit_on_failure"),
            KeywordEntry("notify_up"),
            KeywordEntry("notify_down"),
            KeywordEntry("alpha"),
            KeywordEntry("retry"),
            KeywordEntry("delay_before_retry"),
            KeywordEntry("warmup"),
            KeywordEntry("connect_timeout"),
            KeywordEntry("delay_loop"),
            KeywordEntry("smtp_alert"),
            KeywordEntry("virtualhost"),
            // _WITH_SNMP_CHECKER_
            KeywordEntry("snmp_name"),
            // check/check_api.c install_checkers_keyword
            KeywordEntry("MISC_CHECK", .block(.miscCheck)),
            KeywordEntry("SMTP_CHECK", .block(.smtpCheck)),
            KeywordEntry("TCP_CHECK", .block(.tcpCheck)),
            KeywordEntry("PING_CHECK", .block(.pingCheck)),
            KeywordEntry("UDP_CHECK", .block(.udpCheck)),
            KeywordEntry("HTTP_GET", .block(.httpGetCheck)),
            KeywordEntry("SSL_GET", .block(.httpGetCheck)),
            KeywordEntry("DNS_CHECK", .block(.dnsCheck)),
            KeywordEntry("FILE_CHECK", .block(.fileCheck)),
            // _WITH_BFD_
            KeywordEntry("BFD_CHECK", .block(.bfdCheck)),
        ]
        // check/check_misc.c install_misc_check_keyword (common keywords without the connection ones)
        case .miscCheck: return checkerCommonKeywords + [
            // check/check_misc.c
            KeywordEntry("misc_path"),
            KeywordEntry("misc_timeout"),
            KeywordEntry("misc_dynamic"),
            KeywordEntry("user"),
        ]
        case .smtpCheck: return [
            // check/check_smtp.c install_smtp_check_keyword
            KeywordEntry("helo_name"),
        ] + checkerConnectionKeywords + checkerCommonKeywords + [
            // check/check_smtp.c WITH_HOST_ENTRIES (always defined in 2.2.7; the host block is logged as deprecated)
            KeywordEntry("host", .block(.smtpHost)),
        ]
        // check/check_smtp.c install_smtp_check_keyword (SMTP_CHECK > host)
        case .smtpHost: return checkerConnectionKeywords + checkerCommonKeywords
        // check/check_tcp.c install_tcp_check_keyword
        case .tcpCheck: return checkerConnectionKeywords + checkerCommonKeywords
        // check/check_ping.c install_ping_check_keyword
        case .pingCheck: return checkerConnectionKeywords + checkerCommonKeywords
        // check/check_udp.c install_udp_check_keyword
        case .udpCheck: return checkerConnectionKeywords + checkerCommonKeywords + [
            // check/check_udp.c
            KeywordEntry("payload"),
            KeywordEntry("require_reply"),
            KeywordEntry("min_reply_length"),
            KeywordEntry("max_reply_length"),
        ]
        // check/check_http.c install_http_ssl_check_keyword (HTTP_GET and SSL_GET)
        case .httpGetCheck: return checkerConnectionKeywords + checkerCommonKeywords + [
            // check/check_http.c
            KeywordEntry("nb_get_retry", replacement: "retry"),
            KeywordEntry("virtualhost"),
            KeywordEntry("http_protocol"),
            // _HAVE_SSL_SET_TLSEXT_HOST_NAME_
            KeywordEntry("enable_sni"),
            KeywordEntry("fast_recovery"),
            // SSL_GET only in keepalived (HTTP_GET calls it unknown); listed for both, which share one block kind
            KeywordEntry("tls_compliant", since: "2.2.8"),
            KeywordEntry("url", .block(.url)),
        ]
        case .url: return [
            // check/check_http.c install_http_ssl_check_keyword (HTTP_GET/SSL_GET > url)
            KeywordEntry("path"),
            KeywordEntry("digest"),
            KeywordEntry("status_code"),
            KeywordEntry("virtualhost"),
            // _WITH_REGEX_CHECK_
            KeywordEntry("regex"),
            KeywordEntry("regex_no_match"),
            KeywordEntry("regex_options"),
            KeywordEntry("regex_min_offset"),
            KeywordEntry("regex_max_offset"),
            // _WITH_REGEX_CHECK_ && !PCRE2_DONT_USE_JIT
            KeywordEntry("regex_stack"),
            // SSL_GET's url only in keepalived
            KeywordEntry("tls_compliant", since: "2.2.8"),
        ]
        // check/check_dns.c install_dns_check_keyword
        case .dnsCheck: return checkerConnectionKeywords + checkerCommonKeywords + [
            // check/check_dns.c
            KeywordEntry("type"),
            KeywordEntry("name"),
        ]
        case .fileCheck: return [
            // check/check_file.c install_file_check_keyword
            KeywordEntry("track_file"),
            KeywordEntry("weight"),
        ]
        case .bfdCheck: return [
            // check/check_bfd.c install_bfd_check_keyword (_WITH_BFD_)
            KeywordEntry("name"),
            KeywordEntry("alpha"),
        ]
        case .bfdInstance: return [
            // bfd/bfd_parser.c init_bfd_keywords (bfd_instance, _WITH_BFD_)
            KeywordEntry("source_ip"),
            KeywordEntry("neighbor_ip"),
            KeywordEntry("neighbour_ip"),
            KeywordEntry("min_rx"),
            KeywordEntry("min_tx"),
            KeywordEntry("idle_tx"),
            KeywordEntry("multiplier"),
            KeywordEntry("passive"),
            KeywordEntry("ttl"),
            KeywordEntry("hoplimit"),
            KeywordEntry("max_hops"),
            KeywordEntry("multihop", since: "2.2.8"),
            // _WITH_VRRP_
            KeywordEntry("weight"),
            KeywordEntry("vrrp"),
            // _WITH_LVS_
            KeywordEntry("checker"),
        ]
        case .trackFile: return [
            // trackers/track_file.c add_track_file_keywords (track_file and vrrp_track_file)
            KeywordEntry("file"),
            KeywordEntry("weight"),
            KeywordEntry("init_file"),
        ]
        case .announce: return [
            KeywordEntry("virtual_server", vigilExtension: true),
            KeywordEntry("vrrp_instance", vigilExtension: true),
        ]
        }
    }
}
