import Foundation
import Testing
@testable import VigilConfig

/// `--dump` prints the effective configuration; reading it back must give the same model.
@Suite struct DumpRoundTripTests {
    static var fixtures: [String] {
        let dirs = ["\(repositoryRoot)/etc", "\(repositoryRoot)/Tests/VigilConfigTests/Fixtures",
                    "\(repositoryRoot)/Tests/Compat/corpus"]
        return dirs.flatMap { dir in
            ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [])
                .filter { $0.hasSuffix(".conf") }.sorted().map { "\(dir)/\($0)" }
        }
    }

    @Test func thereAreFixtures() {
        #expect(Self.fixtures.count >= 10)
    }

    @Test(arguments: fixtures)
    func dumpReadsBackToTheSameModel(path: String) throws {
        let original = try ConfigurationLoader.load(path: path)
        let dumped = Dumper.dump(original.configuration)
        let again = ConfigurationLoader.load(text: dumped, path: "dump.conf")
        #expect(again.configuration == original.configuration, "\(path)\n\(dumped)")
        // The dump adds no problem of its own (it may lose some: includes are resolved).
        let originalIDs = Set(original.diagnostics.map(\.id))
        #expect(Set(again.errors.map(\.id)).isSubset(of: originalIDs), "\(again.errors)")
        // And dumping again is a fixed point.
        #expect(Dumper.dump(again.configuration) == dumped)
    }
}
