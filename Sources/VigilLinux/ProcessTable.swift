#if canImport(Glibc)
import Glibc
#endif
import CLinux

/// The processes running on this host, as `vrrp_track_process` matches them: by name
/// (/proc/PID/comm, what `Name:` shows) or by command line (/proc/PID/cmdline).
public enum ProcessTable {
    /// This process's ID (`vigil status` shows it).
    public static var ownID: Int32 { getpid() }

    /// /proc/PID/comm, for a log line (nil once the process is gone).
    public static func name(of pid: Int32) -> String? {
        guard let f = fopen("/proc/\(pid)/comm", "r") else { return nil }
        defer { fclose(f) }
        var line = [CChar](repeating: 0, count: 64)
        guard fgets(&line, Int32(line.count), f) != nil else { return nil }
        return String(decoding: line.prefix { $0 != 0 && $0 != 10 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public struct Process: Sendable {
        public var pid: Int32
        public var name: String
        /// argv; empty for kernel threads (read only when asked for).
        public var arguments: [String]
    }

    /// Every process (not thread); `arguments` read only when `withArguments`.
    public static func scan(withArguments: Bool) -> [Process] {
        guard let dir = opendir("/proc") else { return [] }
        defer { closedir(dir) }
        var result: [Process] = []
        for _ in 0..<1_000_000 {
            guard let entry = readdir(dir) else { break }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard let pid = Int32(name) else { continue }
            guard let comm = read("/proc/\(pid)/comm") else { continue }
            var process = Process(pid: pid, name: String(decoding: comm.prefix { $0 != 10 }, as: UTF8.self), arguments: [])
            if withArguments, let cmdline = read("/proc/\(pid)/cmdline") {
                process.arguments = cmdline.split(separator: 0, omittingEmptySubsequences: false)
                    .map { String(decoding: $0, as: UTF8.self) }
                if process.arguments.last == "" { process.arguments.removeLast() }
            }
            result.append(process)
        }
        return result
    }

    private static func read(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: 4096)
        let n = Glibc.read(fd, &bytes, bytes.count)
        guard n >= 0 else { return nil }
        return Array(bytes.prefix(n))
    }
}

/// The kernel's process events (the netlink proc connector, as keepalived uses): a fork,
/// exec, name change or exit anywhere makes the socket readable, so tracked processes are
/// counted again at once instead of on a timer. Needs CAP_NET_ADMIN.
public final class ProcessEvents {
    public let fileDescriptor: Int32
    private var buffer = [UInt8](repeating: 0, count: 8192)

    public init() throws(SystemCallError) {
        let netlinkConnector: Int32 = 11
        fileDescriptor = socket(AF_NETLINK, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue),
                                netlinkConnector)
        guard fileDescriptor >= 0 else { throw SystemCallError("socket(NETLINK_CONNECTOR)") }
        var address = sockaddr_nl()
        address.nl_family = sa_family_t(AF_NETLINK)
        address.nl_pid = 0
        address.nl_groups = 1  // CN_IDX_PROC
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fileDescriptor, $0, socklen_t(MemoryLayout<sockaddr_nl>.size))
            }
        }
        guard bound == 0 else {
            let error = SystemCallError("bind(NETLINK_CONNECTOR, CN_IDX_PROC)")
            close(fileDescriptor)
            throw error
        }
        // nlmsghdr (16) + cn_msg (id 1/1, seq, ack, len 4, flags) + PROC_CN_MCAST_LISTEN (1).
        var message = [UInt8](repeating: 0, count: 40)
        func put32(_ v: UInt32, at i: Int) { withUnsafeBytes(of: v.littleEndian) { for (k, b) in $0.enumerated() { message[i + k] = b } } }
        put32(40, at: 0)                       // nlmsg_len
        message[4] = 3                         // nlmsg_type NLMSG_DONE
        put32(UInt32(getpid()), at: 12)        // nlmsg_pid
        put32(1, at: 16)                       // cn_msg.id.idx CN_IDX_PROC
        put32(1, at: 20)                       // cn_msg.id.val CN_VAL_PROC
        message[32] = 4                        // cn_msg.len
        put32(1, at: 36)                       // PROC_CN_MCAST_LISTEN
        guard send(fileDescriptor, message, message.count, 0) == message.count else {
            let error = SystemCallError("subscribing to process events")
            close(fileDescriptor)
            throw error
        }
    }

    deinit { close(fileDescriptor) }

    /// Empties the socket; true when an event that can change a count (fork, exec, name
    /// change, exit) was among them.
    public func drain() -> Bool {
        var relevant = false
        for _ in 0..<256 {
            let n = recv(fileDescriptor, &buffer, buffer.count, 0)
            if n <= 0 { break }
            // proc_event.what follows nlmsghdr (16) and cn_msg (20).
            guard n >= 40 else { continue }
            let what = buffer[36..<40].withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self)) }
            if what == 0x1 || what == 0x2 || what == 0x200 || what == 0x8000_0000 { relevant = true }
        }
        return relevant
    }
}

/// What a `vrrp_track_process` counts, and keepalived's matching rules.
public struct ProcessPattern: Hashable, Sendable {
    public enum ParameterMatch: Hashable, Sendable { case exact, partial, initial }

    /// The command name (or argv[0] when matching command lines).
    public var command: String
    public var parameters: [String]
    /// nil: by name alone unless parameters are given (then exact).
    public var parameterMatch: ParameterMatch?
    /// `full_command`: match the command line, not the process name.
    public var fullCommand: Bool

    public init(command: String, parameters: [String] = [], parameterMatch: ParameterMatch? = nil, fullCommand: Bool = false) {
        self.command = command
        self.parameters = parameters
        self.parameterMatch = parameterMatch
        self.fullCommand = fullCommand
    }

    /// Whether command lines must be read.
    public var needsArguments: Bool { fullCommand || !parameters.isEmpty || parameterMatch != nil }

    public func matches(_ p: ProcessTable.Process) -> Bool {
        guard needsArguments else {
            // The kernel keeps 15 characters of a process name.
            return p.name == String(command.prefix(15))
        }
        guard let first = p.arguments.first, first == command else { return false }
        let args = p.arguments.dropFirst()
        let n = parameters.count
        switch parameterMatch ?? .exact {
        case .exact:
            return args.count == n && zip(args, parameters).allSatisfy(==)
        case .partial:
            return args.count >= n && zip(args, parameters).allSatisfy(==)
        case .initial:
            guard n > 0 else { return args.isEmpty }
            guard args.count >= n else { return false }
            let head = zip(args.prefix(n - 1), parameters.prefix(n - 1)).allSatisfy(==)
            return head && args[args.startIndex + n - 1].hasPrefix(parameters[n - 1])
        }
    }
}
