import VigilConfig

/// How a probed keyword is written: a flag with no block unless this table says otherwise.
struct ProbeUse {
    /// The words after the keyword on its line.
    var arguments = ""
    /// The lines of its block (a list or a block keyword); nil: what the block needs.
    var body: [String]?
    /// Lines written just before it in the same block, in both variants: what it modifies.
    var context: [String] = []
    /// Top-level blocks written after everything, in both variants: what it refers to.
    var extra: [String] = []

    static func of(_ keyword: String, in kind: BlockKind) -> ProbeUse {
        table["\(kind.rawValue) \(keyword)"] ?? table[keyword] ?? ProbeUse()
    }

    static func words(_ arguments: String) -> ProbeUse { ProbeUse(arguments: arguments) }

    static let script = ["vrrp_script chk {", "script /bin/true", "}"]
    static let process = ["vrrp_track_process proc {", "process nginx", "}"]
    static let file = ["track_file tf {", "file /run/vigil-probe", "}"]

    /// An instance with an address on a second interface (for garp_extra_if).
    static let extraInterfaceInstance = ["vrrp_instance VI_2 {", "interface eth0", "virtual_router_id 52",
                                         "virtual_ipaddress {", "192.0.2.101/24", "198.51.100.101/24 dev eth1", "}", "}"]

    /// Tracking weights matter in a sync group only for a member with a weighted tracker.
    static let weightedMember = ProbeUse(context: ["group {", "VI_2", "}"],
                                         extra: script + ["vrrp_instance VI_2 {", "interface eth0", "virtual_router_id 52",
                                                          "track_script {", "chk weight 10", "}",
                                                          "virtual_ipaddress {", "192.0.2.101/24", "}", "}"])

