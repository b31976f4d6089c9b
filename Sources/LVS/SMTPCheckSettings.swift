/// keepalived's SMTP_CHECK as configured: the name it says HELO with.
public struct SMTPCheckSettings: Sendable, Equatable {
    /// keepalived's default HELO name.
    public static let defaultHeloName = "smtpchecker.keepalived.org"
    public var heloName: String

    public init(heloName: String = defaultHeloName) { self.heloName = heloName }

    /// The reply code a line starts with (`220 mail.example.com ESMTP` → 220, `250-…` →
    /// 250), nil when it does not start with three digits.
    public static func code(_ line: String) -> Int? {
        let digits = line.prefix(3)
        guard digits.count == 3, digits.allSatisfy(\.isASCII), let n = Int(digits) else { return nil }
        return n
    }
}
