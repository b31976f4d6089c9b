/// What an instance tracks (`track_script`, `track_interface`, `track_file`) and how each
/// object moves its priority: keepalived's rules, computed without I/O.
///
/// For a weight W ≠ 0 (multiplier m = −1 with `reverse`): an object that is up adds W·m
/// when W > 0; one that is down adds W·m when W < 0; otherwise it adds nothing. So a
/// script with `weight -20` costs 20 points while failing, and one with `weight 10` gives
/// 10 while succeeding. Weight 0 means the instance goes to Fault while the object is down
/// (with `reverse`: while it is up). A tracked file holds a number N: it adds N·W·m, and
/// with weight 0 any non-zero number is a Fault; a result of −254 or less is a Fault too.
public struct PriorityTracking: Hashable, Sendable {
    public struct Object: Hashable, Sendable {
        public enum Kind: String, Hashable, Sendable {
            case script = "vrrp_script"
            case interface = "interface"
            case file = "track_file"
            case process = "vrrp_track_process"
        }

        public var kind: Kind
        public var name: String
        /// −253…253 as keepalived clamps it.
        public var weight: Int
        public var reverse: Bool

        public init(_ kind: Kind, _ name: String, weight: Int = 0, reverse: Bool = false) {
            self.kind = kind
            self.name = name
            self.weight = weight
            self.reverse = reverse
        }
    }

    /// The latest reading of an object.
    public enum Reading: Hashable, Sendable {
        /// Not known yet (a script that has not finished once): counts for nothing.
        case pending
        case up
        case down
        /// A tracked file's number (0 when the file is missing or empty).
        case number(Int64)
    }

    public let base: UInt8
    public let objects: [Object]
    public private(set) var readings: [Reading]

    public init(base: UInt8, objects: [Object]) {
        self.base = base
        self.objects = objects
        readings = objects.map { $0.kind == .file ? .number(0) : .pending }
    }

    /// Records a reading for every tracked object with this kind and name (an instance
    /// may not track one twice, but a reading is cheap to apply to all). Returns whether
    /// anything changed.
    @discardableResult
    public mutating func record(_ reading: Reading, kind: Object.Kind, name: String) -> Bool {
        var changed = false
        for i in objects.indices where objects[i].kind == kind && objects[i].name == name && readings[i] != reading {
            readings[i] = reading
            changed = true
        }
        return changed
    }

    public func tracks(_ kind: Object.Kind, _ name: String) -> Bool {
        objects.contains { $0.kind == kind && $0.name == name }
    }

    /// base + the objects' contributions, before clamping.
    public var total: Int {
        var sum = Int(base)
        for (object, reading) in zip(objects, readings) {
            if case let .points(p) = Self.effect(of: object, reading) { sum += p }
        }
        return sum
    }

    /// The priority the instance advertises: 255 for the address owner whatever its
    /// trackers say (keepalived never moves an owner's priority), else `total` in 1…254.
    public var effectivePriority: UInt8 {
        if base == 255 { return 255 }
        return UInt8(min(254, max(1, total)))
    }

    /// The objects that put the instance in Fault now, in configuration order.
    public var faults: [FaultReason] {
        zip(objects, readings).compactMap { object, reading in
            guard case .fault = Self.effect(of: object, reading) else { return nil }
            switch object.kind {
            case .script: return .script(object.name)
            case .interface: return .interface(object.name)
            case .file: return .trackFile(object.name)
            case .process: return .process(object.name)
            }
        }
    }

    enum Effect: Equatable { case points(Int), fault }

    static func effect(of object: Object, _ reading: Reading) -> Effect {
        let m = object.reverse ? -1 : 1
        let w = object.weight
        switch reading {
        case .pending:
            return .points(0)
        case .up, .down:
            let up = reading == .up
            if w == 0 { return up != (m == 1) ? .fault : .points(0) }
            if up { return .points(w > 0 ? w * m : 0) }
            return .points(w < 0 ? w * m : 0)
        case let .number(n):
            if w == 0 { return (n != 0) == (m == 1) ? .fault : .points(0) }
            let product = n.multipliedReportingOverflow(by: Int64(w * m))
            let status = product.overflow ? (n < 0) == (w * m < 0) ? Int64.max : Int64.min : product.partialValue
            if status <= -254 { return .fault }
            return .points(Int(min(status, 253)))
        }
    }
}

/// Why an instance is in Fault. Several can hold at once; it leaves Fault when none does.
public enum FaultReason: Hashable, Sendable, CustomStringConvertible {
    /// A tracked interface (the instance's own included) is down.
    case interface(String)
    /// A `vrrp_script` with weight 0 is failing.
    case script(String)
    /// A `track_file` with weight 0 holds a non-zero number (or its result is ≤ −254).
    case trackFile(String)
    /// A `vrrp_track_process` with weight 0 has no quorum.
    case process(String)
    /// Another member of the `vrrp_sync_group` is in Fault.
    case syncGroup(String)

    public var description: String {
        switch self {
        case let .interface(name): return "interface \(name) down"
        case let .script(name): return "vrrp_script \(name) failing"
        case let .trackFile(name): return "track_file \(name) in fault"
        case let .process(name): return "vrrp_track_process \(name) without quorum"
        case let .syncGroup(name): return "a member of sync group \(name) is in fault"
        }
    }
}
