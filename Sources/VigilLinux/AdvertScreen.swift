#if canImport(Glibc)
import Glibc
#endif
import CLinux
import VRRP

/// Which received packets could be an advert one of a socket's instances accepts: its
/// VRID, its version, and — for VRRPv2 with `auth_type PASS` — its password. The kernel
/// sorts by it (`VRRPSocket`): what passes is queued on the socket's own descriptor, the
/// rest on a second one the loop reads after it. A flood of packets that cannot pass
/// (another VRID, a wrong password) then fills only the second queue: the master's adverts
/// never wait behind it nor are dropped at a full queue, so a backup under such a flood
/// does not take over. Both queues are read and every packet is checked in full and
/// counted by reason, as before; the screen only decides the order and which queue a
/// flood can fill. (An attacker who knows the password, sent in clear on the LAN, or a
/// VRID without authentication, is screened by VRID only — such an attacker can take
/// over with one advert anyway.)
///
/// Coarser than the receive checks, never stricter: anything an instance would accept
/// passes. The programs for the two queues are exact complements — every packet lands in
/// exactly one: each path ends in a return, and no load reaches past the packet (a load
/// out of bounds would drop the packet from both).
public struct AdvertScreen: Hashable, Sendable {
    /// One instance's part: packets for `virtualRouterID` in `version`, with the 8 bytes of
    /// authentication data as sent when `password` is set (VRRPv2 PASS).
    public struct Admitted: Hashable, Sendable {
        public var virtualRouterID: UInt8
        public var version: VRRPVersion
        public var password: [UInt8]?

        public init(virtualRouterID: UInt8, version: VRRPVersion, password: [UInt8]? = nil) {
            self.virtualRouterID = virtualRouterID
            self.version = version
            self.password = password.map { Array($0.prefix(8)) + [UInt8](repeating: 0, count: max(0, 8 - $0.count)) }
        }
    }

    public var admitted: [Admitted]
    public var ipv6: Bool

    public init(_ admitted: [Admitted], ipv6: Bool) {
        self.admitted = admitted
        self.ipv6 = ipv6
    }

