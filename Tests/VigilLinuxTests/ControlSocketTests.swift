import Foundation
import Testing
@testable import VigilLinux

/// The control socket, systemd's notify socket and the pid file, on real sockets and
/// files in a private directory.
@Suite(.serialized) struct ControlSocketTests {
    static func directory() -> String {
        let dir = "/tmp/vigil-control-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        mkdir(dir, 0o700)
        return dir
    }

    /// Serves `socket` from this thread (as the daemon's loop does) until `done`.
    static func serve(_ socket: ControlSocket, until done: () -> Bool, answer: (String) -> String) {
        for _ in 0..<500 where !done() {
            var fds = [pollfd(fd: socket.fileDescriptor, events: Int16(POLLIN), revents: 0)]
                + socket.clientPolls.map { pollfd(fd: $0.fd, events: $0.events, revents: 0) }
            _ = poll(&fds, nfds_t(fds.count), 10)
            if fds[0].revents != 0 { socket.accept(at: .zero) }
            let ready = Set(fds.dropFirst().filter { $0.revents != 0 }.map(\.fd))
            for (client, line) in socket.service(ready: ready) { socket.reply(client, answer(line)) }
        }
    }

    /// A client thread sends `request` while this thread serves `server`; the reply.
    static func exchange(_ request: String, with server: ControlSocket, answer: (String) -> String) -> String? {
        let reply = LockedBox<String?>(nil)
        let path = server.path
        let client = Thread {
            let text = try? ControlSocket.request(request, path: path, timeout: 5)
            reply.set(text ?? "(failed)")
        }
        client.start()
        serve(server, until: { reply.get() != nil }, answer: answer)
        return reply.get()
    }

    @Test func oneRequestOneReplyAndRootOnlyMode() throws {
        let dir = Self.directory()
        defer { rmdir(dir) }
        let path = dir + "/vigil.sock"
        let reply: String?
        do {
            let server = try ControlSocket(path: path)
            var st = stat()
            stat(path, &st)
            #expect(st.st_mode & 0o777 == 0o600)
            // A long reply (bigger than one socket buffer) arrives whole.
            let long = String(repeating: "x", count: 300_000)
            reply = Self.exchange("status", with: server) { line in "ok\n\(line)\n\(long)" }
        }
        #expect(reply == "ok\nstatus\n" + String(repeating: "x", count: 300_000) + "\n")
        #expect(access(path, F_OK) != 0, "the socket file is removed with the server")
    }

    @Test func aSecondDaemonDoesNotStealALiveSocket() throws {
        let dir = Self.directory()
        defer { rmdir(dir) }
        let path = dir + "/vigil.sock"
        let first = try ControlSocket(path: path)
        #expect(throws: SystemCallError.self) { _ = try ControlSocket(path: path) }
        withExtendedLifetime(first) {}
    }

    @Test func aLeftoverSocketFileIsReplaced() throws {
        let dir = Self.directory()
        defer { rmdir(dir) }
        let path = dir + "/vigil.sock"
        // A socket file nobody listens on (a crashed run's).
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = try ControlSocket.address(path)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        close(fd)
        #expect(access(path, F_OK) == 0)
        let server = try ControlSocket(path: path)
        withExtendedLifetime(server) {}
    }

    @Test func anOverlongRequestIsRefused() throws {
        let dir = Self.directory()
        defer { rmdir(dir) }
        let path = dir + "/vigil.sock"
        let server = try ControlSocket(path: path)
        let reply = Self.exchange(String(repeating: "a", count: 10_000), with: server) { _ in "ok\nnever" }
        withExtendedLifetime(server) {}
        #expect(reply?.hasPrefix("error: request longer than 4096 bytes") == true)
    }

    @Test func systemdHearsTheNotifyProtocol() throws {
        let dir = Self.directory()
        defer { rmdir(dir) }
        let path = dir + "/notify.sock"
        let listener = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(listener); unlink(path) }
        var address = try ControlSocket.address(path)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        #expect(bound == 0)
        setenv("NOTIFY_SOCKET", path, 1)
        setenv("WATCHDOG_USEC", "4000000", 1)
        let notifier = SystemdNotifier()
        #expect(getenv("NOTIFY_SOCKET") == nil, "scripts must not inherit it")
        #expect(notifier.isActive)
        #expect(notifier.watchdogInterval == 2_000_000)
        func receive() -> String {
            var buffer = [UInt8](repeating: 0, count: 4096)
            let n = recv(listener, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            return n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self) : "(nothing)"
        }
        notifier.ready(status: "2 instance(s): 2 MASTER")
        #expect(receive() == "READY=1\nSTATUS=2 instance(s): 2 MASTER")
        notifier.reloading(status: "reloading (SIGHUP)")
        let reloading = receive()
        #expect(reloading.hasPrefix("RELOADING=1\nMONOTONIC_USEC="))
        #expect(reloading.hasSuffix("\nSTATUS=reloading (SIGHUP)"))
        notifier.stopping(status: "stopping")
        #expect(receive() == "STOPPING=1\nSTATUS=stopping")
        unsetenv("NOTIFY_SOCKET")
        #expect(!SystemdNotifier().send(["READY=1"]), "without NOTIFY_SOCKET nothing is sent")
    }

    @Test func thePIDFileIsWrittenWholeOrNotAtAll() throws {
        let dir = Self.directory()
        defer { rmdir(dir) }
        let path = dir + "/vigil.pid"
        try PIDFile.write(path, pid: 4242)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "4242\n")
        unlink(path)
        do {
            try PIDFile.write("/proc/vigil-cannot-be-here.pid")
            Issue.record("writing into /proc succeeded")
        } catch {
            #expect(error.description.contains("/proc/vigil-cannot-be-here.pid"))
        }
    }

    /// A symlink planted at the temporary name (another user, a directory made writable by
    /// mistake) must not make the daemon truncate and write the file it points to.
    @Test func aSymlinkAtThePIDFilesTemporaryNameIsNotFollowed() throws {
        let dir = Self.directory()
        let victim = dir + "/victim", path = dir + "/vigil.pid"
        defer { unlink(victim); unlink(path); unlink(path + ".new"); rmdir(dir) }
        try "keep\n".write(toFile: victim, atomically: false, encoding: .utf8)
        #expect(symlink(victim, path + ".new") == 0)
        try PIDFile.write(path, pid: 4242)
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "keep\n")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "4242\n")
        var info = stat()
        #expect(lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFREG, "a file of its own, not the link")
    }

    /// A regular file where a notify FIFO should be is not written to as if it were one.
    @Test func aNotifyFIFOPathHoldingARegularFileIsRefused() throws {
        let dir = Self.directory()
        let path = dir + "/notify"
        defer { unlink(path); rmdir(dir) }
        try "data\n".write(toFile: path, atomically: false, encoding: .utf8)
        #expect(throws: SystemCallError.self) { _ = try NotifyFIFO(path: path) }
    }
}

/// A value shared between the test and its client thread.
final class LockedBox<T>: @unchecked Sendable {
    private var value: T
    private let lock = NSLock()
    init(_ value: T) { self.value = value }
    func get() -> T { lock.lock(); defer { lock.unlock() }; return value }
    func set(_ v: T) { lock.lock(); value = v; lock.unlock() }
}
