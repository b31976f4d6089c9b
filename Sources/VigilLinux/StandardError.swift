#if canImport(Glibc)
import Glibc
#endif

/// The process's standard error, where `vigil run` logs (journald reads it under systemd)
/// and the commands report: one write(2) per call, so a line is never split between
/// writers and nothing waits in a buffer when the process ends.
public enum StandardError {
    public static func write(_ text: String) {
        var text = text
        text.withUTF8 { bytes in _ = Glibc.write(2, bytes.baseAddress, bytes.count) }
    }
}
