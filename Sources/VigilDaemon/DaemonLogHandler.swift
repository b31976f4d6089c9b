#if canImport(Glibc)
import Glibc
#endif
import Logging

/// How `vigil run` writes its log to stderr.
///
/// Under systemd (`JOURNAL_STREAM` set) each line starts with the syslog priority as
/// `<N>`, which journald reads as the entry's level and strips, and carries no timestamp
/// (the journal stamps every entry itself). On a terminal or into a file, each line starts
/// with the UTC time to the millisecond, because a failover is read in milliseconds:
///
///     2026-11-23T03:18:22.417Z info (VI_1) BACKUP -> MASTER: no advertisement within Master_Down_Interval
///     <6>(VI_1) BACKUP -> MASTER: no advertisement within Master_Down_Interval
public struct DaemonLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    private let journal: Bool

    public init(journal: Bool = getenv("JOURNAL_STREAM") != nil) {
        self.journal = journal
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var line = journal ? "<\(Self.syslogPriority(event.level))>" : "\(Self.timestamp()) \(event.level) "
        line += event.message.description
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        for (key, value) in all.sorted(by: { $0.key < $1.key }) { line += " \(key)=\(value)" }
        line += "\n"
        var bytes = Array(line.utf8)
        _ = bytes.withUnsafeMutableBytes { Glibc.write(2, $0.baseAddress, $0.count) }
    }

    /// How a line written before the logger exists (the configuration's warnings and errors
    /// at start) begins: its `<N>` priority under systemd, so that `journalctl -p warning`
    /// finds it; nothing on a terminal or into a file.
    public static func linePrefix(_ level: Logger.Level, journal: Bool = getenv("JOURNAL_STREAM") != nil) -> String {
        journal ? "<\(syslogPriority(level))>" : ""
    }

    /// RFC 5424 severities, as journald reads them from a `<N>` prefix.
    static func syslogPriority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: return 7
        case .info: return 6
        case .notice: return 5
        case .warning: return 4
        case .error: return 3
        case .critical: return 2
        }
    }

    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let ms = now.tv_nsec / 1_000_000
        let millis = ms < 10 ? "00\(ms)" : ms < 100 ? "0\(ms)" : "\(ms)"
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T"
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)).\(millis)Z"
    }
}
