/// An HTTP/1.x response read from a checker's connection, without I/O: the bytes as they
/// come in, and at each step whether the response is complete — its status line, headers,
/// and a body framed by Content-Length, by chunks, or by the connection's end — as SwiftNIO's
/// decoder frames it for the other checkers. What an HTTP_GET needs: the status and the
/// body (for the digest and the regex).
///
/// It works on the bytes as they are: a health check reads this a thousand times a second
/// on a busy director, so the head is parsed once, where it ends, with no string made
/// unless the answer is wrong and the reason must quote it; later reads only count the body.
struct HTTPResponseParser {
    enum Step: Equatable {
        case needMore
        case complete(status: Int, body: [UInt8])
        /// Not HTTP, or framed wrongly: the reason, as the check reports it.
        case malformed(String)
    }

    /// How the body ends, as the head says.
    private enum Framing {
        case length(Int)
        case chunked
        /// Neither: the body runs to the connection's end.
        case toEnd
    }

    /// The head once parsed: the status and where the body starts.
    private struct Head {
        var status: Int
        var framing: Framing
        var bodyStart: Int
    }

    private var buffer: [UInt8] = []
    private var head: Head?
    /// Where the search for the head's end goes on (what came before has no CRLFCRLF).
    private var scanned = 0
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

    private mutating func parse(ended: Bool) -> Step {
        if head == nil {
            guard let headEnd = Self.find(Self.crlfcrlf, in: buffer, from: scanned) else {
                scanned = max(0, buffer.count - 3)
                return ended ? .malformed(buffer.isEmpty ? CheckError.closedEarly.description : "bad HTTP response: no end of headers") : .needMore
            }
            switch Self.parseHead(buffer, end: headEnd) {
            case let .success(parsed): head = parsed
            case let .failure(reason): return .malformed(reason.text)
            }
        }
        guard let head else { return .needMore }
        let status = head.status, bodyStart = head.bodyStart
        // No body, whatever the headers say.
        if (100..<200).contains(status) || status == 204 || status == 304 { return .complete(status: status, body: []) }
        switch head.framing {
        case .chunked:
            return Self.chunks(buffer, from: bodyStart, status: status, ended: ended)
        case let .length(length):
            let available = buffer.count - bodyStart
            if available >= length || available >= Self.bodyLimit {
                return .complete(status: status, body: Array(buffer[bodyStart..<bodyStart + min(length, Self.bodyLimit)]))
            }
            return ended ? .malformed(CheckError.closedEarly.description) : .needMore
        case .toEnd:
            return ended ? .complete(status: status, body: Array(buffer[bodyStart..<min(buffer.count, bodyStart + Self.bodyLimit)])) : .needMore
        }
    }

    /// Why a head is not one; the text quotes the bytes (decoded leniently: a header's value
    /// may hold any byte).
    private struct BadHead: Error {
        var text: String
        init(_ what: String, _ bytes: ArraySlice<UInt8>) {
            text = "bad HTTP response: \(what) '\(String(decoding: bytes, as: UTF8.self))'"
        }
    }

    /// The status line and the two headers that frame the body: Content-Length and
    /// Transfer-Encoding (names in any case, values without surrounding blanks).
    private static func parseHead(_ buffer: [UInt8], end: Int) -> Result<Head, BadHead> {
        let lineEnd = find(crlf, in: buffer, from: 0).map { min($0, end) } ?? end
        let first = buffer[0..<lineEnd]
        // "HTTP/1.x" SP three digits (SP reason)?
        guard first.starts(with: httpPrefix),
              let gap = first.firstIndex(of: space), lineEnd - gap >= 4,
              lineEnd - gap == 4 || first[gap + 4] == space,
              let status = decimal(first[gap + 1..<gap + 4]) else { return .failure(BadHead("status line", first)) }
        var length: Int?
        var chunked = false
        var at = lineEnd + 2
        while at < end {
            let next = find(crlf, in: buffer, from: at).map { min($0, end) } ?? end
            let line = buffer[at..<next]
            guard let nameEnd = line.firstIndex(of: colon) else { return .failure(BadHead("header", line)) }
            let value = trimmed(buffer[nameEnd + 1..<next])
            if equalsIgnoringCase(buffer[at..<nameEnd], contentLength) {
                guard let n = decimal(value) else { return .failure(BadHead("Content-Length", value)) }
                length = n
            } else if equalsIgnoringCase(buffer[at..<nameEnd], transferEncoding) {
                // The last coding decides: "gzip, chunked" is chunked.
                let last = value.lastIndex(of: comma).map { trimmed(value[($0 + 1)...]) } ?? value
                chunked = equalsIgnoringCase(last, chunkedName)
            }
            at = next + 2
        }
        // A chunked body wins over a length, as the decoder has it.
        let framing: Framing = chunked ? .chunked : length.map { .length($0) } ?? .toEnd
        return .success(Head(status: status, framing: framing, bodyStart: end + 4))
    }

