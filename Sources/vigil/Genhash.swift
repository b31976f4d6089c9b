import ArgumentParser
import HealthCheck
import NIOPosix

/// `vigil genhash --url URL`: the MD5 digest of a page, for HTTP_GET's `digest` (what
/// keepalived's genhash prints), fetched exactly as the checker fetches it.
struct Genhash: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the MD5 digest of a web page, for an HTTP_GET url's 'digest'.",
        discussion: "Fetched as the HTTP_GET checker fetches it (HTTP/1.0 GET, Host header, body up to 4 MiB). Exit 1 when the page cannot be fetched."
    )

    @Option(help: "http://HOST[:PORT]/PATH")
    var url: String

    @Option(help: "Host header to send (an url's 'virtualhost').")
    var virtualhost: String?

    @Option(help: "Seconds to wait for the whole exchange.")
    var timeout: Double = 5

    mutating func run() throws {
        guard let (host, port, path) = Self.parse(url) else {
            throw ValidationError("--url must look like http://HOST[:PORT]/PATH (https is not supported yet)")
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let target = CheckTarget(host: host, port: port, timeout: Int64(timeout * 1_000_000))
        do {
            let response = try HTTPGetChecker.get(target, path: path, virtualhost: virtualhost, on: group).wait()
            print("HTTP status: \(response.status)")
            print("MD5SUM = \(HTTPGetChecker.md5Hex(response.body))")
        } catch {
            FileHandleStderr.write("vigil genhash: \(url): \(error)\n")
            throw ExitCode(1)
        }
    }

    static func parse(_ url: String) -> (String, Int, String)? {
        guard url.hasPrefix("http://") else { return nil }
        let rest = url.dropFirst(7)
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<slash]
        let path = slash == rest.endIndex ? "/" : String(rest[slash...])
        var host = String(authority)
        var port = 80
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
        return (host, port, path)
    }
}
