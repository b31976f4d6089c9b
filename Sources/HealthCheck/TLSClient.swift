import NIOCore
import NIOSSL

/// The TLS side of SSL_GET: one client context for every check, built from keepalived's
/// top-level `SSL { certificate … key … password … }` when given.
///
/// As keepalived does, the real server's certificate is not verified: a health check
/// reaches a real server by its address, which a certificate seldom names, and the check
/// asks whether the service answers, not who it is. TLS 1.2 and 1.3 are offered.
public final class TLSClient: Sendable {
    let context: NIOSSLContext

    /// `certificate` / `key`: PEM files; `password` unlocks an encrypted key.
    public init(certificate: String? = nil, key: String? = nil, password: String? = nil) throws {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .none
        if let certificate, let key {
            do {
                configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) }
            } catch {
                throw TLSSetupError(description: "cannot load SSL certificate \(certificate): \(error)")
            }
            do {
                let privateKey: NIOSSLPrivateKey
                if let password {
                    privateKey = try NIOSSLPrivateKey(file: key, format: .pem) { (setter: NIOSSLPassphraseSetter<[UInt8]>) in
                        setter(Array(password.utf8))
                    }
                } else {
                    privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
                }
                configuration.privateKey = .privateKey(privateKey)
            } catch {
                throw TLSSetupError(description: "cannot load SSL key \(key): \(error)")
            }
        }
        context = try NIOSSLContext(configuration: configuration)
    }

    /// The handler that goes first in a checker's pipeline; `serverName` is the SNI
    /// (`enable_sni`), sent only when it is a name, not an address literal.
    func handler(serverName: String?) throws -> NIOSSLClientHandler {
        let name = serverName.flatMap { (try? SocketAddress(ipAddress: $0, port: 0)) == nil ? $0 : nil }
        return try NIOSSLClientHandler(context: context, serverHostname: name)
    }
}

public struct TLSSetupError: Error, CustomStringConvertible {
    public var description: String
}
