#if canImport(Glibc)
import Glibc
#endif

/// The calling process's effective capabilities, from /proc/self/status (CapEff).
public enum Capabilities {
    public static let setgid: UInt64 = 1 << 6
    public static let setuid: UInt64 = 1 << 7
    public static let kill: UInt64 = 1 << 5

    public static func effective() -> UInt64? {
        guard let f = fopen("/proc/self/status", "r") else { return nil }
        defer { fclose(f) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), f) != nil {
            let text = String(cString: line)
            if text.hasPrefix("CapEff:") {
                return UInt64(text.dropFirst(7).filter { !$0.isWhitespace }, radix: 16)
            }
        }
        return nil
    }
}
