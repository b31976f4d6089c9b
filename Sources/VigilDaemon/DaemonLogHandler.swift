#if canImport(Glibc)
import Glibc
#endif
import Logging
import VigilLinux

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
        var line = journal ? "<\(Self.syslogPriority(event.level))>" : "\(WallClock.timestamp()) \(event.level) "
        line += event.message.description
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        for (key, value) in all.sorted(by: { $0.key < $1.key }) { line += " \(key)=\(value)" }
        line += "\n"
        StandardError.write(line)
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
}
