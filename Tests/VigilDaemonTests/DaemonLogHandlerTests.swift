import Logging
import Testing
@testable import VigilDaemon

/// Lines written before the logger exists (the configuration's warnings at start) carry
/// journald's `<N>` priority under systemd, as the logger's own lines do.
@Suite struct DaemonLogHandlerTests {
    @Test func linePrefixUnderSystemd() {
        #expect(DaemonLogHandler.linePrefix(.warning, journal: true) == "<4>")
        #expect(DaemonLogHandler.linePrefix(.error, journal: true) == "<3>")
        #expect(DaemonLogHandler.linePrefix(.info, journal: true) == "<6>")
    }

    @Test func noPrefixOnATerminal() {
        #expect(DaemonLogHandler.linePrefix(.warning, journal: false) == "")
    }
}