    /// The program for the socket that keeps what passes (`passing: true`) or what does not.
    func program(passing: Bool) -> [sock_filter] {
        let pass = passing ? SocketFilter.keep : SocketFilter.drop
        let fail = passing ? SocketFilter.drop : SocketFilter.keep
        func s(_ code: Int32, _ k: UInt32 = 0) -> sock_filter { SocketFilter.statement(code, k) }
        // "Go on if the condition holds, else fail": the jump skips the return after it.
        func require(_ code: Int32, _ k: UInt32 = 0) -> [sock_filter] {
            [SocketFilter.jump(BPF_JMP | code, k, 1, 0), SocketFilter.ret(fail)]
        }
        // Scratch memory: M[0] the IP header's length (X for indexed loads: 0 for IPv6, whose
        // raw sockets see the payload only), M[1] the VRRP part's length, M[2] the offset of
        // the authentication data, M[3] and M[4] the expected password, M[5] the expected
        // version/type byte, M[6] the absolute offset of the authentication data.
        var prologue: [sock_filter]
        if ipv6 {
            prologue = [s(BPF_LDX | BPF_IMM, 0), s(BPF_STX, 0), s(BPF_LD | BPF_W | BPF_LEN)]
        } else {
            prologue = [s(BPF_LDX | BPF_B | BPF_MSH, 0), s(BPF_STX, 0), s(BPF_LD | BPF_W | BPF_LEN)]
            prologue += require(BPF_JGE | BPF_X)                        // the whole IP header is there
            prologue += [s(BPF_ALU | BPF_SUB | BPF_X)]
        }
        prologue += [s(BPF_ST, 1)]
        prologue += require(BPF_JGE | BPF_K, 8)                         // the fixed VRRP header
        prologue += [s(BPF_LD | BPF_B | BPF_IND, 1)]                     // the VRID
        // The shared checks each instance's block jumps to once it set M[5] (and M[3], M[4]).
        let header = [s(BPF_LD | BPF_B | BPF_IND, 0), s(BPF_LDX | BPF_MEM, 5)]
        let versionOnly = header + [SocketFilter.jump(BPF_JMP | BPF_JEQ | BPF_X, 0, 0, 1), SocketFilter.ret(pass),
                                    SocketFilter.ret(fail)]
        var withPassword = header + require(BPF_JEQ | BPF_X)
        withPassword += [s(BPF_LDX | BPF_MEM, 0), s(BPF_LD | BPF_B | BPF_IND, 4)]
        withPassword += require(BPF_JEQ | BPF_K, 1)                     // auth type PASS
        withPassword += [s(BPF_LD | BPF_B | BPF_IND, 3), s(BPF_ALU | BPF_LSH | BPF_K, 2),
                         s(BPF_ALU | BPF_ADD | BPF_K, 8), s(BPF_ST, 2),  // 8 + 4 × count
                         s(BPF_ALU | BPF_ADD | BPF_K, 8), s(BPF_MISC | BPF_TAX), s(BPF_LD | BPF_MEM, 1)]
        withPassword += require(BPF_JGE | BPF_X)                        // the data is there
        withPassword += [s(BPF_LDX | BPF_MEM, 0), s(BPF_LD | BPF_MEM, 2), s(BPF_ALU | BPF_ADD | BPF_X),
                         s(BPF_ST, 6), s(BPF_MISC | BPF_TAX),
                         s(BPF_LD | BPF_W | BPF_IND, 0), s(BPF_LDX | BPF_MEM, 3)]
        withPassword += require(BPF_JEQ | BPF_X)
        withPassword += [s(BPF_LDX | BPF_MEM, 6), s(BPF_LD | BPF_W | BPF_IND, 4), s(BPF_LDX | BPF_MEM, 4),
                         SocketFilter.jump(BPF_JMP | BPF_JEQ | BPF_X, 0, 0, 1), SocketFilter.ret(pass),
                         SocketFilter.ret(fail)]
        // Per instance: "jeq VRID, next, skip; ja block", then the blocks, then the shared parts.
        // A VRID that two entries claim differently (never from a valid configuration:
        // one socket's instances have distinct VRIDs) passes on its VRID alone.
        let claims = Dictionary(grouping: admitted, by: \.virtualRouterID)
        let shared = Set(claims.filter { Set($0.value).count > 1 }.keys)
        let dispatchLength = 2 * admitted.count + 1
        let blockLengths = admitted.map { shared.contains($0.virtualRouterID) ? 1 : $0.password == nil ? 3 : 7 }
        // Only the shared parts some block jumps to, the one with the password first: the
        // kernel's checker follows a fall-through past a return, and wants every scratch
        // cell read there (M[3], M[4]) written on that path too.
        let blocksStart = prologue.count + dispatchLength
        let passwordPart = admitted.contains { $0.password != nil } ? withPassword : []
        let versionPart = admitted.contains { $0.password == nil } ? versionOnly : []
        let withPasswordStart = blocksStart + blockLengths.reduce(0, +)
        let versionOnlyStart = withPasswordStart + passwordPart.count
        var program = prologue
        var blockAt = blocksStart
        for (entry, length) in zip(admitted, blockLengths) {
            program += [SocketFilter.jump(BPF_JMP | BPF_JEQ | BPF_K, UInt32(entry.virtualRouterID), 0, 1),
                        s(BPF_JMP | BPF_JA, UInt32(blockAt - (program.count + 2)))]
            blockAt += length
        }
        program += [SocketFilter.ret(fail)]                               // no instance's VRID
        for entry in admitted {
            if shared.contains(entry.virtualRouterID) {
                program += [SocketFilter.ret(pass)]
                continue
            }
            program += [s(BPF_LD | BPF_IMM, UInt32(entry.version.rawValue) << 4 | 1), s(BPF_ST, 5)]
            if let password = entry.password {
                let word = { (at: Int) in password[at..<at + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) } }
                program += [s(BPF_LD | BPF_IMM, word(0)), s(BPF_ST, 3), s(BPF_LD | BPF_IMM, word(4)), s(BPF_ST, 4)]
                program += [s(BPF_JMP | BPF_JA, UInt32(withPasswordStart - (program.count + 1)))]
            } else {
                program += [s(BPF_JMP | BPF_JA, UInt32(versionOnlyStart - (program.count + 1)))]
            }
        }
        return program + passwordPart + versionPart
    }

    /// The kernel's limit on a classic program (BPF_MAXINSNS); a screen longer than it
    /// (about 450 instances with passwords on one socket) is not attached: everything
    /// then shares one queue, as without a screen.
    static let maximumLength = 4096
}
