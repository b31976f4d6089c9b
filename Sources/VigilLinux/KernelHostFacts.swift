import VigilConfig

/// Answers the validator's questions about this machine from the kernel's interface table.
public struct KernelHostFacts: HostFacts {
    private let table: InterfaceTable

    public init(table: InterfaceTable) { self.table = table }

    /// Reads the current network namespace's interfaces (netlink; needs no privilege).
    public static func current() throws -> KernelHostFacts {
        KernelHostFacts(table: try InterfaceTable.read())
    }

    public func addresses(ofInterface name: String) -> [IPAddress]? {
        guard let interface = table.interfaces[name] else { return nil }
        return interface.addresses.compactMap { bytes in
            switch bytes.count {
            case 4: return .v4(bytes[0], bytes[1], bytes[2], bytes[3])
            case 16: return .v6(bytes)
            default: return nil
            }
        }
    }
}
