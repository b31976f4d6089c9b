#if canImport(Glibc)
import Glibc
#endif
import CLinux

/// What start-up left resident that the idle loop does not use, given back once the daemon
/// is running (and again after each reload, which parses and plans anew).
///
/// Start-up runs far more code than the loop: the argument parser, the configuration
/// lexer, parser, validator and planner, the Swift runtime's first type lookups. Those
/// pages of the binary stay mapped — counted in the process's RSS — long after they last
/// ran; measured on a VRRP-only box they were most of it (docs/FIGURES.md, Memory). The
/// program's read-only segments are unmapped here (`vigil_release_program_pages`: they
/// stay in the page cache, reclaimable, and a page the loop does need faults back in
/// without I/O while cached), and the heap freed by parsing goes back to the kernel.
public enum StartupPages {
    /// Bytes of the program's read-only segments unmapped, or nil if madvise refused
    /// (e.g. a memory-locked process).
    @discardableResult
    public static func release() -> Int? {
        let released = vigil_release_program_pages()
        _ = malloc_trim(0)
        return released >= 0 ? released : nil
    }
}
