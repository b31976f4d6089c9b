import LVS
import VRRP

/// One of keepalived's SMTP alerts, as keepalived words it: what it is about decides the
/// subject and the body; `message` writes the mail (headers and body) as keepalived's
/// DATA does, so that filters written for keepalived's mails match Vigil's.
///
/// Pure: the date comes in as text (the edge formats the wall clock), the router id and
/// addresses from the plan.
public enum SMTPAlert: Equatable, Sendable {
    /// A VRRP instance's transition (INIT is keepalived's STOP: the daemon stopping).
    case instance(name: String, state: VRRPState)
    /// A sync group's transition.
    case group(name: String, state: VRRPState)
    /// A real server went down or came back; `body` is the checker's own words
    /// (`realServerBody`). The names are keepalived's: `[198.51.100.1]:tcp:80`.
    case realServer(name: String, virtualServer: String, up: Bool, body: String)
    /// A virtual server gained or lost its quorum (`quorumBody`), or went down with the
    /// daemon under omega (`shuttingDown`).
    case virtualServer(name: String, up: Bool, body: String)

    /// keepalived's body for a real or virtual server with `omega` as the daemon stops.
    public static let shuttingDown = "=> Shutting down <="

    /// keepalived's quorum line: its threshold is quorum + hysteresis to gain the quorum
    /// and quorum − hysteresis to lose it.
    public static func quorumBody(up: Bool, quorum: Int, hysteresis: Int, liveWeight: Int) -> String {
        let threshold = up ? quorum + hysteresis : quorum - hysteresis
        return "=> \(up ? "Gained quorum" : "Lost quorum") \(quorum)+\(hysteresis)=\(threshold) <= \(liveWeight) <="
    }

    /// keepalived's limits: the subject fits 255 bytes, the body 511.
    static let subjectLimit = 255
    static let bodyLimit = 511
    /// The To header's addresses fit 1023 bytes; those that do not are left out of it
    /// (they still get their RCPT TO).
    static let toLimit = 1023

    /// The subject, after `[router_id] ` when there is one.
    public func subject(routerID: String?) -> String {
        let about: String
        switch self {
        case let .instance(name, state): about = "VRRP Instance \(name) - \(Self.headline(state))"
        case let .group(name, state): about = "VRRP Group \(name) - \(Self.headline(state))"
        case let .realServer(name, vs, up, _): about = "Realserver \(name) of virtual server \(vs) - \(up ? "UP" : "DOWN")"
        case let .virtualServer(name, up, _): about = "Virtualserver \(name) - \(up ? "UP" : "DOWN")"
        }
        return Self.truncated(routerID.map { "[\($0)] \(about)" } ?? about, to: Self.subjectLimit)
    }

    public var body: String {
        let text: String
        switch self {
        case let .instance(_, state):
            switch state {
            case .master: text = "=> VRRP Instance is now owning VRRP VIPs <="
            case .backup, .fault: text = "=> VRRP Instance is no longer owning VRRP VIPs <="
            case .initialize: text = "=> VRRP Instance stopping <="
            }
        case let .group(_, state):
            switch state {
            case .master: text = "=> All VRRP group instances are now in MASTER state <="
            case .backup: text = "=> All VRRP group instances are now in BACKUP state <="
            case .fault: text = "=> All VRRP group instances are now in FAULT state <="
            case .initialize: text = "=> All VRRP group instances are now stopping <="
            }
        case let .realServer(_, _, _, body), let .virtualServer(_, _, body): text = body
        }
        return Self.truncated(text, to: Self.bodyLimit)
    }

