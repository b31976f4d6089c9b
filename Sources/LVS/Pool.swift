import VigilTypes

/// One `virtual_server` as the pool model needs it: its IPVS services (one, or one per
/// member of a `virtual_server_group`), its real servers with their checkers, the sorry
/// server and the quorum rule. Plain values, made from the configuration by the daemon's
/// planner, so that `PoolState` can apply keepalived's rules without reading a
/// configuration or touching the kernel.
public struct Pool: Sendable {
    /// A `real_server` of the pool.
    public struct Member: Sendable {
        public var name: String
        /// `ADDR:PORT` as `vigil drain` and `vigil status` name it (unique in its pool).
        public var endpoint: String { destination.key.description }
        public var destination: IPVSDestination
        /// Its checkers, as indices into the plan's list of checks.
        public var checks: [CheckID]
        /// `inhibit_on_failure`: weight 0 while down instead of leaving the pool.
        public var inhibitOnFailure: Bool
        /// `alpha`: down until the first success (otherwise up until the first failure).
        public var alpha: Bool
        /// `notify_up` / `notify_down`.
        public var notifyUp: String?
        public var notifyDown: String?
        /// keepalived's name for it in FIFO lines (`[198.51.100.1]:tcp:80`).
        public var fifoName = ""
        /// `smtp_alert` as keepalived settles it: the real server's, else global_defs'
        /// `smtp_alert_checker`, else `smtp_alert`, else on (keepalived's old default).
        public var smtpAlert = true

        public init(name: String, destination: IPVSDestination, checks: [CheckID] = [], inhibitOnFailure: Bool = false,
                    alpha: Bool = false, notifyUp: String? = nil, notifyDown: String? = nil) {
            self.name = name
            self.destination = destination
            self.checks = checks
            self.inhibitOnFailure = inhibitOnFailure
            self.alpha = alpha
            self.notifyUp = notifyUp
            self.notifyDown = notifyDown
        }
    }

    public var name: String
    /// keepalived's name for the virtual server in FIFO lines (`[192.0.2.100]:tcp:80`,
    /// `FWM 7`, `[web]:0`).
    public var fifoName = ""
    /// The virtual server as written (`ADDR:PORT`, `fwmark N`, `group NAME`): what
    /// `vigil drain` and `vigil status` call it.
    public var key: String
    public var services: [IPVSService]
    public var members: [Member]
    public var sorry: IPVSDestination?
    /// `quorum` (default 1): the weight of live members the pool needs; below it
    /// (with `hysteresis` either side) the sorry server stands in and `quorum_down` runs.
    public var quorum: Int
    public var hysteresis: Int
    public var quorumUp: String?
    public var quorumDown: String?
    /// `ha_suspend`: the virtual server's addresses; its checkers run only while one of
    /// them is on this box (empty: always run).
    public var haSuspendAddresses: [InternetAddress] = []
    /// `omega`: at exit, notify_down of every live member and quorum_down run.
    public var omega = false
    /// `smtp_alert` as keepalived settles it: the virtual server's, else global_defs'
    /// `smtp_alert_checker`, else `smtp_alert`, else off.
    public var smtpAlert = false

    public init(name: String, key: String, services: [IPVSService], members: [Member], sorry: IPVSDestination? = nil,
                quorum: Int = 1, hysteresis: Int = 0, quorumUp: String? = nil, quorumDown: String? = nil) {
        self.name = name
        self.key = key
        self.services = services
        self.members = members
        self.sorry = sorry
        self.quorum = quorum
        self.hysteresis = hysteresis
        self.quorumUp = quorumUp
        self.quorumDown = quorumDown
    }

    /// The weight of the members `up` says are alive: the configured weights (a
    /// misc_dynamic weight or a drain does not count), as keepalived sums them for quorum.
    public func liveWeight(_ up: (Int) -> Bool) -> Int {
        members.indices.filter(up).reduce(0) { $0 + max(0, Int(members[$1].destination.weight)) }
    }

    /// The pool's services with the destinations the kernel should hold: the members `up`
    /// says are alive (at `weight(member)` when it gives one, else their configured
    /// weight), the down ones at weight 0 with `inhibit_on_failure` (absent otherwise),
    /// and the sorry server while the pool lacks its quorum.
    public func services(up: (Int) -> Bool, hasQuorum: Bool, weight: (Int) -> Int32?) -> [IPVSService] {
        var destinations: [IPVSDestination] = []
        for (m, member) in members.enumerated() {
            if up(m) {
                var d = member.destination
                if let w = weight(m) { d.weight = w }
                destinations.append(d)
            } else if member.inhibitOnFailure {
                var d = member.destination
                d.weight = 0
                destinations.append(d)
            }
        }
        if !hasQuorum, let sorry { destinations.append(sorry) }
        return services.map { service in
            var service = service
            service.destinations = Dictionary(destinations.map { ($0.key, $0) }, uniquingKeysWith: { _, b in b })
            return service
        }
    }
}

/// A checker's number: its index in the plan's list of checks, as the checkers report it.
public typealias CheckID = Int
