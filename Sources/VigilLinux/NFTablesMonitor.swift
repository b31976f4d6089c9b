#if canImport(Glibc)
import Glibc
#endif
import CNetlink

/// Changes to Vigil's nftables table (`table inet vigil`, the drop rules of `no_accept`)
/// made by another program: `nft flush ruleset`, a firewall manager reloading its rules,
/// an operator's `nft delete table inet vigil`. A master whose drop rules vanish answers
/// on its VIPs, which `vrrp_strict` forbids.
///
/// nftables announces every committed transaction on NFNLGRP_NFTABLES: the objects it
/// deleted, then NFT_MSG_NEWGEN naming the process that committed it (NFTA_GEN_PROC_PID).
/// A transaction that deleted anything of the table and came from a process other than
/// the `nft` runs Vigil made itself is reported.
public final class NFTablesMonitor {
    /// What one read of the socket produced.
    public enum Reading: Sendable, Equatable {
        /// PIDs of the processes whose transactions deleted something of Vigil's table
        /// (empty: nothing of interest).
        case touched(by: [Int32])
        /// The kernel dropped messages: the caller checks the table.
        case lost
    }

    private let subscription: NetlinkSubscription
    public var fileDescriptor: Int32 { subscription.fileDescriptor }
    private let tableName: String
    private var touchedInThisTransaction = false
    private var touchedBy: [Int32] = []

    /// `table`: the table's name (`vigil`).
    public init(table: String) throws {
        tableName = table
        subscription = try NetlinkSubscription(protocol: NETLINK_NETFILTER, groups: [UInt32(NFNLGRP_NFTABLES.rawValue)],
                                               what: "nftables events")
    }

    /// Reads what is waiting (bounded: at most 64 batches per call).
    public func read() -> Reading {
        touchedBy.removeAll()
        guard subscription.read({ parse($0) }) else { return .lost }
        return .touched(by: touchedBy)
    }

    /// The deletions Vigil watches; each names its table in attribute 1 (NFTA_TABLE_NAME,
    /// NFTA_CHAIN_TABLE, NFTA_RULE_TABLE, NFTA_SET_TABLE, NFTA_SET_ELEM_LIST_TABLE).
    static let deletions: Set<Int32> = [NFT_MSG_DELTABLE, NFT_MSG_DELCHAIN, NFT_MSG_DELRULE, NFT_MSG_DELSET,
                                        NFT_MSG_DELSETELEM].map { Int32($0.rawValue) }.reduce(into: []) { $0.insert($1) }

    private func parse(_ header: UnsafeMutablePointer<nlmsghdr>) {
        let type = Int32(header.pointee.nlmsg_type)
        guard type >> 8 == NFNL_SUBSYS_NFTABLES else { return }
        let message = type & 0xff
        let headerSize = Int32(MemoryLayout<nfgenmsg>.size)
        if Self.deletions.contains(message) {
            if let attribute = nlmsg_find_attr(header, headerSize, 1), let data = nla_data(attribute) {
                let bytes = UnsafeRawBufferPointer(start: data, count: Int(nla_len(attribute)))
                if String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self) == tableName { touchedInThisTransaction = true }
            }
        } else if message == Int32(NFT_MSG_NEWGEN.rawValue) {
            defer { touchedInThisTransaction = false }
            guard touchedInThisTransaction else { return }
            var pid: Int32 = 0
            if let attribute = nlmsg_find_attr(header, headerSize, Int32(NFTA_GEN_PROC_PID.rawValue)),
               let data = nla_data(attribute), nla_len(attribute) >= 4 {
                pid = Int32(bigEndian: data.loadUnaligned(as: Int32.self))
            }
            touchedBy.append(pid)
        }
    }
}
