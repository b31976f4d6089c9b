#if canImport(Glibc)
import Glibc
#endif

/// The files a signal asks the daemon to write (keepalived's `keepalived.data`, `.stats`,
/// `.json`): in keepalived's directory, written whole (`AtomicFile`), so a reader sees the
/// old file or the new one, never half of one (keepalived renames first and writes after;
/// exporters that read at once are better served so). Mode 0600, as keepalived's.
public enum DumpFile {
    /// `$TMPDIR` when it is an absolute path, else /tmp: where keepalived writes its dumps.
    public static var directory: String {
        if let tmp = getenv("TMPDIR").map({ String(cString: $0) }), tmp.hasPrefix("/") { return tmp }
        return "/tmp"
    }

    public static func write(_ text: String, to path: String) throws(SystemCallError) {
        try AtomicFile.write(Array(text.utf8), to: path, mode: 0o600)
    }
}
