import VigilTypes
/// `vrrp_script NAME { }`: a command whose exit status moves priority.
public struct VRRPScript: Hashable, Sendable {
    public var name: String
    public var origin: Origin
    public var script: String?
    /// Microseconds between runs (keepalived's default 1 s).
    public var interval: Microseconds?
    public var timeout: Microseconds?
    /// −253…253; 0 means a failing script puts the instance in Fault.
    public var weight: Int?
    public var weightReverse = false
    public var rise: Int?
    public var fall: Int?
    public var user: ScriptUser?
    public var initFail = false
    public var unsupported: [Statement] = []

    public init(name: String, origin: Origin) {
        self.name = name
        self.origin = origin
    }
}

/// `track_file NAME { }` (also spelt `vrrp_track_file`): a file holding a number that
/// moves priority.
public struct TrackFile: Hashable, Sendable {
    public var name: String
    public var origin: Origin
    public var file: String?
    public var weight: Int?
    public var weightReverse = false
    /// `init_file [VALUE] [overwrite]`
    public var initFile: [String]?
    public var unsupported: [Statement] = []

    public init(name: String, origin: Origin) {
        self.name = name
        self.origin = origin
    }
}

/// `vrrp_track_process NAME { }`: how many processes matching a name (or command line)
/// run, against a quorum.
public struct TrackProcess: Hashable, Sendable {
    public enum ParameterMatch: String, Hashable, Sendable { case exact, partial, initial }

    public var name: String
    public var origin: Origin
    /// `process NAME [PARAM …]`: the command name, then parameters to match.
    public var process: [String] = []
    public var parameterMatch: ParameterMatch?
    public var weight: Int?
    public var weightReverse = false
    public var quorum: Int?
    public var quorumMax: Int?
    public var forkDelay: Microseconds?
    public var terminateDelay: Microseconds?
    public var fullCommand = false
    public var unsupported: [Statement] = []

    public init(name: String, origin: Origin) {
        self.name = name
        self.origin = origin
    }
}

/// `vrrp_sync_group NAME { group { … } }`: instances that change state together.
public struct SyncGroup: Hashable, Sendable {
    public var name: String
    public var origin: Origin
    public var members: [TrackReference] = []
    public var notify = NotifyScripts()
    /// `smtp_alert [BOOL]`: mail on the group's transitions (nil: global_defs decides).
    public var smtpAlert: Bool?
    public var trackScripts: [TrackReference] = []
    public var trackInterfaces: [TrackReference] = []
    public var trackFiles: [TrackReference] = []
    public var trackProcesses: [TrackReference] = []
    /// `sync_group_tracking_weight` (or the deprecated `global_tracking`): members keep
    /// their tracking weights.
    public var trackingWeight = false
    public var unsupported: [Statement] = []

    public init(name: String, origin: Origin) {
        self.name = name
        self.origin = origin
    }
}
