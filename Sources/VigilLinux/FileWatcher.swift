#if canImport(Glibc)
import Glibc
#endif
import CLinux

/// Tells when tracked files may have changed (keepalived's track_file reacts at once, via
/// inotify, too). Watches the files' directories, so a file created, replaced by a
/// rename or deleted is noticed as well as one rewritten in place.
public final class FileWatcher {
    public let fileDescriptor: Int32
    private var buffer = [UInt8](repeating: 0, count: 8192)

    public init(paths: [String]) throws(SystemCallError) {
        fileDescriptor = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fileDescriptor >= 0 else { throw SystemCallError("inotify_init1") }
        let mask = UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_MODIFY)
        for dir in Set(paths.map(Self.directory)) where inotify_add_watch(fileDescriptor, dir, mask) < 0 {
            let error = SystemCallError("inotify_add_watch \(dir)")
            close(fileDescriptor)
            throw error
        }
    }

    deinit { close(fileDescriptor) }

    /// Empties the queue of events; true when there was any.
    public func drain() -> Bool {
        var any = false
        for _ in 0..<64 {
            let n = read(fileDescriptor, &buffer, buffer.count)
            if n <= 0 { break }
            any = true
        }
        return any
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let dir = String(path[..<slash])
        return dir.isEmpty ? "/" : dir
    }

    /// A tracked file's number as keepalived reads it (`strtol` with base 0: leading
    /// blanks, a sign, 0x for hex, a leading 0 for octal; what follows the number is
    /// ignored). A missing or empty file reads 0; nil means "not a number, keep the last
    /// value".
    public static func readNumber(at path: String) -> Int64? {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: 128)
        let n = read(fd, &bytes, bytes.count - 1)
        guard n > 0 else { return 0 }
        return bytes.prefix(n).withUnsafeBufferPointer { raw -> Int64? in
            var text = Array(raw)
            text.append(0)
            errno = 0
            var end: UnsafeMutablePointer<CChar>?
            let value = text.withUnsafeMutableBufferPointer { p in
                p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) { strtol($0, &end, 0) }
            }
            if errno != 0 || value < Int(Int32.min) || value > Int(Int32.max) + 1 { return nil }
            return Int64(value)
        }
    }

    /// `init_file [VALUE] [overwrite]`: writes VALUE (default 0) when the file does not
    /// exist, or always with `overwrite`.
    public static func initialise(_ path: String, value: Int64, overwrite: Bool) throws(SystemCallError) {
        if !overwrite && access(path, F_OK) == 0 { return }
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard fd >= 0 else { throw SystemCallError("open \(path)") }
        defer { close(fd) }
        let text = Array("\(value)\n".utf8)
        guard write(fd, text, text.count) == text.count else { throw SystemCallError("write \(path)") }
    }
}
