import LVS
import NIOCore
import NIOHTTP1
import NIOPosix
import Testing
@testable import HealthCheck

/// TCP_CHECK and HTTP_GET against real servers on 127.0.0.1: a small HTTP server that
/// answers /ok with 200 "hello", /fail with 503 and never answers /hang.
@Suite(.serialized) struct CheckerTests {
    static let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    static func server() throws -> Channel { try TestHTTPServer.start(on: group) }

    /// A port with nothing listening: bound, then closed.
    static func closedPort() throws -> Int {
        let channel = try ServerBootstrap(group: group).bind(host: "127.0.0.1", port: 0).wait()
        let port = channel.localAddress!.port!
        try channel.close().wait()
        return port
    }

    /// One HTTP_GET round over `urls` with keepalived's defaults.
    static func get(_ target: CheckTarget, _ urls: [HTTPGetSettings.URL]) throws -> CheckOutcome {
        try HTTPGetChecker.check(target, HTTPGetSettings(urls: urls), urls: urls[...], tls: nil, on: group).wait()
    }

    @Test func tcpCheckUpAndRefused() throws {
        let server = try Self.server()
        defer { try? server.close().wait() }
        let up = try TCPChecker.check(CheckTarget(host: "127.0.0.1", port: server.localAddress!.port!), on: Self.group).wait()
        #expect(up == .up)
        let refused = try TCPChecker.check(CheckTarget(host: "127.0.0.1", port: try Self.closedPort()), on: Self.group).wait()
        #expect(refused == .down("connection refused"))
    }

    /// bind_if: through the named interface (here lo, which reaches 127.0.0.1); a name
    /// that is not an interface is a down check that says so. (That it changes the way
    /// out is proved in Tests/Integration/metrics.sh.)
    @Test func bindIfUsesTheInterfaceOrSaysItIsMissing() throws {
        let server = try Self.server()
        defer { try? server.close().wait() }
        let port = server.localAddress!.port!
        let viaLo = try TCPChecker.check(CheckTarget(host: "127.0.0.1", port: port, bindInterface: "lo"), on: Self.group).wait()
        #expect(viaLo == .up)
        let missing = try TCPChecker.check(CheckTarget(host: "127.0.0.1", port: port, bindInterface: "vigil-none0"),
                                           on: Self.group).wait()
        #expect(missing == .down("bind_if vigil-none0: no such interface"))
        let http = try Self.get(CheckTarget(host: "127.0.0.1", port: port, bindInterface: "lo"), [.init(path: "/ok", statusCodes: [200...200])])
        #expect(http == .up)
    }

    @Test func httpStatusAndDigest() throws {
        let server = try Self.server()
        defer { try? server.close().wait() }
        let target = CheckTarget(host: "127.0.0.1", port: server.localAddress!.port!, timeout: 2_000_000)
        let hello = HTTPGetChecker.md5Hex(Array("hello".utf8))
        #expect(hello == "5d41402abc4b2a76b9719d911017c592")
        #expect(try Self.get(target, [.init(path: "/ok", digest: hello)]) == .up)
        #expect(try Self.get(target, [.init(path: "/fail")]) == .down("HTTP 503 for /fail"))
        // A range that takes 503 in makes it healthy; a digest that differs does not.
        #expect(try Self.get(target, [.init(path: "/fail", statusCodes: [500...599])]) == .up)
        let wrong = try Self.get(target, [.init(path: "/ok", digest: String(repeating: "0", count: 32))])
        #expect(wrong == .down("digest mismatch for /ok: \(hello), expected \(String(repeating: "0", count: 32))"))
        // Every URL must pass.
        #expect(try Self.get(target, [.init(path: "/ok"), .init(path: "/fail")])
                == .down("HTTP 503 for /fail"))
    }

    @Test func httpTimeoutAndRefused() throws {
        let server = try Self.server()
        defer { try? server.close().wait() }
        let slow = CheckTarget(host: "127.0.0.1", port: server.localAddress!.port!, timeout: 300_000)
        #expect(try Self.get(slow, [.init(path: "/hang")]) == .down("timeout after 0.3 s"))
        let refused = CheckTarget(host: "127.0.0.1", port: try Self.closedPort(), timeout: 1_000_000)
        #expect(try Self.get(refused, [.init(path: "/ok")]) == .down("connection refused"))
    }
}

/// HTTP_GET's regex on a real server's body (/ok answers "hello").
@Suite(.serialized) struct HTTPRegexTests {
    @Test func theBodyIsMatched() throws {
        let server = try CheckerTests.server()
        defer { try? server.close().wait() }
        let target = CheckTarget(host: "127.0.0.1", port: server.localAddress!.port!)
        #expect(try CheckerTests.get(target, [.init(path: "/ok", regex: "hel+o")]) == .up)
        #expect(try CheckerTests.get(target, [.init(path: "/ok", regex: "bye")]) == .down("regex 'bye' not matched in /ok"))
        #expect(try CheckerTests.get(target, [.init(path: "/ok", regex: "bye", regexNoMatch: true)]) == .up)
    }
}
