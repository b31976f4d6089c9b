#if canImport(Glibc)
import Glibc
#endif
import CNetlink
import VRRP

/// A policy rule as `virtual_rules` / `static_rules` install it.
public struct KernelRule: Hashable, Sendable, CustomStringConvertible {
    /// FR_ACT_* with what each needs.
    public enum Action: Hashable, Sendable {
        case table(UInt32)
        case goto(UInt32)
        case nop, blackhole, unreachable, prohibit
        /// The table of the packet's L3 master device (FRA_L3MDEV).
        case l3mdev
    }

    public var ipv6: Bool
    public var action: Action
    /// `not`: FIB_RULE_INVERT.
    public var invert = false
    public var from: KernelPrefix?
    public var to: KernelPrefix?
    public var priority: UInt32?
    public var firewallMark: UInt32?
    public var firewallMask: UInt32?
    public var typeOfService: UInt8?
    public var inputInterface: String?
    public var outputInterface: String?
    /// FRA_PROTOCOL; keepalived marks its rules 18 unless `no_track`.
    public var protocolNumber: UInt8?

    public init(ipv6: Bool, action: Action) {
        self.ipv6 = ipv6
        self.action = action
    }

    /// In `ip rule`'s words.
    public var description: String {
        var words: [String] = []
        if let p = priority { words.append("\(p):") }
        if invert { words.append("not") }
        words += ["from", from.map { "\($0)" } ?? "all"]
        if let to { words += ["to", "\(to)"] }
        if let m = firewallMark { words += ["fwmark", firewallMask.map { "\(m)/\($0)" } ?? "\(m)"] }
        if let t = typeOfService { words += ["tos", "\(t)"] }
        if let i = inputInterface { words += ["iif", i] }
        if let o = outputInterface { words += ["oif", o] }
        switch action {
        case let .table(t): words += ["lookup", "\(t)"]
        case let .goto(n): words += ["goto", "\(n)"]
        case .nop: words.append("nop")
        case .blackhole: words.append("blackhole")
        case .unreachable: words.append("unreachable")
        case .prohibit: words.append("prohibit")
        case .l3mdev: words.append("lookup [l3mdev-table]")
        }
        return words.joined(separator: " ")
    }
}

extension RouteManager {
    /// keepalived adds rules with NLM_F_EXCL; the kernel's EEXIST then means this very
    /// rule (every selector equal) is in place: not an error.
    /// Says whether the rule was added (false: it was in place).
    @discardableResult
    public func add(_ rule: KernelRule) throws -> Bool {
        let result = try send(rule, NLM_F_CREATE | NLM_F_EXCL, rtnl_rule_build_add_request)
        if result == -NLE_EXIST { return false }
        if result < 0 { throw NetlinkError("adding rule \(rule)", code: result) }
        return true
    }

    /// Says whether the rule was there.
    @discardableResult
    public func remove(_ rule: KernelRule) throws -> Bool {
        let result = try send(rule, 0, rtnl_rule_build_delete_request)
        if result == -NLE_OBJ_NOTFOUND || result == -NLE_NOADDR { return false }
        if result < 0 { throw NetlinkError("removing rule \(rule)", code: result) }
        return true
    }

    /// Builds the request with libnl, then sets FIB_RULE_INVERT in its header, which
    /// libnl-route-3 has no setter for, and sends it waiting for the kernel's answer.
    private func send(_ r: KernelRule, _ flags: Int32,
                      _ build: (OpaquePointer?, Int32, UnsafeMutablePointer<OpaquePointer?>?) -> Int32) throws -> Int32 {
        guard let rule = rtnl_rule_alloc() else { throw NetlinkError("rtnl_rule_alloc", code: -NLE_NOMEM) }
        defer { rtnl_rule_put(rule) }
        rtnl_rule_set_family(rule, r.ipv6 ? AF_INET6 : AF_INET)
        switch r.action {
        case let .table(t):
            rtnl_rule_set_action(rule, UInt8(FR_ACT_TO_TBL))
            rtnl_rule_set_table(rule, t)
        case let .goto(n):
            rtnl_rule_set_action(rule, UInt8(FR_ACT_GOTO))
            rtnl_rule_set_goto(rule, n)
        case .nop: rtnl_rule_set_action(rule, UInt8(FR_ACT_NOP))
        case .blackhole: rtnl_rule_set_action(rule, UInt8(FR_ACT_BLACKHOLE))
        case .unreachable: rtnl_rule_set_action(rule, UInt8(FR_ACT_UNREACHABLE))
        case .prohibit: rtnl_rule_set_action(rule, UInt8(FR_ACT_PROHIBIT))
        case .l3mdev:
            rtnl_rule_set_action(rule, UInt8(FR_ACT_TO_TBL))
            rtnl_rule_set_l3mdev(rule, 1)
        }
        if let p = r.priority { rtnl_rule_set_prio(rule, p) }
        if let m = r.firewallMark { rtnl_rule_set_mark(rule, m) }
        if let m = r.firewallMask { rtnl_rule_set_mask(rule, m) }
        if let t = r.typeOfService { rtnl_rule_set_dsfield(rule, t) }
        if let p = r.protocolNumber {
            let result = rtnl_rule_set_protocol(rule, p)
            guard result == 0 else { throw NetlinkError("rule \(r): protocol \(p)", code: result) }
        }
        for (prefix, set, word) in [(r.from, rtnl_rule_set_src, "from"), (r.to, rtnl_rule_set_dst, "to")] {
            guard let prefix else { continue }
            let a = try Self.address(prefix.address, prefix: prefix.length)
            defer { nl_addr_put(a) }
            let result = set(rule, a)
            guard result == 0 else { throw NetlinkError("rule \(r): \(word) \(prefix)", code: result) }
        }
        if let i = r.inputInterface {
            let result = i.withCString { rtnl_rule_set_iif(rule, $0) }
            guard result == 0 else { throw NetlinkError("rule \(r): iif \(i)", code: result) }
        }
        if let o = r.outputInterface {
            let result = o.withCString { rtnl_rule_set_oif(rule, $0) }
            guard result == 0 else { throw NetlinkError("rule \(r): oif \(o)", code: result) }
        }
        var message: OpaquePointer?
        let built = build(rule, flags, &message)
        guard built == 0, let message else { throw NetlinkError("building rule \(r)", code: built < 0 ? built : -NLE_NOMEM) }
        if r.invert, let header = nlmsg_data(nlmsg_hdr(message)) {
            header.assumingMemoryBound(to: fib_rule_hdr.self).pointee.flags |= UInt32(FIB_RULE_INVERT)
        }
        return nl_send_sync(socket, message)  // frees the message
    }
}
