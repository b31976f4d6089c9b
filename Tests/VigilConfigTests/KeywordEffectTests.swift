import Testing
import KeywordProbes
@testable import VigilConfig

/// Nothing parsed is silently ignored: every keyword of the catalog, written with a
/// plausible argument in the block it belongs to, is either reported at its line (or at a
/// block around it) as recognised but not supported, or changes the typed model. A keyword
/// that does neither was read and dropped, and the operator was not told.
@Suite struct KeywordEffectTests {
    @Test func everyKeywordChangesTheModelOrIsReportedUnsupported() {
        var dropped: [String] = []
        var refused: [String] = []
        for probe in KeywordProbe.all {
            let with = probe.load(probe.with)
            if probe.isReportedUnsupported(with) { continue }
            // An error would mean the probe's argument is wrong, not that the keyword is ignored.
            let errors = with.diagnostics.filter { $0.severity == .error }
            if !errors.isEmpty {
                refused.append("\(probe): \(errors.map(\.description))")
                continue
            }
            if with.configuration == probe.load(probe.without).configuration { dropped.append("\(probe)") }
        }
        #expect(dropped.isEmpty, "read, not reported as unsupported, and without effect on the model: \(dropped)")
        #expect(refused.isEmpty, "the probe's configuration has errors (fix its arguments in ProbeUse): \(refused)")
    }
}
