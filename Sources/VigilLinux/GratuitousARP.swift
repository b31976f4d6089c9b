#if canImport(Glibc)
import Glibc
#endif
import VRRP
import CLinux
import VigilTypes

/// Gratuitous ARP on an Ethernet interface, from an AF_PACKET socket.
///
/// The frame is what keepalived sends: an ARP request, broadcast, whose sender and target
/// protocol addresses are both the virtual address and whose target hardware address is
/// the broadcast address; switches and neighbours update their tables from it.
public final class GratuitousARP {
    public let fileDescriptor: Int32
    public let interfaceIndex: Int32
    public let hardwareAddress: [UInt8]

    public init(interfaceIndex: Int32, hardwareAddress: [UInt8]) throws {
        let protocolARP = UInt16(ETH_P_ARP).bigEndian
        let fd = socket(AF_PACKET, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), Int32(protocolARP))
        guard fd >= 0 else { throw SystemCallError("socket(AF_PACKET)") }
        fileDescriptor = fd
        self.interfaceIndex = interfaceIndex
        self.hardwareAddress = hardwareAddress
    }

    deinit { close(fileDescriptor) }

    /// The 42-byte Ethernet frame announcing `address` at `mac`.
    public static func frame(announcing address: IPv4Address, from mac: [UInt8]) -> [UInt8] {
        precondition(mac.count == 6)
        let broadcast = [UInt8](repeating: 0xff, count: 6)
        var frame = broadcast + mac + [0x08, 0x06]          // Ethernet: dst, src, type ARP
        frame += [0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01]  // Ethernet/IPv4, request
        frame += mac + address.bytes + broadcast + address.bytes
        return frame
    }

    public func announce(_ address: IPv4Address) throws {
        let frame = Self.frame(announcing: address, from: hardwareAddress)
        var link = sockaddr_ll()
        link.sll_family = UInt16(AF_PACKET)
        link.sll_protocol = UInt16(ETH_P_ARP).bigEndian
        link.sll_ifindex = interfaceIndex
        link.sll_halen = 6
        withUnsafeMutableBytes(of: &link.sll_addr) { for i in 0..<6 { $0[i] = 0xff } }
        let sent = frame.withUnsafeBytes { bytes in
            withUnsafePointer(to: &link) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fileDescriptor, bytes.baseAddress, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_ll>.size))
                }
            }
        }
        if sent < 0 { throw SystemCallError("gratuitous ARP for \(address)") }
    }
}
