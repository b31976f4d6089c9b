import CNetlink

/// A libnl call failed; `code` is libnl's (negative) error number.
public struct NetlinkError: Error, CustomStringConvertible {
    public let operation: String
    public let code: Int32

    public init(_ operation: String, code: Int32) {
        self.operation = operation
        self.code = code
    }

    public var description: String {
        "\(operation): \(String(cString: nl_geterror(code)))"
    }
}
