#if canImport(Glibc)
import Glibc
#endif
import CLinux

/// Classic BPF programs for SO_ATTACH_FILTER: the few instruction shapes the kernel-side
/// filters here are written with, and attaching one. The kernel runs the program on each
/// packet before it is queued on the socket; a return of 0 drops it there (no wake-up, no
/// queue space), any other value keeps that many bytes.
enum SocketFilter {
    /// Keeps the whole packet.
    static let keep = UInt32.max
    /// Drops the packet.
    static let drop: UInt32 = 0

    static func statement(_ code: Int32, _ k: UInt32 = 0) -> sock_filter {
        sock_filter(code: UInt16(code), jt: 0, jf: 0, k: k)
    }

    static func jump(_ code: Int32, _ k: UInt32, _ jt: UInt8, _ jf: UInt8) -> sock_filter {
        sock_filter(code: UInt16(code), jt: jt, jf: jf, k: k)
    }

    static func ret(_ k: UInt32) -> sock_filter { statement(BPF_RET | BPF_K, k) }

    /// Replaces the socket's program (atomically: each packet sees the old or the new one).
    static func attach(_ program: [sock_filter], to fd: Int32, _ what: String) throws {
        var instructions = program
        let result = instructions.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var fprog = sock_fprog(len: UInt16(buffer.count), filter: buffer.baseAddress)
            return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, socklen_t(MemoryLayout<sock_fprog>.size))
        }
        if result != 0 { throw SystemCallError("SO_ATTACH_FILTER (\(what))") }
    }
}
