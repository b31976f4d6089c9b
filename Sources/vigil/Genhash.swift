import ArgumentParser
import VigilLinux
import HealthCheck
import LVS
import NIOPosix

/// `vigil genhash --url URL`: the MD5 digest of a page, for HTTP_GET's `digest` (what
/// keepalived's genhash prints), fetched exactly as the checker fetches it.
struct Genhash: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "genhash",
        abstract: "Print the MD5 digest of a web page, for an HTTP_GET url's 'digest'.",
        discussion: "Fetched as the HTTP_GET (https: SSL_GET, certificate not verified) checker fetches it (HTTP/1.0 GET, Host header, body up to 4 MiB). Exit 1 when the page cannot be fetched."
    )

    @Option(help: "http://HOST[:PORT]/PATH or https://HOST[:PORT]/PATH")
    var url: String

    @Option(help: "Host header to send (an url's 'virtualhost').")
    var virtualhost: String?

    @Flag(help: "With https: send the virtualhost as the TLS server name (SSL_GET's enable_sni).")
    var sni = false

    @Option(help: "Seconds to wait for the whole exchange.")
    var timeout: Double = 5

    mutating func run() throws {
        guard let (tls, host, port, path) = Self.parse(url) else {
            throw ValidationError("--url must look like http://HOST[:PORT]/PATH or https://HOST[:PORT]/PATH")
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let target = CheckTarget(host: host, port: port, timeout: Int64(timeout * 1_000_000))
        do {
            let client = tls ? try TLSClient() : nil
            let response = try HTTPGetChecker.get(target, path: path, virtualhost: virtualhost, tls: client, sni: sni,
                                                  on: group).wait()
            print("HTTP status: \(response.status)")
            print("MD5SUM = \(HTTPGetChecker.md5Hex(response.body))")
        } catch {
            StandardError.write("vigil genhash: \(url): \(error)\n")
            throw ExitCode(1)
        }
    }

    /// (TLS?, host, port, path) of an http:// or https:// URL.
    static func parse(_ url: String) -> (Bool, String, Int, String)? {
        let tls = url.hasPrefix("https://")
        guard tls || url.hasPrefix("http://") else { return nil }
        let rest = url.dropFirst(tls ? 8 : 7)
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<slash]
        let path = slash == rest.endIndex ? "/" : String(rest[slash...])
        var host = String(authority)
        var port = tls ? 443 : 80
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") { guard let p = Int(after.dropFirst()) else { return nil }; port = p }
        } else if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            guard let p = Int(authority[authority.index(after: colon)...]) else { return nil }
            port = p
        }
        guard !host.isEmpty, (1...65535).contains(port) else { return nil }
        return (tls, host, port, path)
    }
}
