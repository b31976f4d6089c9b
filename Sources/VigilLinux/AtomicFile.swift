#if canImport(Glibc)
import Glibc
#endif

/// A file written whole or not at all: the bytes go to a new temporary file beside it
/// (mkstemp: a name of its own, so a link planted at any fixed name is never followed),
/// are flushed, and the temporary file is renamed over the path. A reader sees the old file
/// or the new one, never half of one; a full disk or a read-only directory is an error
/// naming the file and the reason, and leaves no temporary file behind.
enum AtomicFile {
    static func write(_ bytes: [UInt8], to path: String, mode: mode_t) throws(SystemCallError) {
        var template = Array((path + ".XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw SystemCallError("create \(path).XXXXXX") }
        let temporary = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        func fail(_ error: SystemCallError) -> SystemCallError {
            close(fd)
            unlink(temporary)
            return error
        }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, $0.count - written) }
            if n < 0 && errno == EINTR { continue }
            // No progress without an error: the disk is full.
            if n <= 0 { throw fail(n < 0 ? SystemCallError("write \(temporary)") : SystemCallError("write \(temporary)", errno: ENOSPC)) }
            written += n
        }
        guard fchmod(fd, mode) == 0, fsync(fd) == 0 else { throw fail(SystemCallError("write \(temporary)")) }
        guard close(fd) == 0 else {
            let error = SystemCallError("write \(temporary)")
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let error = SystemCallError("rename \(temporary) to \(path)")
            unlink(temporary)
            throw error
        }
    }
}
