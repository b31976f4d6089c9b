import LVS

/// keepalived's side of an SMTP alert's conversation, sans IO: fed the server's bytes, it
/// says what to send next and when the conversation is over.
///
/// keepalived's dialogue (RFC 5321's minimum): the greeting 220, `HELO name` 250,
/// `MAIL FROM:<from>` 250, one `RCPT TO:<address>` per recipient each 250, `DATA` 354,
/// the mail ending in `CRLF . CRLF` 250, `QUIT` 221. An unexpected code at any step ends
/// the mail (keepalived logs the step and the code, then says QUIT); the answer to QUIT,
/// whatever it is, ends the conversation. A multi-line answer (`250-…`) counts by its
/// last line.
public struct SMTPAlertDialogue: Sendable {
    /// Where the conversation stands: which answer it waits for.
    public enum Step: Equatable, Sendable {
        case greeting
        case helo
        case mail
        /// Waiting for the answer to the RCPT TO of recipient `index`.
        case recipient(Int)
        case data
        case body
        case quit

        /// The code keepalived expects at this step.
        var expected: Int {
            switch self {
            case .greeting: return 220
            case .helo, .mail, .recipient, .body: return 250
            case .data: return 354
            case .quit: return 221
            }
        }

        /// keepalived's name for the step in its log line.
        var command: String {
            switch self {
            case .greeting: return "(E)SMTP"
            case .helo: return "HELO"
            case .mail: return "MAIL"
            case .recipient: return "RCPT"
            case .data: return "DATA"
            case .body: return "BODY"
            case .quit: return "QUIT"
            }
        }
    }

    /// How a conversation ended.
    public enum Outcome: Equatable, Sendable {
        /// The server took the mail (250 after the body).
        case sent
        /// The server answered `code` at `command`: the mail was not sent.
        case refused(command: String, code: Int)
        /// No connection, no answer in time, or the connection closed early.
        case failed(String)
    }

    /// What the caller does next.
    public enum Action: Equatable, Sendable {
        case send(String)
        /// The conversation is over: close the connection.
        case close(Outcome)
    }

    public let heloName: String
    public let from: String
    public let recipients: [String]
    /// The mail as DATA sends it, ending in `CRLF . CRLF`.
    public let message: String
    public private(set) var step = Step.greeting
    /// Set once the server has said what became of the mail.
    private var outcome: Outcome?
    private var pending: [UInt8] = []

    public init(heloName: String, from: String, recipients: [String], message: String) {
        precondition(!recipients.isEmpty, "an alert needs a recipient")
        self.heloName = heloName
        self.from = from
        self.recipients = recipients
        self.message = message
    }

    /// Bytes from the server: the actions for every complete answer in them, in order.
    public mutating func receive(_ bytes: some Sequence<UInt8>) -> [Action] {
        pending += bytes
        var actions: [Action] = []
        while let newline = pending.firstIndex(of: 10) {
            var line = String(decoding: pending[..<newline], as: UTF8.self)
            pending.removeFirst(newline + 1)
            if line.hasSuffix("\r") { line.removeLast() }
            // A continuation line ("250-SIZE …"): the answer is its last line.
            if line.count > 3, line.dropFirst(3).first == "-" { continue }
            let action = answer(SMTPCheckSettings.code(line) ?? 0)
            actions.append(action)
            if case .close = action { break }
        }
        return actions
    }

    /// One complete answer's code.
    public mutating func answer(_ code: Int) -> Action {
        if step == .quit { return .close(outcome ?? .sent) }
        guard code == step.expected else {
            outcome = .refused(command: step.command, code: code)
            step = .quit
            return .send("QUIT\r\n")
        }
        switch step {
        case .greeting:
            step = .helo
            return .send("HELO \(heloName)\r\n")
        case .helo:
            step = .mail
            return .send("MAIL FROM:<\(from)>\r\n")
        case .mail:
            step = .recipient(0)
            return .send("RCPT TO:<\(recipients[0])>\r\n")
        case let .recipient(i) where i + 1 < recipients.count:
            step = .recipient(i + 1)
            return .send("RCPT TO:<\(recipients[i + 1])>\r\n")
        case .recipient:
            step = .data
            return .send("DATA\r\n")
        case .data:
            step = .body
            return .send(message)
        case .body:
            outcome = .sent
            step = .quit
            return .send("QUIT\r\n")
        case .quit:
            return .close(outcome ?? .sent)
        }
    }

    /// The connection ended or an answer did not come: the mail was sent if the server
    /// had already taken it (a missing answer to QUIT loses nothing).
    public func interrupted(_ why: String) -> Outcome {
        if let outcome { return outcome }
        return .failed(why)
    }

    /// What is awaited, for a log line: "the greeting", "the answer to RCPT".
    public var awaited: String { step == .greeting ? "the greeting" : "the answer to \(step.command)" }
}
