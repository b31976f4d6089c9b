/// What the validator may ask about the machine it runs on. `vigil check` answers from the
/// kernel (netlink); tests answer from a table. Without `--host` a missing interface is a
/// warning (the file may be meant for another box); with `--host` it is an error, as
/// `keepalived -t` reports on the box itself.
public protocol HostFacts {
    /// The interface's addresses, or nil when there is no such interface.
    func addresses(ofInterface name: String) -> [IPAddress]?
}

/// A host described by a table: interface name → addresses.
public struct StaticHostFacts: HostFacts {
    public var interfaces: [String: [IPAddress]]
    public init(_ interfaces: [String: [IPAddress]]) { self.interfaces = interfaces }
    public func addresses(ofInterface name: String) -> [IPAddress]? { interfaces[name] }
}
