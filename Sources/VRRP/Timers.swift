import VigilTypes

/// The timers of RFC 3768 §6.1 and RFC 5798 §6.1, computed in microseconds.
///
/// keepalived and Vigil both keep these exact to the microsecond: rounding Skew_Time to
/// centiseconds would shift a takeover by up to 10 ms, which is visible beside a peer.
public struct VRRPTimers: Hashable, Sendable {
    /// Advertisement_Interval (RFC 3768: seconds; RFC 5798: centiseconds), in microseconds.
    public var advertisementInterval: Microseconds
    /// The router's own priority, 1…255.
    public var priority: Int
    public var version: VRRPVersion

    public init(advertisementInterval: Microseconds, priority: Int, version: VRRPVersion) {
        self.advertisementInterval = advertisementInterval
        self.priority = priority
        self.version = version
    }

    /// Skew_Time: RFC 3768 §6.1 `(256 − Priority) / 256` seconds; RFC 5798 §6.1
    /// `((256 − Priority) × Master_Adver_Interval) / 256`.
    public var skewTime: Microseconds {
        switch version {
        case .v2: return Int64(256 - priority) * 1_000_000 / 256
        case .v3: return Int64(256 - priority) * advertisementInterval / 256
        }
    }

    /// Master_Down_Interval: `3 × Advertisement_Interval + Skew_Time`.
    public var masterDownInterval: Microseconds { 3 * advertisementInterval + skewTime }
}
