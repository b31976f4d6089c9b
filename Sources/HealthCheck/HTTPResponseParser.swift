/// An HTTP/1.x response read from a checker's connection, without I/O: the bytes as they
/// come in, and at each step whether the response is complete — its status line, headers,
/// and a body framed by Content-Length, by chunks, or by the connection's end — as SwiftNIO's
/// decoder frames it for the other checkers. What an HTTP_GET needs: the status and the
/// body (for the digest and the regex).
struct HTTPResponseParser {
    enum Step: Equatable {
        case needMore
        case complete(status: Int, body: [UInt8])
        /// Not HTTP, or framed wrongly: the reason, as the check reports it.
        case malformed(String)
    }

    private var buffer: [UInt8] = []
    /// Bodies beyond this are not needed to judge a health page (SwiftNIO's path keeps as much).
    static let bodyLimit = 4 << 20

    /// Adds what was read; `ended`: the connection has closed (no more will come).
    mutating func feed(_ bytes: UnsafeRawBufferPointer, ended: Bool = false) -> Step {
        if buffer.count < Self.bodyLimit + 65536 { buffer.append(contentsOf: bytes) }
        return parse(ended: ended || buffer.count >= Self.bodyLimit + 65536)
    }

    mutating func feed(_ bytes: [UInt8], ended: Bool = false) -> Step {
        bytes.withUnsafeBytes { feed($0, ended: ended) }
    }

    /// The connection ended with nothing more.
    mutating func end() -> Step { parse(ended: true) }

    private func parse(ended: Bool) -> Step {
        guard let headEnd = Self.find([13, 10, 13, 10], in: buffer, from: 0) else {
            return ended ? (buffer.isEmpty ? .malformed(CheckError.closedEarly.description) : .malformed("bad HTTP response: no end of headers")) : .needMore
        }
        // Header values may hold any byte (a Latin-1 Server line, say): decoded leniently, as
        // only the status line and two headers' values matter here.
        let head = String(decoding: buffer[..<headEnd], as: UTF8.self)
        var lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
        let first = lines.removeFirst()
        let statusLine = first.split(separator: " ", maxSplits: 2)
        guard statusLine.count >= 2, statusLine[0].hasPrefix("HTTP/1."), statusLine[1].count == 3,
              let status = Int(statusLine[1]) else { return .malformed("bad HTTP response: status line '\(first)'") }
        var length: Int?
        var chunked = false
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { return .malformed("bad HTTP response: header '\(line)'") }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingSpaces
            if name == "content-length" {
                guard let n = Int(value), n >= 0 else { return .malformed("bad HTTP response: Content-Length '\(value)'") }
                length = n
            } else if name == "transfer-encoding" {
                chunked = value.lowercased().split(separator: ",").last?.trimmingSpaces == "chunked"
            }
        }
        let bodyStart = headEnd + 4
        // No body, whatever the headers say.
        if (100..<200).contains(status) || status == 204 || status == 304 { return .complete(status: status, body: []) }
        if chunked { return Self.chunks(buffer, from: bodyStart, status: status, ended: ended) }
        if let length {
            let available = buffer.count - bodyStart
            if available >= length || available >= Self.bodyLimit {
                return .complete(status: status, body: Array(buffer[bodyStart..<bodyStart + min(length, Self.bodyLimit)]))
            }
            return ended ? .malformed(CheckError.closedEarly.description) : .needMore
        }
        // Neither: the body runs to the connection's end.
        return ended ? .complete(status: status, body: Array(buffer[bodyStart..<min(buffer.count, bodyStart + Self.bodyLimit)])) : .needMore
    }

    /// Transfer-Encoding: chunked — sizes in hex (extensions after ';' ignored), each chunk
    /// followed by CRLF, a zero size last (trailers ignored).
    private static func chunks(_ buffer: [UInt8], from start: Int, status: Int, ended: Bool) -> Step {
        var body: [UInt8] = []
        var at = start
        while true {
            guard let lineEnd = find([13, 10], in: buffer, from: at) else { break }
            let sizeText = String(decoding: buffer[at..<lineEnd], as: UTF8.self).split(separator: ";").first?.trimmingSpaces ?? ""
            guard let size = Int(sizeText, radix: 16), size >= 0 else { return .malformed("bad HTTP response: chunk size '\(sizeText)'") }
            if size == 0 { return .complete(status: status, body: body) }
            let dataStart = lineEnd + 2
            guard buffer.count >= dataStart + size + 2 else { break }
            if body.count < bodyLimit { body += buffer[dataStart..<dataStart + min(size, bodyLimit - body.count)] }
            at = dataStart + size + 2
        }
        return ended ? .malformed(CheckError.closedEarly.description) : .needMore
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard haystack.count >= needle.count, start <= haystack.count - needle.count else { return nil }
        var i = start
        let last = haystack.count - needle.count
        while i <= last {
            if haystack[i] == needle[0] {
                var match = true
                for j in 1..<needle.count where haystack[i + j] != needle[j] {
                    match = false
                    break
                }
                if match { return i }
            }
            i += 1
        }
        return nil
    }
}

extension Substring {
    var trimmingSpaces: String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}
