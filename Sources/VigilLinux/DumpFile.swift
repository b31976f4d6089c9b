#if canImport(Glibc)
import Glibc
#endif

/// The files a signal asks the daemon to write (keepalived's `keepalived.data`, `.stats`,
/// `.json`): in keepalived's directory, written whole to a temporary file and renamed into
/// place, so a reader sees the old file or the new one, never half of one (keepalived
/// renames first and writes after; exporters that read at once are better served so).
/// Mode 0600, as keepalived's.
public enum DumpFile {
    /// `$TMPDIR` when it is an absolute path, else /tmp: where keepalived writes its dumps.
    public static var directory: String {
        if let tmp = getenv("TMPDIR").map({ String(cString: $0) }), tmp.hasPrefix("/") { return tmp }
        return "/tmp"
    }

    public static func write(_ text: String, to path: String) throws(SystemCallError) {
        var template = Array((path + ".XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw SystemCallError("mkstemp \(path).XXXXXX") }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        let temporary = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.write(fd, $0.baseAddress! + written, $0.count - written) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                let e = SystemCallError("writing \(temporary)")
                close(fd)
                unlink(temporary)
                throw e
            }
            written += n
        }
        fchmod(fd, 0o600)
        close(fd)
        guard rename(temporary, path) == 0 else {
            let e = SystemCallError("rename \(temporary) to \(path)")
            unlink(temporary)
            throw e
        }
    }
}
