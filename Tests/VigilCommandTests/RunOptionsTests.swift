import ArgumentParser
import Testing
@testable import vigil

/// `vigil run`'s plain reading (`RunOptions(plainArguments:)`) against ArgumentParser's:
/// every line the plain one accepts must mean what ArgumentParser makes of it, and what it
/// does not plainly understand must go to ArgumentParser.
@Suite struct RunOptionsTests {
    /// Lines the plain reading takes, each as ArgumentParser reads it.
    @Test func thePlainReadingMeansWhatArgumentParserReads() throws {
        let lines: [[String]] = [
            [],
            ["-f", "/etc/vigil/vigil.conf", "--pid-file", "/run/vigil/vigil.pid"],  // the unit's
            ["--file", "a.conf"], ["--file=a.conf"], ["-f", "a b.conf"], ["--file=x=y"],
            ["-f", "a.conf", "--control-socket", ""], ["-f", ""], ["--control-socket", "/tmp/s"],
            ["-i", "lb1"], ["--config-id", "lb1"], ["--config-id=lb1"],
            ["--log-detail"], ["-I"], ["--dont-release-ipvs", "--log-detail"],
            ["--only", "vrrp"], ["--only", "checker"], ["--only=other"],
            ["--also-pid-file", "/run/a.pid", "--also-pid-file", "/run/b.pid"],
            ["-f", "k.conf", "--pid-file", "/run/keepalived.pid", "-i", "id", "--log-detail", "--dont-release-ipvs",
             "--only", "checker", "--also-pid-file", "/run/c.pid"],
        ]
        for line in lines {
            let plain = try #require(RunOptions(plainArguments: line), "\(line) should be read plainly")
            #expect(try plain == Run.parse(line).options, "\(line)")
        }
        // Not only the defaults: the unit's line sets what it names.
        let unit = try #require(RunOptions(plainArguments: ["-f", "/x.conf", "--pid-file", "/run/x.pid", "-I"]))
        #expect(unit.file == "/x.conf" && unit.pidFile == "/run/x.pid" && unit.dontReleaseIPVS && unit.subsystems == .all)
    }

    /// What the plain reading leaves to ArgumentParser: help, errors, anything unusual.
    @Test func anythingUnusualGoesToArgumentParser() {
        let lines: [[String]] = [
            ["--help"], ["-h"], ["help"], ["--version"], ["--generate-completion-script", "bash"],
            ["--file"], ["-f"], ["--file", "--log-detail"], ["-f", "-"],  // a missing value, or one that looks like an option
            ["-f", "a", "-f", "b"], ["--log-detail", "--log-detail"],      // repeated
            ["--log-detail=yes"], ["--control-socket="], ["--file="], ["-fa.conf"], ["-Ii"], ["--nope"], ["-x"], ["a.conf"], ["--"], ["-f", "a", "--", "b"],
        ]
        for line in lines { #expect(RunOptions(plainArguments: line) == nil, "\(line)") }
    }
}
