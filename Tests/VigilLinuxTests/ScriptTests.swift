import Foundation
import Testing
@testable import VigilLinux

/// enable_script_security's test and track_file's number reading, on real files in a
/// fresh directory.
@Suite struct ScriptTests {
    /// A private directory under /tmp (root-owned, 0755), removed afterwards.
    static func withDirectory(_ body: (String) throws -> Void) rethrows {
        let dir = "/tmp/vigil-script-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        mkdir(dir, 0o755)
        chmod(dir, 0o755)
        defer { _ = try? FileManager.default.removeItem(atPath: dir) }
        try body(dir)
    }

    static func write(_ path: String, _ text: String, mode: mode_t) {
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        chmod(path, mode)
    }

    /// Why the command is refused, or nil when it is accepted.
    static func refusal(_ command: String) -> String? {
        do { try ScriptSecurity.check(command, runningAs: .root) } catch { return error.description }
        return nil
    }

    @Test func aRootOwnedScriptIsAcceptedAndAWritableOneRefusedWithTheReason() throws {
        guard getuid() == 0 else { return }  // ownership rules are about root
        Self.withDirectory { dir in
            Self.write("\(dir)/ok", "#!/bin/sh\nexit 0\n", mode: 0o755)
            Self.write("\(dir)/open", "#!/bin/sh\nexit 0\n", mode: 0o777)
            Self.write("\(dir)/group", "#!/bin/sh\nexit 0\n", mode: 0o775)
            chown("\(dir)/group", 0, 100)
            #expect(Self.refusal("\(dir)/ok --flag") == nil)
            #expect(Self.refusal("\(dir)/open") == "\(dir)/open is writable by everyone: only root may be able to change it")
            #expect(Self.refusal("\(dir)/group") == "\(dir)/group is writable by group 100: only root may be able to change it")
            // A directory on the path that others may write makes the script unsafe too.
            mkdir("\(dir)/shared", 0o777)
            chmod("\(dir)/shared", 0o777)
            Self.write("\(dir)/shared/x", "#!/bin/sh\n", mode: 0o755)
            #expect(Self.refusal("\(dir)/shared/x") == "\(dir)/shared is writable by everyone: only root may be able to change it")
            // …unless it is sticky like /tmp.
            chmod("\(dir)/shared", 0o1777)
            #expect(Self.refusal("\(dir)/shared/x") == nil)
            // A symbolic link is judged by what it points to.
            symlink("\(dir)/open", "\(dir)/link")
            #expect(Self.refusal("\(dir)/link") == "\(dir)/open is writable by everyone: only root may be able to change it")
        }
    }

    @Test func programsAreFoundLikeKeepalivedFindsThem() {
        #expect(ScriptSecurity.program(of: "  \"/opt/my check\" arg") == "/opt/my check")
        #expect(ScriptSecurity.program(of: "sh -c 'exit 1'")?.hasSuffix("/sh") == true)
        #expect(ScriptSecurity.program(of: "no-such-program-here") == nil)
    }

    @Test func trackFileNumbersAreReadAsStrtolWithBaseZero() throws {
        try Self.withDirectory { dir in
            let f = "\(dir)/n"
            #expect(FileWatcher.readNumber(at: f) == 0, "missing file reads 0")
            for (text, value) in [("42\n", 42), ("  -7 apples", -7), ("0x10", 16), ("010", 8), ("", 0)] as [(String, Int64)] {
                Self.write(f, text, mode: 0o644)
                #expect(FileWatcher.readNumber(at: f) == value, "\(text.debugDescription)")
            }
            Self.write(f, "99999999999", mode: 0o644)
            #expect(FileWatcher.readNumber(at: f) == nil, "out of range: ignored, the last value stays")
            try FileWatcher.initialise(f, value: 5, overwrite: false)
            #expect(FileWatcher.readNumber(at: f) == nil, "init_file without overwrite leaves an existing file")
            try FileWatcher.initialise(f, value: 5, overwrite: true)
            #expect(FileWatcher.readNumber(at: f) == 5)
        }
    }

    @Test func aWatcherSeesAFileReplacedByRename() throws {
        try Self.withDirectory { dir in
            let watcher = try FileWatcher(paths: ["\(dir)/n"])
            #expect(!watcher.drain())
            Self.write("\(dir)/n.tmp", "3", mode: 0o644)
            _ = watcher.drain()
            rename("\(dir)/n.tmp", "\(dir)/n")
            #expect(watcher.drain())
            #expect(FileWatcher.readNumber(at: "\(dir)/n") == 3)
        }
    }
}