    /// Transfer-Encoding: chunked — sizes in hex (extensions after ';' ignored), each chunk
    /// followed by CRLF, a zero size last (trailers ignored).
    private static func chunks(_ buffer: [UInt8], from start: Int, status: Int, ended: Bool) -> Step {
        var body: [UInt8] = []
        var at = start
        while true {
            guard let lineEnd = find(crlf, in: buffer, from: at) else { break }
            let line = buffer[at..<lineEnd]
            let sizeText = trimmed(line[..<(line.firstIndex(of: semicolon) ?? lineEnd)])
            guard let size = hexadecimal(sizeText) else {
                return .malformed("bad HTTP response: chunk size '\(String(decoding: sizeText, as: UTF8.self))'")
            }
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

    // MARK: - Bytes

    private static let crlf: [UInt8] = [13, 10]
    private static let crlfcrlf: [UInt8] = [13, 10, 13, 10]
    private static let httpPrefix = Array("HTTP/1.".utf8)
    private static let contentLength = Array("content-length".utf8)
    private static let transferEncoding = Array("transfer-encoding".utf8)
    private static let chunkedName = Array("chunked".utf8)
    private static let space = UInt8(ascii: " "), tab = UInt8(ascii: "\t")
    private static let colon = UInt8(ascii: ":"), comma = UInt8(ascii: ","), semicolon = UInt8(ascii: ";")

    /// Without the spaces and tabs around it.
    private static func trimmed(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var lower = bytes.startIndex, upper = bytes.endIndex
        while lower < upper, bytes[lower] == space || bytes[lower] == tab { lower += 1 }
        while upper > lower, bytes[upper - 1] == space || bytes[upper - 1] == tab { upper -= 1 }
        return bytes[lower..<upper]
    }

    /// ASCII letters compared without case; `lowercase` is already lower case.
    private static func equalsIgnoringCase(_ bytes: ArraySlice<UInt8>, _ lowercase: [UInt8]) -> Bool {
        guard bytes.count == lowercase.count else { return false }
        return zip(bytes, lowercase).allSatisfy { b, l in (b >= 65 && b <= 90 ? b | 0x20 : b) == l }
    }

    /// A decimal number (digits only, at most 18 of them); nil otherwise.
    private static func decimal(_ bytes: ArraySlice<UInt8>) -> Int? {
        guard !bytes.isEmpty, bytes.count <= 18 else { return nil }
        var n = 0
        for b in bytes {
            guard b >= 48 && b <= 57 else { return nil }
            n = n * 10 + Int(b - 48)
        }
        return n
    }

    /// A hexadecimal number (at most 15 digits); nil otherwise.
    private static func hexadecimal(_ bytes: ArraySlice<UInt8>) -> Int? {
        guard !bytes.isEmpty, bytes.count <= 15 else { return nil }
        var n = 0
        for b in bytes {
            let digit: UInt8
            switch b {
            case 48...57: digit = b - 48
            case 65...70: digit = b - 55
            case 97...102: digit = b - 87
            default: return nil
            }
            n = n << 4 | Int(digit)
        }
        return n
    }
}
