/// A `vrrp_script`'s verdict from its run results, with `rise` and `fall` as keepalived
/// counts them: it turns good after `rise` successes in a row and bad after `fall`
/// failures in a row. The very first result decides at once (a script starts one success
/// short of good), unless `init_fail` makes it start bad.
public struct ScriptHealth: Hashable, Sendable {
    public let rise: Int
    public let fall: Int
    /// 0…rise+fall−1; good when ≥ rise (keepalived's `result`).
    public private(set) var counter: Int
    /// Whether no result has arrived yet.
    public private(set) var initial: Bool
    public private(set) var reading: PriorityTracking.Reading

    public init(rise: Int = 1, fall: Int = 1, initFail: Bool = false) {
        self.rise = max(1, rise)
        self.fall = max(1, fall)
        counter = initFail ? 0 : self.rise - 1
        initial = !initFail
        reading = initFail ? .down : .pending
    }

    /// Adds one run's outcome (exit 0 is a success; a non-zero exit, a signal or a timeout
    /// a failure). Returns the new reading when it changed.
    public mutating func record(success: Bool) -> PriorityTracking.Reading? {
        let before = reading
        if success {
            if counter < rise - 1 {
                counter += 1
            } else {
                counter = rise + fall - 1
                reading = .up
            }
        } else {
            if counter > rise {
                counter -= 1
            } else {
                counter = 0
                reading = .down
            }
        }
        initial = false
        return reading == before ? nil : reading
    }
}
