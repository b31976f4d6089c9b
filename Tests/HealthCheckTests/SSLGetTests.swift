import LVS
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization
import Testing
@testable import HealthCheck

/// SSL_GET against a real TLS server on 127.0.0.1 (a self-signed certificate, as real
/// servers behind a director often have), the client certificate of keepalived's `SSL`
/// block, and the request HTTP_GET sends for each `http_protocol`.
@Suite(.serialized) struct SSLGetTests {
    static let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    static let fixtures = String(#filePath.dropLast("SSLGetTests.swift".count)) + "Fixtures/"

    typealias Seen = TestHTTPServer.Seen

    static func server(_ seen: Seen, tls: NIOSSLContext? = nil) throws -> Channel {
        try TestHTTPServer.start(on: group, seen: seen, tls: tls)
    }

    /// The server's TLS: its self-signed certificate; with `clientCA`, a client
    /// certificate signed by it is required.
    static func serverTLS(clientCA: String? = nil) throws -> NIOSSLContext {
        var c = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(fixtures + "server.crt").map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: fixtures + "server.key", format: .pem)))
        if let clientCA {
            c.certificateVerification = .noHostnameVerification
            c.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(clientCA))
        }
        return try NIOSSLContext(configuration: c)
    }

    static func get(_ port: Int, _ path: String, _ settings: HTTPGetSettings, tls: TLSClient?) throws -> CheckOutcome {
        let target = CheckTarget(host: "127.0.0.1", port: port, timeout: 3_000_000)
        let urls = settings.urls.isEmpty ? [HTTPGetSettings.URL(path: path)] : settings.urls
        return try HTTPGetChecker.check(target, settings, urls: urls[...], tls: tls, on: group).wait()
    }

    @Test func sslGetTalksTLSToASelfSignedServerAndJudgesTheAnswer() throws {
        let seen = Seen()
        let server = try Self.server(seen, tls: try Self.serverTLS())
        defer { try? server.close().wait() }
        let port = server.localAddress!.port!
        let tls = try TLSClient()
        let hello = HTTPGetChecker.md5Hex(Array("hello".utf8))
        let ssl = HTTPGetSettings(urls: [.init(path: "/ok", digest: hello)], tls: true)
        #expect(try Self.get(port, "/ok", ssl, tls: tls) == .up)
        #expect(try Self.get(port, "/", HTTPGetSettings(urls: [.init(path: "/down")], tls: true), tls: tls)
                == .down("HTTP 503 for /down"))
        // Plain HTTP to the TLS port gets no HTTP answer: down, not up.
        #expect(try Self.get(port, "/ok", HTTPGetSettings(urls: [.init(path: "/ok")]), tls: nil).isUp == false)
        #expect(seen.heads.withLock { $0.map(\.uri) } == ["/ok", "/down"])
    }

    @Test func theSSLBlocksClientCertificateIsPresented() throws {
        let seen = Seen()
        let server = try Self.server(seen, tls: try Self.serverTLS(clientCA: Self.fixtures + "client.crt"))
        defer { try? server.close().wait() }
        let port = server.localAddress!.port!
        let ssl = HTTPGetSettings(urls: [.init(path: "/ok")], tls: true)
        // Without a client certificate the server refuses the handshake.
        #expect(try Self.get(port, "/ok", ssl, tls: try TLSClient()).isUp == false)
        let withCertificate = try TLSClient(certificate: Self.fixtures + "client.crt",
                                            key: Self.fixtures + "client-encrypted.key", password: "s3cret")
        #expect(try Self.get(port, "/ok", ssl, tls: withCertificate) == .up)
        // A wrong password is an error that names the key file.
        #expect {
            try TLSClient(certificate: Self.fixtures + "client.crt", key: Self.fixtures + "client-encrypted.key", password: "nope")
        } throws: { error in
            "\(error)".contains("client-encrypted.key")
        }
    }

    @Test func theRequestIsKeepalivedsForEachHTTPProtocol() throws {
        let seen = Seen()
        let server = try Self.server(seen)
        defer { try? server.close().wait() }
        let port = server.localAddress!.port!
        for version in [HTTPGetSettings.HTTPProtocol.http10, .http10Close, .http11] {
            #expect(try Self.get(port, "/ok", HTTPGetSettings(urls: [.init(path: "/ok")], httpProtocol: version), tls: nil) == .up)
        }
        let virtual = HTTPGetSettings(urls: [.init(path: "/ok", virtualhost: "www.example.test")])
        #expect(try Self.get(port, "/ok", virtual, tls: nil) == .up)
        let heads = seen.heads.withLock { $0 }
        try #require(heads.count == 4)
        #expect(heads.map(\.version) == [.http1_0, .http1_0, .http1_1, .http1_0])
        #expect(heads.map { $0.headers["Connection"] } == [[], ["close"], ["close"], []])
        #expect(heads.allSatisfy { $0.headers["User-Agent"] == ["KeepAliveClient"] })
        #expect(heads.map { $0.headers["Host"] } == [["127.0.0.1:\(port)"], ["127.0.0.1:\(port)"], ["127.0.0.1:\(port)"], ["www.example.test"]])
    }

    /// ha_suspend: a suspended checker sends nothing; resumed, it checks again.
    @Test func aSuspendedCheckerSendsNothingUntilResumed() throws {
        let seen = Seen()
        let server = try Self.server(seen)
        defer { try? server.close().wait() }
        let target = CheckTarget(host: "127.0.0.1", port: server.localAddress!.port!, timeout: 1_000_000)
        let spec = CheckSpec(id: 7, kind: .http(target, HTTPGetSettings(urls: [.init(path: "/ok")])),
                             delayLoop: 20_000, retry: 0)
        let reports = Mutex<[(Int, CheckOutcome)]>([])
        let suspension = CheckSuspension([7])
        let scheduler = CheckScheduler(threads: 2, suspension: suspension) { id, outcome in
            reports.withLock { $0.append((id, outcome)) }
        }
        defer { scheduler.stop() }
        scheduler.start([spec])
        // Fifteen delay_loops suspended: not one request.
        Thread.sleep(0.3)
        #expect(seen.heads.withLock { $0.count } == 0)
        suspension.set([7], suspended: false)
        var waited = 0
        while seen.heads.withLock({ $0.count }) < 2 && waited < 100 { Thread.sleep(0.05); waited += 1 }
        #expect(seen.heads.withLock { $0.count } >= 2)
        #expect(reports.withLock { $0.map(\.0) } == [7] && reports.withLock { $0.first?.1 } == .up)
    }
}

/// A sleep without Foundation.
enum Thread {
    static func sleep(_ seconds: Double) {
        var t = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - Double(Int(seconds))) * 1e9))
        nanosleep(&t, nil)
    }
}