    /// By "BLOCK KEYWORD" (the block kind's name as in `BlockKind`) or by keyword alone.
    static let table: [String: ProbeUse] = [
        // The include family: the included file adds a vrrp_script.
        "include": words(KeywordProbe.includedFile), "includer": words(KeywordProbe.includedFile),
        "includem": words(KeywordProbe.includedFile), "includew": words(KeywordProbe.includedFile),
        "includeb": words(KeywordProbe.includedFile), "includea": words(KeywordProbe.includedFile),
        // Top-level blocks, each with what makes it matter.
        "root global_defs": ProbeUse(body: ["vrrp_version 3"], extra: ProbeFrame.instance()),
        "root vrrp_instance": words("VI_1"),
        // Vigil's own: a host route following an instance (the frame's) or a virtual server.
        "root announce": ProbeUse(arguments: "203.0.113.10", extra: ProbeFrame.instance()),
        "announce virtual_server": words("192.0.2.1 80"),
        "announce vrrp_instance": words("VI_1"),
        // Vigil's own (DPVS's words): a FNAT service's pool, and the service naming it.
        "root local_address_group": ProbeUse(arguments: "lip", body: ["198.18.0.101-103"],
                                             extra: ["virtual_server 203.0.113.10 80 {", "lb_kind FNAT", "laddr_group_name lip",
                                                     "protocol TCP", "real_server 198.51.100.1 80 {", "}", "}"]),
        "virtual_server laddr_group_name": ProbeUse(arguments: "lip", context: ["lb_kind FNAT"],
                                                    extra: ["local_address_group lip {", "198.18.0.101", "}"]),
        "root vrrp_sync_group": ProbeUse(arguments: "G1", body: ["group {", "VI_1", "}"], extra: ProbeFrame.instance()),
        "root vrrp_script": ProbeUse(arguments: "chk", extra: ProbeFrame.instance(["track_script {", "chk", "}"])),
        "root vrrp_track_process": ProbeUse(arguments: "proc", extra: ProbeFrame.instance(["track_process {", "proc", "}"])),
        "root track_file": ProbeUse(arguments: "tf", extra: ProbeFrame.instance(["track_file {", "tf", "}"])),
        "root vrrp_track_file": ProbeUse(arguments: "tf", extra: ProbeFrame.instance(["track_file {", "tf", "}"])),
        "root track_group": words("TG"),
        "root bfd_instance": words("bfd1"),
        "root virtual_server": words("192.0.2.1 80"),
        "root virtual_server_group": ProbeUse(arguments: "VSG", body: ["192.0.2.1 80"],
                                              extra: ["virtual_server group VSG {", "protocol TCP",
                                                      "real_server 198.51.100.1 80 {", "}", "}"]),
        "root static_ipaddress": ProbeUse(body: ["192.0.2.200/24 dev eth0"]),
        "root static_routes": ProbeUse(body: ["198.51.100.0/24 via 192.0.2.254 dev eth0"]),
        "root static_rules": ProbeUse(body: ["from 192.0.2.0/24 table 100"]),
        "root linkbeat_interfaces": ProbeUse(body: ["eth0"]),
        "root interface_up_down_delays": ProbeUse(body: ["eth0 1 2"]),

        // global_defs
        "router_id": words("lb1"),
        "vrrp_version": words("3"),
        "vrrp_startup_delay": words("5.5"),
        "vrrp_delay_after_boot": words("30"),
        "vrrp_mcast_group4": words("224.0.0.19"),
        "vrrp_mcast_group6": words("ff02::13"),
        "vrrp_garp_master_delay": words("10"),
        "vrrp_garp_master_repeat": words("3"),
        "vrrp_garp_master_refresh": words("60"),
        "vrrp_garp_master_refresh_repeat": words("2"),
        "vrrp_garp_lower_prio_delay": words("10"),
        "vrrp_garp_lower_prio_repeat": words("3"),
        "vrrp_garp_interval": words("0.001"),
        // garp_extra_if sends on the instance's other interfaces: one with an address on eth1.
        "vrrp_garp_extra_if": ProbeUse(arguments: "all 60", extra: extraInterfaceInstance),
        "vrrp_vmac_garp_intvl": ProbeUse(arguments: "all 60", extra: extraInterfaceInstance),
        "vrrp_instance garp_extra_if": ProbeUse(arguments: "all 60", context: ["virtual_ipaddress_excluded {", "198.51.100.100/24 dev eth1", "}"]),
        "vrrp_instance vmac_garp_intvl": ProbeUse(arguments: "all 60", context: ["virtual_ipaddress_excluded {", "198.51.100.100/24 dev eth1", "}"]),
        // Neighbour advertisements are for IPv6 instances.
        "vrrp_gna_interval": ProbeUse(arguments: "0.001", extra: ["vrrp_instance VI_6 {", "interface eth0", "virtual_router_id 52",
                                                                  "virtual_ipaddress {", "2001:db8::100/64", "}", "}"]),
        // Script security judges the scripts there are.
        "enable_script_security": ProbeUse(extra: script),
        // With a second instance on an interface that does not exist yet.
        "dynamic_interfaces": ProbeUse(extra: ["vrrp_instance VI_2 {", "interface bond0", "virtual_router_id 52",
                                               "virtual_ipaddress {", "198.51.100.100/24", "}", "}"]),
        "script_user": words("nobody"),
        "notify_fifo": words("/run/vigil/notify.fifo"),
        "notify_fifo_script": ProbeUse(arguments: "/bin/true", context: ["notify_fifo /run/vigil/notify.fifo"]),
        "vrrp_notify_fifo": words("/run/vigil/vrrp.fifo"),
        "vrrp_notify_fifo_script": ProbeUse(arguments: "/bin/true", context: ["vrrp_notify_fifo /run/vigil/vrrp.fifo"]),
        "lvs_notify_fifo": words("/run/vigil/lvs.fifo"),
        "lvs_notify_fifo_script": ProbeUse(arguments: "/bin/true", context: ["lvs_notify_fifo /run/vigil/lvs.fifo"]),
        "metrics_listen": words("127.0.0.1:9650"),
        "lvs_sync_daemon": words("eth0 VI_1 id 7"),
        "lvs_timeouts": words("tcp 900 udp 60"),
        "lvs_flush_on_stop": words("VS"),
        // SMTP alerts: keepalived sends them only with a server and somebody to send to.
        "notification_email": ProbeUse(body: ["ops@example.test"], context: ["smtp_server 192.0.2.25"]),
        "notification_email_from": words("vigil@example.test"),
        "smtp_server": words("192.0.2.25 2525"),
        "smtp_helo_name": words("lb1.example.test"),
        "smtp_connect_timeout": words("5"),
        // The checkers' default decides for a virtual server, whose own default is off.
        "smtp_alert_checker": ProbeUse(extra: ["virtual_server 192.0.2.1 80 {", "protocol TCP",
                                               "real_server 198.51.100.1 80 {", "}", "}"]),
        // A real server alerts unless told not to (keepalived's old default).
        "real_server smtp_alert": words("off"),
        // Only unicast adverts have a source to check.
        "vrrp_check_unicast_src": ProbeUse(extra: ["vrrp_instance VI_2 {", "interface eth0", "virtual_router_id 52",
                                                   "unicast_peer {", "192.0.2.12", "}",
                                                   "virtual_ipaddress {", "192.0.2.101/24", "}", "}"]),

        // vrrp_instance
        "vrrp_instance unicast_peer": ProbeUse(body: ["192.0.2.12"]),
        "vrrp_instance check_unicast_src": ProbeUse(context: ["unicast_peer {", "192.0.2.12", "}"]),
        "vrrp_instance state": words("MASTER"),
        "vrrp_instance interface": words("eth0"),
        "vrrp_instance mcast_src_ip": words("192.0.2.13"),
        // Not the interface's own primary address, which is the default source.
        "vrrp_instance unicast_src_ip": words("192.0.2.13"),
        "vrrp_instance mcast_dst_ip": words("224.0.0.19"),
        "vrrp_instance virtual_router_id": words("51"),
        "vrrp_instance unicast_ttl": words("255"),
        "vrrp_instance version": words("3"),
        "vrrp_instance priority": words("150"),
        "vrrp_instance advert_int": words("2"),
        "vrrp_instance virtual_ipaddress": ProbeUse(body: ["192.0.2.100/24"]),
        "vrrp_instance virtual_ipaddress_excluded": ProbeUse(body: ["192.0.2.101/24"]),
        "vrrp_instance virtual_routes": ProbeUse(body: ["198.51.100.0/24 via 192.0.2.254 dev eth0"]),
        "vrrp_instance virtual_rules": ProbeUse(body: ["from 192.0.2.100 table 100"]),
        "vrrp_instance track_interface": ProbeUse(body: ["eth1"]),
        "vrrp_instance track_script": ProbeUse(body: ["chk"], extra: script),
        "vrrp_instance track_file": ProbeUse(body: ["tf"], extra: file),
        "vrrp_instance track_process": ProbeUse(body: ["proc"], extra: process),
        "vrrp_instance track_bfd": ProbeUse(body: ["bfd1"]),
        // Accepting traffic matters where it would be dropped: in strict mode (v3, where accept is allowed).
        "vrrp_instance accept": ProbeUse(context: ["strict_mode", "version 3"]),
        // preempt is the default; it undoes an earlier nopreempt.
        "vrrp_instance preempt": ProbeUse(context: ["nopreempt"]),
        "vrrp_instance preempt_delay": words("10"),
        "vrrp_instance use_vmac": words("vrrp.51"),
        "vrrp_instance vmac_xmit_base": ProbeUse(context: ["use_vmac"]),
        "vrrp_instance use_ipvlan": words("ipvlan51"),
        "vrrp_instance notify_backup": words("/bin/true"),
        "vrrp_instance notify_master": words("/bin/true"),
        "vrrp_instance notify_fault": words("/bin/true"),
        "vrrp_instance notify_stop": words("/bin/true"),
        "vrrp_instance notify_deleted": words("/bin/true"),
        "vrrp_instance notify": words("/bin/true"),
        "vrrp_instance notify_master_rx_lower_pri": words("/bin/true"),
        "vrrp_instance lvs_sync_daemon_interface": words("eth0"),
        "vrrp_instance garp_master_delay": words("10"),
        "vrrp_instance garp_master_refresh": words("60"),
        "vrrp_instance garp_master_repeat": words("3"),
        "vrrp_instance garp_master_refresh_repeat": words("2"),
        "vrrp_instance garp_lower_prio_delay": words("10"),
        "vrrp_instance garp_lower_prio_repeat": words("3"),
        "vrrp_instance down_timer_adverts": words("5"),
        "vrrp_instance kernel_rx_buf_size": words("65536"),
        "vrrp_instance vrf": words("blue"),
        "vrrp_instance authentication": ProbeUse(body: ["auth_type PASS", "auth_pass secret"]),
        "authentication auth_type": words("PASS"),
        "authentication auth_pass": words("secret"),

        // vrrp_sync_group
        "vrrp_sync_group group": ProbeUse(body: ["VI_1"]),
        "vrrp_sync_group track_interface": ProbeUse(body: ["eth1"]),
        "vrrp_sync_group track_script": ProbeUse(body: ["chk"], extra: script),
        "vrrp_sync_group track_file": ProbeUse(body: ["tf"], extra: file),
        "vrrp_sync_group track_process": ProbeUse(body: ["proc"], extra: process),
        "vrrp_sync_group track_bfd": ProbeUse(body: ["bfd1"]),
        "vrrp_sync_group notify_backup": words("/bin/true"),
        "vrrp_sync_group notify_master": words("/bin/true"),
        "vrrp_sync_group notify_fault": words("/bin/true"),
        "vrrp_sync_group notify_stop": words("/bin/true"),
        "vrrp_sync_group notify": words("/bin/true"),
        // Tracking weights matter in a group only for a weighted tracker.
        "vrrp_sync_group sync_group_tracking_weight": weightedMember,
        "vrrp_sync_group global_tracking": weightedMember,

        // vrrp_script, vrrp_track_process, track_file
        "vrrp_script script": words("/bin/true"),
        "vrrp_script interval": words("2"),
        "vrrp_script timeout": words("3"),
        "vrrp_script weight": words("10"),
        "vrrp_script rise": words("2"),
        "vrrp_script fall": words("2"),
        "vrrp_script user": words("nobody"),
        "vrrp_track_process process": words("nginx"),
        // Parameters are matched only when the process line has some.
        "vrrp_track_process param_match": ProbeUse(arguments: "partial", context: ["process nginx -g daemon"]),
        "vrrp_track_process weight": words("10"),
        "vrrp_track_process quorum": words("2"),
        "vrrp_track_process quorum_max": words("3"),
        "vrrp_track_process delay": words("1"),
        "vrrp_track_process terminate_delay": words("1"),
        "vrrp_track_process fork_delay": words("1"),
        "track_file file": words("/run/vigil-probe"),
        "track_file weight": words("10"),
        "track_file init_file": words("5"),

        // SSL
        "SSL password": words("secret"),
        "SSL ca": words("/etc/vigil/ca.pem"),
        "SSL certificate": words("/etc/vigil/client.pem"),
        "SSL key": words("/etc/vigil/client.key"),

        // virtual_server, real_server and the checkers (checker options are shared)
        "virtual_server ip_family": words("inet"),
        "virtual_server lb_algo": words("rr"),
        "virtual_server lvs_sched": words("rr"),
        "virtual_server lb_kind": words("DR"),
        "virtual_server lvs_method": words("DR"),
        "virtual_server persistence_engine": words("sip"),
        "virtual_server persistence_timeout": words("300"),
        "virtual_server persistence_granularity": words("255.255.255.0"),
        "virtual_server protocol": words("TCP"),
        "virtual_server virtualhost": words("www.example.com"),
        "virtual_server snmp_name": words("vs1"),
        "virtual_server quorum_up": words("/bin/true"),
        "virtual_server quorum_down": words("/bin/true"),
        "virtual_server quorum": words("2"),
        // Hysteresis below a quorum above 1.
        "virtual_server hysteresis": ProbeUse(arguments: "1", context: ["quorum 2"]),
        "virtual_server weight": words("2"),
        "virtual_server sorry_server": words("198.51.100.9 80"),
        "virtual_server sorry_server_inhibit": ProbeUse(context: ["sorry_server 198.51.100.9 80"]),
        "virtual_server sorry_server_lvs_method": ProbeUse(arguments: "DR", context: ["sorry_server 198.51.100.9 80"]),
        "virtual_server real_server": words("198.51.100.2 80"),
        "real_server weight": words("3"),
        "real_server lvs_method": words("DR"),
        "real_server uthreshold": words("100"),
        "real_server lthreshold": words("10"),
        "real_server notify_up": words("/bin/true"),
        "real_server notify_down": words("/bin/true"),
        "real_server virtualhost": words("www.example.com"),
        "real_server snmp_name": words("rs1"),
        "real_server MISC_CHECK": ProbeUse(body: ["misc_path /bin/true"]),
        "real_server HTTP_GET": ProbeUse(body: ["url {", "path /", "}"]),
        "real_server SSL_GET": ProbeUse(body: ["url {", "path /", "}"]),
        "connect_ip": words("198.51.100.5"),
        "connect_port": words("8080"),
        "bindto": words("192.0.2.11"),
        "bind_port": words("4000"),
        "bind_if": words("eth0"),
        "connect_timeout": words("2"),
        "fwmark": words("5"),
        "retry": words("3"),
        "nb_get_retry": words("3"),
        // DNS_CHECK retries 3 times by default: 3 would change nothing.
        "DNS_CHECK retry": words("2"),
        "delay_before_retry": words("2"),
        "warmup": words("2"),
        "delay_loop": words("10"),
        "MISC_CHECK misc_path": words("/bin/false"),
        "MISC_CHECK misc_timeout": words("5"),
        "MISC_CHECK user": words("nobody"),
        "SMTP_CHECK helo_name": words("probe.example.com"),
        "SMTP_CHECK host": ProbeUse(body: ["connect_port 2525"]),
        "UDP_CHECK payload": words("00ff"),
        "UDP_CHECK min_reply_length": words("1"),
        "UDP_CHECK max_reply_length": words("100"),
        "HTTP_GET virtualhost": words("www.example.com"),
        "HTTP_GET http_protocol": words("1.1"),
        "HTTP_GET url": ProbeUse(body: ["path /health"]),
        "url path": words("/health"),
        "url digest": words("0123456789abcdef0123456789abcdef"),
        "url status_code": words("204"),
        "url virtualhost": words("www.example.com"),
        "url regex": words("ok"),
        "url regex_options": words("caseless"),
        "url regex_min_offset": words("1"),
        "url regex_max_offset": words("100"),
        "url regex_stack": words("65536"),
        "DNS_CHECK type": words("A"),
        "DNS_CHECK name": words("example.com"),
        "real_server FILE_CHECK": ProbeUse(body: ["track_file tf"], extra: file),
        "FILE_CHECK track_file": ProbeUse(arguments: "tf", extra: file),
        "FILE_CHECK weight": ProbeUse(arguments: "10", context: ["track_file tf"], extra: file),
        "BFD_CHECK name": words("bfd1"),
        "bfd_instance source_ip": words("192.0.2.11"),
        "bfd_instance neighbor_ip": words("192.0.2.12"),
        "bfd_instance neighbour_ip": words("192.0.2.12"),
        "bfd_instance min_rx": words("100"),
        "bfd_instance min_tx": words("100"),
        "bfd_instance idle_tx": words("1000"),
        "bfd_instance multiplier": words("3"),
        "bfd_instance ttl": words("255"),
        "bfd_instance hoplimit": words("255"),
        "bfd_instance max_hops": words("1"),
        "bfd_instance weight": words("10"),
    ]
}
