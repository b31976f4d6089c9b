#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where configuration text comes from. The file system in production; memory in tests
/// and in the fuzzer, so that the language can be exercised without touching disk.
public protocol SourceReader {
    /// The bytes of a file, or a thrown error whose description says why not.
    func read(_ path: String) throws -> [UInt8]
    /// The paths matching a shell glob pattern, sorted; empty when none match.
    func glob(_ pattern: String) -> [String]
    /// A path that names the same file however it was reached (for include-loop detection).
    func canonicalPath(_ path: String) -> String
}

public struct SourceReadError: Error, CustomStringConvertible {
    public let path: String
    public let reason: String
    public var description: String { "cannot read \(path): \(reason)" }
}

/// Reads configuration from the file system.
public struct FileSystemSourceReader: SourceReader {
    public init() {}

    /// Larger than any configuration (keepalived's biggest seen here: 64,515 lines, 1.6 MB).
    public static let maximumSize = 64 << 20

    /// Regular files only, at most `maximumSize`: an `include` that matches a FIFO would
    /// block the daemon's thread, and a device (/dev/zero) would grow without bound.
    public func read(_ path: String) throws -> [UInt8] {
        // O_NONBLOCK: opening a FIFO must not wait for a writer before fstat can refuse it.
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw SourceReadError(path: path, reason: String(cString: strerror(errno))) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw SourceReadError(path: path, reason: reason)
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            throw SourceReadError(path: path, reason: "not a regular file")
        }
        guard info.st_size <= Self.maximumSize else {
            close(fd)
            throw SourceReadError(path: path, reason: "larger than \(Self.maximumSize >> 20) MiB")
        }
        guard let handle = fdopen(fd, "rb") else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw SourceReadError(path: path, reason: reason)
        }
        defer { fclose(handle) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&buffer, 1, buffer.count, handle)
            if n > 0 { bytes.append(contentsOf: buffer[0..<n]) }
            if bytes.count > Self.maximumSize {  // grew while being read
                throw SourceReadError(path: path, reason: "larger than \(Self.maximumSize >> 20) MiB")
            }
            if n < buffer.count {
                if ferror(handle) != 0 {
                    throw SourceReadError(path: path, reason: String(cString: strerror(errno)))
                }
                break
            }
        }
        return bytes
    }

    public func glob(_ pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard Glibc.glob(pattern, 0, nil, &result) == 0 else { return [] }
        var paths: [String] = []
        for i in 0..<Int(result.gl_pathc) {
            if let p = result.gl_pathv[i] { paths.append(String(cString: p)) }
        }
        return paths.sorted()
    }

    public func canonicalPath(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}

/// Configuration files held in memory, keyed by path (tests and fuzzing).
public struct InMemorySourceReader: SourceReader {
    public var files: [String: String]

    public init(_ files: [String: String]) { self.files = files }

    public func read(_ path: String) throws -> [UInt8] {
        guard let text = files[path] else {
            throw SourceReadError(path: path, reason: "No such file or directory")
        }
        return Array(text.utf8)
    }

    public func glob(_ pattern: String) -> [String] {
        files.keys.filter { fnmatch(pattern, $0, 0) == 0 }.sorted()
    }

    public func canonicalPath(_ path: String) -> String { path }
}
