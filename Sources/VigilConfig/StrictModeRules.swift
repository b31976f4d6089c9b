/// keepalived's strict mode (`vrrp_strict` in global_defs, `strict_mode` per instance):
/// run VRRP as RFC 3768 / RFC 5798 write it, nothing more.
///
/// The facts come from keepalived 2.2.7 (`vrrp_complete_instance` in vrrp/vrrp.c). There
/// most violations are reported and then *corrected* — the setting is reset and the
/// instance runs differently from what the file says. Vigil makes each of those an error,
/// so that the file is changed to say what will run. Settings keepalived drops for
/// strict instances without a word (global defaults) get a warning here. The one
/// consequence that is not a mistake but bites — traffic to the VIPs dropped while master,
/// because strict mode turns `accept` off — gets a plain warning at the instance.
public enum StrictMode {
    /// An instance's own `strict_mode`, else global `vrrp_strict`.
    public static func isStrict(_ v: VRRPInstance, _ g: GlobalDefs) -> Bool {
        v.strictMode ?? g.vrrpStrict
    }

    /// The priority keepalived runs: as written, else 255 (address owner) for `state
    /// MASTER` and 100 otherwise. The owner is exempt from the drop rules.
    static func basePriority(_ v: VRRPInstance) -> Int {
        v.basePriority
    }

    /// keepalived's version: as written; else 3 for IPv6 (the first VIP's family; the
    /// global vrrp_version does not apply there), else global vrrp_version, else 2.
    static func version(_ v: VRRPInstance, _ g: GlobalDefs) -> Int {
        if let written = v.version { return written }
        if v.virtualIPAddresses.first?.prefix.address.family == .inet6 { return 3 }
        return g.vrrpVersion ?? 2
    }

    /// Whether traffic addressed to the instance's virtual addresses (excluded ones too)
    /// is dropped while it is master — keepalived's firewall rule for `no_accept`:
    /// never for the address owner; otherwise unless `accept` is in effect, which strict
    /// mode turns off by default and keepalived resets with VRRP version 2 (RFC 3768 has
    /// no Accept_Mode). An explicit `no_accept` drops outside strict mode too, as in
    /// keepalived.
    public static func dropsTrafficToVirtualAddresses(_ v: VRRPInstance, _ g: GlobalDefs) -> Bool {
        if basePriority(v) == 255 { return false }
        let strict = isStrict(v, g)
        var accept = v.accept ?? !strict
        if accept && strict && version(v, g) == 2 { accept = false }
        return !accept
    }

    /// The nftables table Vigil keeps its drop rules in (documented for operators).
    public static let firewallTable = "inet vigil"
}

/// The checks of strict mode, run by the validator after its own.
struct StrictModeRules {
    let config: Configuration
    let diagnostics: DiagnosticEngine

    func run() {
        let g = config.globalDefs
        let strictInstances = config.vrrpInstances.filter { StrictMode.isStrict($0, g) }
        for v in config.vrrpInstances {
            if StrictMode.isStrict(v, g) { check(v, g) }
            warnAboutDrops(v, g)
        }
        if !strictInstances.isEmpty { checkGlobalDefaults(g) }
    }

    private func error(_ id: String, _ origin: Origin?, _ fallback: Origin, _ message: String) {
        diagnostics.error(id, at: (origin ?? fallback).location, message)
    }

