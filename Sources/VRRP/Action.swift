import VigilTypes
/// What the core asks the edge to do. The edge performs actions in order.
public enum Action: Hashable, Sendable {
    /// Multicast to 224.0.0.18, or to each unicast peer, from the primary address.
    case sendAdvertisement(Advertisement)
    /// Install the virtual addresses (and the excluded ones) on their interfaces.
    case addVirtualAddresses
    /// Remove them.
    case removeVirtualAddresses
    /// One gratuitous ARP for each virtual address.
    case sendGratuitousARP
    /// `garp_extra_if`: one gratuitous ARP (unsolicited NA) on each interface other than
    /// the instance's that carries one of its addresses.
    case sendGratuitousARPOnExtraInterfaces
    /// The state changed; the edge logs it and runs the notify scripts.
    case transition(from: VRRPState, to: VRRPState, reason: TransitionReason)
    /// The effective priority moved (tracked objects): the edge logs it; the next advert
    /// carries it.
    case priorityChanged(from: UInt8, to: UInt8)
}

/// RFC 3768 §6.4: Initialize, Backup, Master; and keepalived's Fault (interface down).
public enum VRRPState: String, Hashable, Sendable, CustomStringConvertible {
    case initialize = "INIT"
    case backup = "BACKUP"
    case master = "MASTER"
    case fault = "FAULT"

    public var description: String { rawValue }
}

/// Why a transition happened: the line an operator reads in the log.
public enum TransitionReason: Hashable, Sendable, CustomStringConvertible {
    case startup
    /// Priority 255: the address owner takes over at once (RFC 3768 §6.4.1).
    case addressOwner
    /// No advertisement for Master_Down_Interval.
    case masterDownTimerExpired
    /// The master said it was leaving (priority 0) and nobody spoke within Skew_Time.
    case masterLeft(from: InternetAddress)
    case higherPriority(from: InternetAddress, priority: UInt8)
    /// Same priority, higher primary address (RFC 3768 §6.4.3).
    case higherAddress(from: InternetAddress)
    /// Something tracked went bad (the first reason, when several hold).
    case fault(FaultReason)
    /// No fault holds any more: a new election from Backup.
    case faultCleared
    /// Another member of the sync group changed state; the group moves together.
    case syncGroup(group: String, member: String)
    case shutdown
    /// The operator asked it to hand over (`vigil resign`).
    case resigned
    /// A live reload changed its settings; it goes on in the state it had.
    case reload

    public var description: String {
        switch self {
        case .startup: return "startup"
        case .addressOwner: return "address owner (priority 255)"
        case .masterDownTimerExpired: return "no advertisement within Master_Down_Interval"
        case let .masterLeft(from): return "the master \(from) left (priority 0), nobody else within Skew_Time"
        case let .higherPriority(from, priority): return "advertisement from \(from) with higher priority \(priority)"
        case let .higherAddress(from): return "advertisement from \(from) with the same priority and a higher address"
        case let .fault(reason): return reason.description
        case .faultCleared: return "no fault remains"
        case let .syncGroup(group, member): return "sync group \(group) follows \(member)"
        case .shutdown: return "shutdown"
        case .resigned: return "resigned by the operator"
        case .reload: return "configuration reloaded; carrying on as master"
        }
    }
}
