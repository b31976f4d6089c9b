/// What must change in the kernel to turn one IPVS table into another: only the
/// difference, so established connections of untouched real servers never notice.
public enum IPVSChange: Hashable, Sendable, CustomStringConvertible {
    case addService(IPVSService)
    case editService(IPVSService)
    case deleteService(IPVSService.Key)
    case addDestination(IPVSService.Key, IPVSDestination)
    case editDestination(IPVSService.Key, IPVSDestination)
    case deleteDestination(IPVSService.Key, IPVSDestination.Key)

    public var description: String {
        switch self {
        case let .addService(s): return "add service \(s)"
        case let .editService(s): return "edit service \(s)"
        case let .deleteService(k): return "delete service \(k)"
        case let .addDestination(k, d): return "add \(d) to \(k)"
        case let .editDestination(k, d): return "edit \(d) in \(k)"
        case let .deleteDestination(k, d): return "delete \(d) from \(k)"
        }
    }
}

public enum IPVSReconciler {
    /// The changes that turn `actual` into `desired` for the services Vigil manages:
    /// those in `desired` and those in `owned` (created by this run, so removed when no
    /// longer wanted). A service in the kernel that is neither is someone else's and is
    /// left alone. A service that exists with other settings is edited in place, not
    /// recreated (that would drop its connections). Order: services first, then each
    /// service's destinations (deletions before additions, so a thresholds/weight pool
    /// never briefly exceeds its size), then services that go.
    public static func changes(from actual: IPVSTable, to desired: IPVSTable,
                               owned: Set<IPVSService.Key> = []) -> [IPVSChange] {
        var result: [IPVSChange] = []
        for key in desired.services.keys.sorted() {
            let want = desired.services[key]!
            guard let have = actual.services[key] else {
                var bare = want
                bare.destinations = [:]
                result.append(.addService(bare))
                for d in want.destinations.keys.sorted() { result.append(.addDestination(key, want.destinations[d]!)) }
                continue
            }
            if !want.sameSettings(as: have) {
                var bare = want
                bare.destinations = [:]
                result.append(.editService(bare))
            }
            for d in have.destinations.keys.sorted() where want.destinations[d] == nil {
                result.append(.deleteDestination(key, d))
            }
            for d in want.destinations.keys.sorted() {
                let wanted = want.destinations[d]!
                if let present = have.destinations[d] {
                    if present != wanted { result.append(.editDestination(key, wanted)) }
                } else {
                    result.append(.addDestination(key, wanted))
                }
            }
        }
        for key in owned.sorted() where desired.services[key] == nil && actual.services[key] != nil {
            result.append(.deleteService(key))
        }
        return result
    }
}
