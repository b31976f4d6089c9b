import CNetlink

/// A libnl call failed; `code` is libnl's (negative) error number.
public struct NetlinkError: Error, CustomStringConvertible {
    public let operation: String
    public let code: Int32

    public init(_ operation: String, code: Int32) {
        self.operation = operation
        self.code = code
    }

    /// The interface named does not exist (any more): ENODEV.
    public var isNoDevice: Bool { code == -NLE_NODEV }

    /// A refusal that may pass if asked again: out of buffers or memory, busy, interrupted.
    public var isTransient: Bool {
        [NLE_INTR, NLE_AGAIN, NLE_NOMEM, NLE_BUSY].map { Int32($0) }.contains(-code)
    }

    public var description: String {
        "\(operation): \(String(cString: nl_geterror(code)))"
    }
}
