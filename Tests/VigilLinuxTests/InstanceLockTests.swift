import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import VigilLinux

@Suite struct InstanceLockTests {
    static func scratch() -> String {
        var template = Array("/tmp/vigil-lock-test.XXXXXX".utf8CString)
        return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
    }

    @Test func aSecondLockInTheSameNamespaceIsRefusedNamingTheHolder() throws {
        let dir = Self.scratch()
        defer { rmdir(dir) }
        let first = try InstanceLock(directory: dir)
        #expect(first.path.hasPrefix(dir + "/vigil-net-"))
        // flock conflicts between two open descriptions, even in one process.
        #expect {
            try InstanceLock(directory: dir)
        } throws: { error in
            guard case let .held(path, pid)? = error as? InstanceLock.Failure else { return false }
            return path == first.path && pid == getpid()
        }
        withExtendedLifetime(first) {}
    }

    @Test func theLockIsFreeAgainOnceReleasedAndLeavesNoFile() throws {
        let dir = Self.scratch()
        defer { rmdir(dir) }
        var path = ""
        do {
            let lock = try InstanceLock(directory: dir)
            path = lock.path
            #expect(access(path, F_OK) == 0)
        }
        #expect(access(path, F_OK) != 0, "a clean release removes the file")
        let again = try InstanceLock(directory: dir)
        #expect(again.path == path)
    }

    @Test func aMissingDirectoryIsCreated() throws {
        let parent = Self.scratch()
        let dir = parent + "/run"
        defer { rmdir(dir); rmdir(parent) }
        do { _ = try InstanceLock(directory: dir) }
        var info = stat()
        #expect(stat(dir, &info) == 0 && info.st_mode & 0o777 == 0o750)
    }
}
