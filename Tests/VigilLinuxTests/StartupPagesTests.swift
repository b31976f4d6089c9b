import Foundation
import Testing
@testable import VigilLinux

/// Unmapping the program's read-only pages loses nothing: what the code computes and the
/// constants it reads are the same afterwards, and the pages are no longer counted.
@Suite struct StartupPagesTests {
    /// kB of a /proc/self/status field.
    static func status(_ field: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            return Int(line.split(separator: " ").dropFirst().first ?? "")
        }
        return nil
    }

    static func work() -> String {
        (1...200).map { String($0, radix: 16) }.joined(separator: ",") + "\(Double(355) / 113)"
    }

    @Test func theProgramRunsOnAfterItsReadOnlyPagesAreReleased() throws {
        let before = Self.work()
        let fileBefore = try #require(Self.status("RssFile"))
        let released = try #require(StartupPages.release(), "madvise refused")
        #expect(released > 0)
        #expect(Self.work() == before)
        // Fewer file pages resident: the ones dropped that the code above did not touch again.
        let fileAfter = try #require(Self.status("RssFile"))
        #expect(fileAfter < fileBefore)
    }
}
