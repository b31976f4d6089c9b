import VigilTypes
/// How a VRRPv3 IPv4 advertisement's checksum is computed. RFC 5798 §5.2.8 sums the
/// advertisement with an IPv4 pseudo-header; implementations did not all read it so, and
/// keepalived's options choose among their readings. (IPv6 has one reading: RFC 2460's
/// pseudo-header with the packet's addresses.)
public enum V3ChecksumForm: Hashable, Sendable, CustomStringConvertible {
    /// Over the pseudo-header with the packet's own destination (RFC 5798; keepalived
    /// since 1.3.6). For a multicast advert the destination is the group.
    case pseudoHeader
    /// Over the pseudo-header with the multicast group as destination even when the advert
    /// goes to a unicast peer: keepalived before 1.3.6, kept by `old_unicast_checksum`.
    case multicastPseudoHeader
    /// Over the advertisement alone, as VRRPv2 (Cisco's and Juniper's reading, RFC 9568's
    /// advice for IPv4): keepalived's `v3_checksum_as_v2`.
    case noPseudoHeader

    public var description: String {
        switch self {
        case .pseudoHeader: return "pseudo-header with the destination address"
        case .multicastPseudoHeader: return "pseudo-header with the multicast group (old unicast checksum)"
        case .noPseudoHeader: return "no pseudo-header (as VRRPv2)"
        }
    }
}

/// An instance's VRRPv3 IPv4 checksum rules, keepalived's: which form it sends, which it
/// accepts, and when it changes its mind.
public struct V3ChecksumPolicy: Hashable, Sendable {
    /// keepalived's `old_unicast_checksum` (compiled in as OLD_CHKSUM_COMPAT in Debian's
    /// build): whether a unicast instance uses the pre-1.3.6 form.
    public enum UnicastCompatibility: Hashable, Sendable {
        /// Not written: the RFC form, until an advert in the old form arrives from a unicast
        /// peer; from then on the old form, both ways (keepalived's automatic detection).
        case automatic
        /// `old_unicast_checksum never`: the RFC form only; an old-form advert is a bad checksum.
        case never
        /// `old_unicast_checksum`: the old form, both ways, from the start.
        case always
    }

    /// `v3_checksum_as_v2` (the instance's, else global_defs'): send without the
    /// pseudo-header. keepalived then rejects no advert for its checksum at all; Vigil
    /// accepts any of the three forms and rejects only an advert that none of them verifies
    /// (a corrupt one), which changes nothing for a peer of any reading.
    public var asV2: Bool
    public var unicastCompatibility: UnicastCompatibility

    public init(asV2: Bool = false, unicastCompatibility: UnicastCompatibility = .automatic) {
        self.asV2 = asV2
        self.unicastCompatibility = unicastCompatibility
    }

    /// The verdict on an advert whose checksum verifies in `forms`, for an instance now
    /// sending `current` (`unicast`: the advert came to a unicast address).
    public enum Verdict: Hashable, Sendable {
        case accept
        /// Accept, and send the old (multicast pseudo-header) form from now on.
        case acceptSwitchingToOldForm
        case reject
    }

    public func judge(_ forms: Set<V3ChecksumForm>, current: V3ChecksumForm, unicast: Bool) -> Verdict {
        if asV2 { return forms.isEmpty ? .reject : .accept }
        if forms.contains(current) { return .accept }
        if current == .pseudoHeader, unicast, unicastCompatibility == .automatic, forms.contains(.multicastPseudoHeader) {
            return .acceptSwitchingToOldForm
        }
        return .reject
    }

    /// The form an instance sends before it has heard anything.
    public var initialForm: V3ChecksumForm {
        if asV2 { return .noPseudoHeader }
        return unicastCompatibility == .always ? .multicastPseudoHeader : .pseudoHeader
    }
}