    private func check(_ v: VRRPInstance, _ g: GlobalDefs) {
        let path = "vrrp_instance \(v.name)"
        let at = v.keywordOrigins
        let version = StrictMode.version(v, g)
        let owner = StrictMode.basePriority(v) == 255

        if v.noVirtualIPAddress {
            diagnostics.warning("strict-no-virtual-ipaddress", at: (at["no_virtual_ipaddress"] ?? v.origin).location,
                                "\(path): no_virtual_ipaddress does not hold in strict mode; keepalived clears it, and so does vigil")
        }
        if v.virtualIPAddresses.isEmpty {
            error("strict-no-vip", at["virtual_ipaddress"], v.origin,
                  "\(path): strict mode needs at least one virtual_ipaddress; keepalived refuses the instance without one")
        }
        if !v.unicastPeers.isEmpty && v.interface != nil {
            error("strict-unicast", at["unicast_peer"], v.origin,
                  "\(path): unicast_peer is not allowed in strict mode, where adverts go to the multicast group as the RFCs say (keepalived 2.4 refuses the instance; 2.2.7 misses the check and runs unicast); remove unicast_peer, or set 'strict_mode off' in this instance")
        }
        if v.authentication != nil {
            error("strict-authentication", at["authentication"], v.origin,
                  "\(path): strict mode does not allow authentication (RFC 5798 removed it); keepalived reports it and sends adverts without it, so a peer expecting the password drops them; remove the authentication block")
        }
        if v.initialState == .master && !owner {
            error("strict-state", at["state"], v.origin,
                  "\(path): in strict mode only the address owner (priority 255) may start as MASTER; keepalived reports it and starts as BACKUP; write 'state BACKUP'")
        } else if v.initialState == .backup && owner {
            error("strict-state", at["state"], v.origin,
                  "\(path): in strict mode the address owner (priority 255) starts as MASTER; keepalived reports it and starts as MASTER; write 'state MASTER' or leave 'state' out")
        }
        if let delay = v.preemptDelay, delay > 0 {
            error("strict-preempt-delay", at["preempt_delay"], v.origin,
                  "\(path): preempt_delay is not allowed in strict mode (the RFCs preempt at once); keepalived reports it and ignores it; remove it")
        }
        if v.accept == true && !owner && version == 2 {
            error("strict-accept-v2", at["accept"], v.origin,
                  "\(path): 'accept' has no effect in strict mode with VRRP version 2 (RFC 3768 has no Accept_Mode): keepalived reports it and drops traffic to the virtual addresses while master; add 'version 3' to accept it, or leave strict mode")
        }
        if v.useVMAC != nil && v.vmacTransmitBase {
            error("strict-vmac-xmit-base", at["vmac_xmit_base"], v.origin,
                  "\(path): vmac_xmit_base is not allowed in strict mode (adverts must leave from the virtual MAC); keepalived reports it and ignores it; remove it")
        }
        for s in v.unsupported {
            let word = s.values.first
            switch s.name {
            case "down_timer_adverts" where word != "3":
                diagnostics.error("strict-down-timer-adverts", at: s.location,
                                  "\(path): down_timer_adverts must be 3 in strict mode (Master_Down_Interval is 3 adverts in the RFCs); keepalived reports it and uses 3; remove it")
            case "lower_prio_no_advert" where word.map(Self.isFalse) == true:
                diagnostics.error("strict-lower-prio-no-advert", at: s.location,
                                  "\(path): lower_prio_no_advert cannot be turned off in strict mode (a master does not answer a lower-priority advert); keepalived reports it and turns it on; remove it")
            case "higher_prio_send_advert" where word.map(Self.isFalse) != true:
                diagnostics.error("strict-higher-prio-send-advert", at: s.location,
                                  "\(path): higher_prio_send_advert is not allowed in strict mode; keepalived reports it and turns it off; remove it")
            case "garp_lower_prio_repeat" where Self.isPositive(s):
                diagnostics.error("strict-garp-lower-prio", at: s.location,
                                  "\(path): garp_lower_prio_repeat is not allowed in strict mode; keepalived reports it and sends no gratuitous ARP after a lower-priority advert; remove it")
            case "garp_lower_prio_delay" where Self.isPositive(s):
                diagnostics.error("strict-garp-lower-prio", at: s.location,
                                  "\(path): garp_lower_prio_delay is not allowed in strict mode; keepalived reports it and resets it to 0; remove it")
            default:
                break
            }
        }
        // RFC 5798 §5.2.9: over IPv6 the first address is the link-local one.
        if v.unicastPeers.isEmpty, let first = v.virtualIPAddresses.first,
           case let .v6(bytes) = first.prefix.address, !(bytes[0] == 0xfe && bytes[1] & 0xc0 == 0x80) {
            diagnostics.error("strict-ipv6-link-local", at: first.origin.location,
                              "\(path): in strict mode the first IPv6 virtual address must be link-local (fe80::/10), as RFC 5798 requires; keepalived reports it; put a link-local address first")
        }
    }

    /// `no_accept` in effect: say what it does, at the instance, once.
    private func warnAboutDrops(_ v: VRRPInstance, _ g: GlobalDefs) {
        guard StrictMode.dropsTrafficToVirtualAddresses(v, g), !v.virtualIPAddresses.isEmpty else { return }
        let strict = StrictMode.isStrict(v, g)
        // strict-accept-v2 already says it for an explicit accept.
        if v.accept == true { return }
        let addresses = (v.virtualIPAddresses + v.excludedVirtualIPAddresses).map { $0.prefix.address.description }
        let shown = addresses.prefix(3).joined(separator: ", ") + (addresses.count > 3 ? ", …" : "")
        let why = v.accept == false ? "it has 'no_accept'" : "strict mode turns 'accept' off"
        var fix = "set 'accept' if they must answer"
        if strict && StrictMode.version(v, g) == 2 { fix += " (with 'version 3': VRRP version 2 has no accept mode)" }
        diagnostics.warning("strict-drops-traffic", at: v.origin.location,
                            "vrrp_instance \(v.name): while it is master, traffic addressed to its virtual addresses (\(shown)) will be dropped, because \(why) (nftables table \(StrictMode.firewallTable)); \(fix)")
    }

    /// Global defaults keepalived silently replaces for strict instances.
    private func checkGlobalDefaults(_ g: GlobalDefs) {
        let ignored = "does not apply to strict-mode instances: keepalived uses"
        for s in g.unsupported {
            let word = s.values.first
            if (s.name == "vrrp_garp_lower_prio_repeat" || s.name == "vrrp_garp_lower_prio_delay") && Self.isPositive(s) {
                diagnostics.warning("strict-global-ignored", at: s.location, "\(s.name) \(ignored) 0 for them without saying so")
            } else if s.name == "vrrp_lower_prio_no_advert" && word.map(Self.isFalse) == true {
                diagnostics.warning("strict-global-ignored", at: s.location,
                                    "vrrp_lower_prio_no_advert off \(ignored) 'on' for them without saying so")
            } else if s.name == "vrrp_higher_prio_send_advert" && word.map(Self.isFalse) != true {
                diagnostics.warning("strict-global-ignored", at: s.location,
                                    "vrrp_higher_prio_send_advert \(ignored) 'off' for them without saying so")
            }
        }
    }

    /// A count or a time above zero (`garp_lower_prio_repeat 2`, `garp_lower_prio_delay 0.5`):
    /// these keywords are kept as written, not read.
    private static func isPositive(_ s: Statement) -> Bool {
        guard let word = s.values.first, let value = ModelBuilder.parseSeconds(word) else { return false }
        return value > 0
    }

    /// keepalived's false words (`check_true_false`).
    private static func isFalse(_ word: String) -> Bool {
        word == "false" || word == "off" || word == "no"
    }
}