    /// keepalived's rule for a checker's result (each checker decides on its own, in
    /// check_tcp.c, check_http.c, …): a mail when the checker changed state — for a
    /// MISC_CHECK also on its first result — and either its real server changed state too
    /// or `no_checker_emails` is off. The subject says the real server's state after the
    /// result, the body the checker's: with two checkers, one recovering while the other
    /// still fails sends "DOWN" with a "succeed" body, as keepalived does.
    public static func checkerResult(_ kind: CheckSpec.Kind, _ outcome: CheckOutcome, before: RealServerHealth.CheckerState,
                                     serverWasUp: Bool, serverIsUp: Bool, noCheckerEmails: Bool,
                                     realServer: String, virtualServer: String) -> SMTPAlert? {
        let up = outcome.isUp
        var changed = up != before.isUp
        if case .misc = kind, !before.hasRun { changed = true }
        guard changed, serverWasUp != serverIsUp || !noCheckerEmails,
              let body = realServerBody(kind, up: up, outcome: outcome) else { return nil }
        return .realServer(name: realServer, virtualServer: virtualServer, up: serverIsUp, body: body)
    }

    /// The body keepalived's checker of this kind writes when its real server comes back
    /// (`up`) or goes down, `outcome` being the failing result; nil for a FILE_CHECK,
    /// which sends no alert in keepalived.
    public static func realServerBody(_ kind: CheckSpec.Kind, up: Bool, outcome: CheckOutcome) -> String? {
        switch kind {
        case .tcp: return up ? "=> TCP CHECK succeed on service <=" : "=> TCP CHECK failed on service <="
        case .http: return up ? "=> CHECK succeed on service <=" : "=> CHECK failed on service : HTTP request failed <="
        case .udp: return up ? "=> UDP CHECK succeed on service <=" : "=> UDP CHECK failed on service <="
        case .dns: return up ? "=> DNS_CHECK: succeed on service <=" : "=> DNS_CHECK: failed on service <="
        case .ping: return up ? "=> ICMP CHECK succeed on service <=" : "=> ICMP CHECK failed on service <="
        case .smtp:
            guard !up else { return "=> CHECK succeed on service <=" }
            // keepalived puts its own error text after the colon; Vigil its reason.
            if case let .down(reason) = outcome { return "=> CHECK failed on service : \(reason) <=" }
            return "=> CHECK failed on service <="
        case .misc:
            guard !up else { return "=> MISC CHECK succeeded on service <=" }
            if case let .down(reason) = outcome, reason.contains("timeout") { return "=> MISC CHECK timed out on service <=" }
            return "=> MISC CHECK failed on service <="
        case .file:
            return nil
        }
    }

    /// keepalived's subject words for a state.
    static func headline(_ state: VRRPState) -> String {
        switch state {
        case .master: return "Entering MASTER state"
        case .backup: return "Entering BACKUP state"
        case .fault: return "Entering FAULT state"
        case .initialize: return "Stopping"
        }
    }

    /// The mail as DATA sends it, with its ending `CRLF . CRLF`: Date, From, Subject,
    /// X-Mailer (keepalived's own name, which filters match), To, a blank line, the body.
    public func message(date: String, from: String, to recipients: [String], routerID: String?) -> String {
        "Date: \(date)\r\nFrom: \(from)\r\nSubject: \(subject(routerID: routerID))\r\n"
            + "X-Mailer: Keepalived\r\nTo: \(Self.toHeader(recipients))\r\n\r\n\(body)\r\n\r\n.\r\n"
    }

    /// The recipients, comma and blank between them, as many as fit keepalived's buffer.
    static func toHeader(_ recipients: [String]) -> String {
        var header = ""
        for (i, address) in recipients.enumerated() {
            let piece = i == 0 ? address : ", " + address
            guard header.utf8.count + piece.utf8.count <= toLimit else { break }
            header += piece
        }
        return header
    }

    /// At most `limit` bytes, cut at a character boundary.
    static func truncated(_ text: String, to limit: Int) -> String {
        guard text.utf8.count > limit else { return text }
        var out = ""
        for c in text {
            guard out.utf8.count + String(c).utf8.count <= limit else { break }
            out.append(c)
        }
        return out
    }
}
