import VigilTypes

/// When a new master announces its virtual addresses with gratuitous ARP, with
/// keepalived's knobs and defaults.
public struct GratuitousARPPolicy: Hashable, Sendable {
    /// `garp_master_delay`: a second burst this long after becoming master (0: none).
    public var masterDelay: Microseconds
    /// `garp_master_repeat`: gratuitous ARPs per virtual address in each burst.
    public var masterRepeat: Int
    /// `garp_master_refresh`: while master, a refresh burst this often (0: never).
    public var masterRefresh: Microseconds
    /// `garp_master_refresh_repeat`: gratuitous ARPs per address in each refresh.
    public var masterRefreshRepeat: Int
    /// `vrrp_garp_interval`: the gap between two gratuitous ARPs of a burst (0: at once).
    public var interval: Microseconds
    /// `garp_extra_if` / `vrrp_garp_extra_if`: while master, one gratuitous ARP (or NA) on
    /// each other interface that carries one of the instance's addresses this often
    /// (0: never), so that switches on those links keep the MAC in their caches; the first
    /// `masterDelay` after becoming master plus this.
    public var extraInterfaceInterval: Microseconds

    /// keepalived's defaults: 5 at once on takeover, 5 more 5 s later, no refresh.
    public init(masterDelay: Microseconds = 5_000_000, masterRepeat: Int = 5, masterRefresh: Microseconds = 0,
                masterRefreshRepeat: Int = 1, interval: Microseconds = 0, extraInterfaceInterval: Microseconds = 0) {
        self.masterDelay = masterDelay
        self.masterRepeat = masterRepeat
        self.masterRefresh = masterRefresh
        self.masterRefreshRepeat = masterRefreshRepeat
        self.interval = interval
        self.extraInterfaceInterval = extraInterfaceInterval
    }
}
