#if canImport(Glibc)
import Glibc
#endif

/// A kernel setting under /proc/sys, read and written as the text the file holds.
enum Sysctl {
    /// The file's first line without its newline; nil when it cannot be read (absent: the
    /// module that makes it is not loaded).
    static func read(_ path: String) -> String? {
        guard let f = fopen(path, "r") else { return nil }
        defer { fclose(f) }
        var line = [CChar](repeating: 0, count: 128)
        guard fgets(&line, Int32(line.count), f) != nil else { return nil }
        return String(decoding: line.prefix { $0 != 0 && $0 != 10 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func write(_ path: String, _ value: String) throws(SystemCallError) {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SystemCallError("open \(path)") }
        defer { close(fd) }
        var text = value + "\n"
        let n = text.withUTF8 { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { throw SystemCallError("write \(path)") }
    }
}
