#if canImport(Glibc)
import Glibc
#endif
import LVS
import NIOPosix
import Synchronization
import Testing
@testable import HealthCheck

/// HTTP_GET on the bare prober (`ProbeLoop`), through the scheduler, against the test
/// HTTP server on 127.0.0.1 (/ok 200 "hello", /hang never answers, else 503); and the
/// response framing it reads with (`HTTPResponseParser`).
@Suite(.serialized) struct HTTPProbeTests {
    static let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    /// The first report of one HTTP_GET checker over `urls`.
    static func check(_ target: CheckTarget, _ settings: HTTPGetSettings) -> CheckOutcome? {
        let reports = TCPProbeTests.Reports()
        let scheduler = TCPProbeTests.scheduler(reports)
        defer { scheduler.stop() }
        let spec = CheckSpec(id: 1, kind: .http(target, settings), delayLoop: 10_000_000, retry: 0)
        #expect(ProbeLoop.accepts(spec), "a plain HTTP_GET to a literal goes to the prober")
        scheduler.start([spec])
        return reports.wait(for: 1).first
    }

    @Test func statusDigestAndTheRequestKeepalivedSends() throws {
        let seen = TestHTTPServer.Seen()
        let server = try TestHTTPServer.start(on: Self.group, seen: seen)
        defer { try? server.close().wait() }
        let port = server.localAddress!.port!
        let target = CheckTarget(host: "127.0.0.1", port: port, timeout: 2_000_000)
        let hello = HTTPGetChecker.md5Hex(Array("hello".utf8))
        #expect(Self.check(target, HTTPGetSettings(urls: [.init(path: "/ok", digest: hello)])) == .up)
        #expect(Self.check(target, HTTPGetSettings(urls: [.init(path: "/fail")])) == .down("HTTP 503 for /fail"))
        #expect(Self.check(target, HTTPGetSettings(urls: [.init(path: "/fail", statusCodes: [500...599])])) == .up)
        #expect(Self.check(target, HTTPGetSettings(urls: [.init(path: "/ok", digest: String(repeating: "0", count: 32))]))
                == .down("digest mismatch for /ok: \(hello), expected \(String(repeating: "0", count: 32))"))
        #expect(Self.check(target, HTTPGetSettings(urls: [.init(path: "/ok"), .init(path: "/fail")])) == .down("HTTP 503 for /fail"),
                "every URL must pass")
        #expect(Self.check(target, HTTPGetSettings(urls: [.init(path: "/ok", virtualhost: "www.example.test")], httpProtocol: .http11)) == .up)
        let heads = seen.heads.withLock { $0 }
        #expect(heads.first?.version == .http1_0 && heads.first?.headers["User-Agent"] == ["KeepAliveClient"])
        #expect(heads.first?.headers["Host"] == ["127.0.0.1:\(port)"] && heads.first?.headers["Connection"] == [])
        #expect(heads.last?.version == .http1_1 && heads.last?.headers["Connection"] == ["close"]
                && heads.last?.headers["Host"] == ["www.example.test"], "\(String(describing: heads.last))")
    }

    @Test func aServerThatNeverAnswersTimesOutAndARefusalSaysSo() throws {
        let server = try TestHTTPServer.start(on: Self.group)
        defer { try? server.close().wait() }
        let slow = CheckTarget(host: "127.0.0.1", port: server.localAddress!.port!, timeout: 300_000)
        #expect(Self.check(slow, HTTPGetSettings(urls: [.init(path: "/hang")])) == .down("timeout after 0.3 s"))
        let closed = try TCPProbeTests.Listener()
        let port = closed.port
        _ = consume closed
        #expect(Self.check(CheckTarget(host: "127.0.0.1", port: port), HTTPGetSettings(urls: [.init(path: "/ok")]))
                == .down("connection refused"))
    }

    @Test func sslGetStaysWithSwiftNIO() {
        let target = CheckTarget(host: "127.0.0.1", port: 443)
        #expect(!ProbeLoop.accepts(CheckSpec(id: 1, kind: .http(target, HTTPGetSettings(urls: [.init(path: "/")], tls: true)))))
        #expect(!ProbeLoop.accepts(CheckSpec(id: 1, kind: .http(CheckTarget(host: "www.example.test", port: 80),
                                                                  HTTPGetSettings(urls: [.init(path: "/")])))))
    }

    // MARK: - Framing

    static func parse(_ parts: [String], ended: Bool = false) -> HTTPResponseParser.Step {
        var parser = HTTPResponseParser()
        var step = HTTPResponseParser.Step.needMore
        for part in parts { step = parser.feed(Array(part.utf8)) }
        return ended ? parser.end() : step
    }

    @Test func contentLengthChunksAndTheConnectionsEndFrameTheBody() {
        #expect(Self.parse(["HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhel", "lo"]) == .complete(status: 200, body: Array("hello".utf8)))
        #expect(Self.parse(["HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhel"]) == .needMore)
        #expect(Self.parse(["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhel\r\n", "2;x=y\r\nlo\r\n0\r\n\r\n"])
                == .complete(status: 200, body: Array("hello".utf8)))
        #expect(Self.parse(["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhel\r\n"]) == .needMore)
        #expect(Self.parse(["HTTP/1.0 200 OK\r\nServer: x\r\n\r\nhello", " world"]) == .needMore, "no length: to the end")
        #expect(Self.parse(["HTTP/1.0 200 OK\r\nServer: x\r\n\r\nhello", " world"], ended: true)
                == .complete(status: 200, body: Array("hello world".utf8)))
        #expect(Self.parse(["HTTP/1.1 204 No Content\r\n\r\n"]) == .complete(status: 204, body: []))
        #expect(Self.parse(["HTTP/1.0 301 Moved\r\ncontent-length: 0\r\n\r\n"]) == .complete(status: 301, body: []))
        var latin1 = HTTPResponseParser()
        #expect(latin1.feed(Array("HTTP/1.0 200 OK\r\nServer: caf".utf8) + [0xe9] + Array("\r\nContent-Length: 2\r\n\r\nok".utf8))
                == .complete(status: 200, body: Array("ok".utf8)), "a header byte that is not UTF-8 is no reason to fail")
    }

    @Test func whatIsNotAnHTTPResponseSaysWhy() {
        #expect(Self.parse(["SSH-2.0-OpenSSH_9.2\r\n\r\n"]) == .malformed("bad HTTP response: status line 'SSH-2.0-OpenSSH_9.2'"))
        #expect(Self.parse(["HTTP/1.0 200 OK\r\nContent-Length: 9\r\n\r\nhello"], ended: true)
                == .malformed("connection closed before a complete response"))
        #expect(Self.parse([], ended: true) == .malformed("connection closed before a complete response"))
        #expect(Self.parse(["HTTP/1.0 200 OK\r\nContent-Length: x\r\n\r\n"]) == .malformed("bad HTTP response: Content-Length 'x'"))
        #expect(Self.parse(["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"]) == .malformed("bad HTTP response: chunk size 'zz'"))
        #expect(Self.parse(["HTTP/1.0 2x0 OK\r\n\r\n"]) == .malformed("bad HTTP response: status line 'HTTP/1.0 2x0 OK'"))
        #expect(Self.parse(["HTTP/1.0 2000 OK\r\n\r\n"]) == .malformed("bad HTTP response: status line 'HTTP/1.0 2000 OK'"))
        #expect(Self.parse(["HTTP/1.0 200 OK\r\nno colon here\r\n\r\n"]) == .malformed("bad HTTP response: header 'no colon here'"))
    }

    /// Read a byte at a time, a response is complete at its last byte and not before; the
    /// head's framing headers count in any case, with blanks around their values, and a
    /// chunked coding wins over a length wherever it comes (its end is the zero size's line:
    /// trailers are not waited for).
    @Test func aResponseReadAByteAtATimeCompletesAtItsLastByte() {
        let responses: [(String, [UInt8])] = [
            ("HTTP/1.1 200 OK\r\nServer: x\r\ncOnTeNt-LeNgTh: \t 5 \r\n\r\nhello", Array("hello".utf8)),
            ("HTTP/1.1 200 OK\r\nContent-Length: 99\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n2\r\nhe\r\n3\r\nllo\r\n0\r\n",
             Array("hello".utf8)),
            ("HTTP/1.1 200\r\nTransfer-Encoding: chunked\r\nContent-Length: 99\r\n\r\n5\r\nhello\r\n0\r\n", Array("hello".utf8)),
            ("HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n", []),
        ]
        for (text, body) in responses {
            var parser = HTTPResponseParser()
            let bytes = Array(text.utf8)
            for (i, byte) in bytes.enumerated() {
                let step = parser.feed([byte])
                if i < bytes.count - 1 {
                    #expect(step == .needMore, "\(text.debugDescription) complete early, at byte \(i) of \(bytes.count)")
                } else {
                    let status = Int(text.split(separator: " ")[1].prefix(3))!
                    #expect(step == .complete(status: status, body: body), "\(text.debugDescription)")
                }
            }
        }
    }

    /// The prober's connections are edge-triggered: an answer dribbled over many segments,
    /// and a server that closes without answering, both reach a verdict without waiting for
    /// the timeout.
    @Test func anAnswerInPiecesAndACloseWithoutOneEndTheCheck() throws {
        let dribble = try RawServer { fd in
            var request = [UInt8](repeating: 0, count: 1024)
            _ = read(fd, &request, request.count)
            for byte in Array("HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello".utf8) {
                var b = byte
                _ = write(fd, &b, 1)
                usleep(1000)
            }
        }
        let target = CheckTarget(host: "127.0.0.1", port: dribble.port, timeout: 5_000_000)
        #expect(Self.check(target, HTTPGetSettings(urls: [.init(path: "/")])) == .up)
        // It reads the request, then closes: a FIN and no RST.
        let hangUp = try RawServer { fd in
            var request = [UInt8](repeating: 0, count: 1024)
            _ = read(fd, &request, request.count)
        }
        #expect(Self.check(CheckTarget(host: "127.0.0.1", port: hangUp.port, timeout: 5_000_000), HTTPGetSettings(urls: [.init(path: "/")]))
                == .down("connection closed before a complete response"))
    }

    /// As keepalived's checker, the prober leaves the close to the server (which an HTTP/1.0
    /// request, or 1.1 with `Connection: close`, asks of it), so the TIME_WAIT state — and
    /// its cost at the next connect — stays on the real server's side; the verdict does not
    /// wait for that close.
    @Test func theServerClosesFirstAndTheVerdictDoesNotWaitForIt() throws {
        let order = Mutex<[String]>([])
        let server = try RawServer { fd in
            // Up to 300 ms for the client's FIN before this side closes.
            if RawServer.answerThenAwaitClientClose(fd, milliseconds: 300) {
                order.withLock { $0.append("client closed") }
            }
            order.withLock { $0.append("server closes") }
        }
        let reports = TCPProbeTests.Reports()
        let scheduler = TCPProbeTests.scheduler(reports)
        defer { scheduler.stop() }
        let target = CheckTarget(host: "127.0.0.1", port: server.port, timeout: 5_000_000)
        scheduler.start([CheckSpec(id: 1, kind: .http(target, HTTPGetSettings(urls: [.init(path: "/")])), delayLoop: 10_000_000, retry: 0)])
        #expect(reports.wait(for: 1) == [.up])
        order.withLock { $0.append("verdict") }
        for _ in 0..<100 where !order.withLock({ $0.contains("server closes") }) { usleep(10_000) }
        #expect(order.withLock { $0 } == ["verdict", "server closes"])
    }

    /// A server that keeps the connection after its answer is not waited for past the
    /// check's connect_timeout: this side closes then (no descriptor held until the next
    /// round).
    @Test func aServerThatKeepsTheConnectionIsLeftAtTheTimeout() throws {
        let clientClosed = Mutex(false)
        let server = try RawServer { fd in
            if RawServer.answerThenAwaitClientClose(fd, milliseconds: 3000) {
                clientClosed.withLock { $0 = true }
            }
        }
        let reports = TCPProbeTests.Reports()
        let scheduler = TCPProbeTests.scheduler(reports)
        defer { scheduler.stop() }
        let target = CheckTarget(host: "127.0.0.1", port: server.port, timeout: 300_000)
        scheduler.start([CheckSpec(id: 1, kind: .http(target, HTTPGetSettings(urls: [.init(path: "/")])), delayLoop: 60_000_000, retry: 0)])
        #expect(reports.wait(for: 1) == [.up])
        for _ in 0..<150 where !clientClosed.withLock({ $0 }) { usleep(10_000) }
        #expect(clientClosed.withLock { $0 }, "the prober still holds the connection 1.5 s after a 0.3 s timeout")
    }

    /// A listener on 127.0.0.1 whose thread accepts connections, runs `serve` on each, then
    /// closes it; stopped when released.
    final class RawServer: @unchecked Sendable {
        let listener: TCPProbeTests.Listener
        var port: Int { listener.port }
        private let stopped = Flag()
        private var thread = pthread_t()

        init(_ serve: @escaping @Sendable (Int32) -> Void) throws {
            listener = try TCPProbeTests.Listener()
            let fd = listener.fd, stopped = self.stopped
            let body: @Sendable () -> Void = {
                // Bounded: 200 connections or the server's release.
                for _ in 0..<200 where !stopped.value.load(ordering: .relaxed) {
                    var poll = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                    guard Glibc.poll(&poll, 1, 50) > 0 else { continue }
                    let connection = accept(fd, nil, nil)
                    guard connection >= 0 else { continue }
                    serve(connection)
                    close(connection)
                }
            }
            let box = Unmanaged.passRetained(Box(body))
            pthread_create(&thread, nil, { arg in
                Unmanaged<Box>.fromOpaque(arg!).takeRetainedValue().body()
                return nil
            }, box.toOpaque())
        }

        /// Reads the request, answers 200 "hello" with its Content-Length and keeps the
        /// connection: whether the client's FIN (a read of 0) came within `milliseconds`.
        static func answerThenAwaitClientClose(_ fd: Int32, milliseconds: Int32) -> Bool {
            var request = [UInt8](repeating: 0, count: 1024)
            _ = read(fd, &request, request.count)
            let answer = Array("HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello".utf8)
            _ = answer.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            var poll = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            return Glibc.poll(&poll, 1, milliseconds) > 0 && read(fd, &request, request.count) == 0
        }

        deinit {
            stopped.value.store(true, ordering: .relaxed)
            pthread_join(thread, nil)
        }

        private final class Flag: Sendable {
            let value = Atomic<Bool>(false)
        }

        private final class Box {
            let body: @Sendable () -> Void
            init(_ body: @escaping @Sendable () -> Void) { self.body = body }
        }
    }
}
