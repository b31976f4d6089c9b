// vrrp-inject: a test sender for the integration drills. It writes whole IPv4 packets
// (IP_HDRINCL), so it can send what no well-behaved VRRP router would: the wrong TTL, a
// bad checksum, a short payload, someone else's source address. Each case breaks exactly
// one of the receive checks of RFC 3768 §7.1 / RFC 5798 §7.1; `valid` breaks none and is
// the drill's proof that the packets do reach the daemon.
//
//   vrrp-inject INTERFACE CASE [key=value ...]
//   keys: version=2|3 vrid=51 priority=254 interval=1 (seconds) pass=secret
//         vip=192.0.2.100 source=ADDR (0.0.0.0: the kernel picks) count=1 dest=224.0.0.18
//         rate=N (packets per second, paced every millisecond; 0: as fast as it can)

#if canImport(Glibc)
import Glibc
#endif
import VRRP
import VigilTypes

let cases = ["valid", "ttl", "version", "type", "checksum", "too_short", "count_mismatch", "unknown_vrid",
             "auth_type", "auth_password", "advert_interval", "advert_interval_zero", "address_list", "own_advert"]

func fail(_ message: String) -> Never {
    print("vrrp-inject: \(message)")
    exit(2)
}

func address(_ text: String) -> IPv4Address {
    let parts = text.split(separator: ".").compactMap { UInt8($0) }
    guard parts.count == 4 else { fail("not an IPv4 address: \(text)") }
    return IPv4Address(parts[0], parts[1], parts[2], parts[3])
}

let arguments = CommandLine.arguments
guard arguments.count >= 3, cases.contains(arguments[2]) else {
    fail("usage: vrrp-inject INTERFACE CASE [key=value ...]; cases: \(cases.joined(separator: " "))")
}
let interface = arguments[1], kind = arguments[2]
var options: [String: String] = [:]
for pair in arguments.dropFirst(3) {
    let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
    guard kv.count == 2 else { fail("expected key=value: \(pair)") }
    options[kv[0]] = kv[1]
}
let version: VRRPVersion = options["version"] == "3" ? .v3 : .v2
var vrid = UInt8(options["vrid"] ?? "51") ?? 51
let priority = UInt8(options["priority"] ?? "254") ?? 254
var interval = Int64((Double(options["interval"] ?? "1") ?? 1) * 1_000_000)
var password = Array((options["pass"] ?? "secret").utf8)
var vips = [address(options["vip"] ?? "192.0.2.100")]
var source = address(options["source"] ?? "0.0.0.0")
let destination = address(options["dest"] ?? "224.0.0.18")
let count = max(1, min(Int(options["count"] ?? "1") ?? 1, 10_000_000))
let rate = max(0, Int(options["rate"] ?? "0") ?? 0)
var ttl: UInt8 = 255

switch kind {
case "ttl": ttl = 64
case "unknown_vrid": vrid = vrid &+ 1
case "auth_password": password = Array("wrong".utf8)
case "advert_interval": interval += 1_000_000
case "address_list": vips = [address("192.0.2.199")]
case "own_advert": if let own = options["own"] { source = address(own) } else { fail("own_advert needs own=ADDRESS") }
default: break
}
let authentication: Advertisement.Authentication = kind == "auth_type" || version == .v3 ? .none : .simple(password: password)
let advert = Advertisement(version: version, virtualRouterID: vrid, priority: priority, advertisementInterval: interval,
                           addresses: vips, authentication: authentication)
var payload = advert.encode(source: source, destination: destination)

/// Recomputes the checksum after a change to the bytes (v3: over the pseudo-header).
@MainActor func reseal(_ bytes: inout [UInt8]) {
    bytes[6] = 0
    bytes[7] = 0
    let initial = version == .v3
        ? InternetChecksum.pseudoHeaderSum(source: source, destination: destination, length: bytes.count) : 0
    let sum = InternetChecksum.finish(InternetChecksum.sum(bytes, initial: initial))
    bytes[6] = UInt8(sum >> 8)
    bytes[7] = UInt8(sum & 0xff)
}
switch kind {
case "version": payload[0] = 4 << 4 | 1; reseal(&payload)
case "type": payload[0] = payload[0] & 0xf0 | 2; reseal(&payload)
case "checksum": payload[7] ^= 0x5a
case "too_short": payload = Array(payload.prefix(6))
case "count_mismatch": payload[3] = 3; reseal(&payload)
// The interval field 0 (the encoder never writes it): v2 byte 5; v3 the low 12 bits of 4-5.
case "advert_interval_zero":
    if version == .v3 { payload[4] &= 0xf0 }
    payload[5] = 0
    reseal(&payload)
default: break
}

// The IPv4 header: the kernel fills in the total length, the identification and the header
// checksum (raw(7)), and the source when it is 0.0.0.0.
var packet: [UInt8] = [0x45, 0xc0, 0, 0, 0, 0, 0x40, 0, ttl, Advertisement.ipProtocol, 0, 0]
packet += source.bytes + destination.bytes + payload

let fd = socket(AF_INET, Int32(SOCK_RAW.rawValue), Int32(IPPROTO_RAW))
guard fd >= 0 else { fail("socket: \(String(cString: strerror(errno)))") }
var one: Int32 = 1
setsockopt(fd, Int32(IPPROTO_IP), IP_HDRINCL, &one, socklen_t(MemoryLayout<Int32>.size))
let bound = interface.withCString { setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, $0, socklen_t(strlen($0) + 1)) }
guard bound == 0 else { fail("SO_BINDTODEVICE \(interface): \(String(cString: strerror(errno)))") }
var target = sockaddr_in()
target.sin_family = sa_family_t(AF_INET)
target.sin_addr.s_addr = destination.value.bigEndian
func monotonicNanoseconds() -> Int64 {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Int64(t.tv_sec) * 1_000_000_000 + Int64(t.tv_nsec)
}
var sent = 0
let started = monotonicNanoseconds()
for i in 0..<count {
    if rate > 0, i % max(1, rate / 1000) == 0 {
        // Packet i is due at started + i/rate: sleep until then (bounded: never past 1 s).
        let due = started + Int64(i) * 1_000_000_000 / Int64(rate)
        let wait = due - monotonicNanoseconds()
        if wait > 0 { usleep(UInt32(min(wait / 1000, 1_000_000))) }
    }
    let n = packet.withUnsafeBytes { bytes in
        withUnsafePointer(to: &target) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(fd, bytes.baseAddress, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
    }
    if n < 0 {
        if errno == ENOBUFS { usleep(100); continue }
        fail("sendto: \(String(cString: strerror(errno)))")
    }
    sent += 1
}
let seconds = Double(monotonicNanoseconds() - started) / 1e9
print("vrrp-inject: sent \(sent) \(kind) packet(s) on \(interface) in \((seconds * 1000).rounded() / 1000) s (\(Int(Double(sent) / max(seconds, 1e-9))) per second)")
