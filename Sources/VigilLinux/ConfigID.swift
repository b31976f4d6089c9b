#if canImport(Glibc)
import Glibc
#endif

/// keepalived's default `--config-id`: the host name up to its first dot, so that `@lb1`
/// lines apply on the box called lb1 without any flag.
public func defaultConfigID() -> String? {
    hostName()?.split(separator: ".").first.map(String.init)
}

/// This host's name (gethostname): also keepalived's default `router_id`.
public func hostName() -> String? {
    var buffer = [UInt8](repeating: 0, count: 256)
    guard gethostname(&buffer, buffer.count - 1) == 0 else { return nil }
    return String(decoding: buffer.prefix { $0 != 0 }, as: UTF8.self)
}

/// The name of the user the daemon runs as (keepalived's default sender is this user at
/// the host's name), nil when the password database has no entry for it.
public func userName() -> String? {
    guard let entry = getpwuid(getuid()), let name = entry.pointee.pw_name else { return nil }
    return String(cString: name)
}
