/// The keywords of Vigil's `announce ADDRESS { … }` block.
enum AnnounceKeyword: String, ImplementedKeyword {
    static let block = BlockKind.announce
    case virtualServer = "virtual_server"
    case vrrpInstance = "vrrp_instance"
}

extension ModelBuilder {
    /// `announce ADDRESS { virtual_server ADDR PORT | fwmark N | group NAME; vrrp_instance NAME }`.
    func readAnnouncement(_ s: Statement) -> Announcement? {
        guard let first = s.arguments.first else {
            diagnostics.error("missing-argument", at: s.location, "'announce' needs the address to announce")
            return nil
        }
        guard let address = address(first, what: "announced address"), let block = blockExpected(s) else { return nil }
        if s.arguments.count > 1 {
            diagnostics.warning("extra-argument", at: s.arguments[1].location, "extra words after 'announce \(first.text)' are ignored")
        }
        var a = Announcement(address: address, origin: Origin(s.location))
        var unsupported: [Statement] = []
        each(block, AnnounceKeyword.self, path: "announce \(first.text)", unsupported: &unsupported) { keyword, s in
            switch keyword {
            case .virtualServer:
                if let key = readServiceKey(s) { a.conditions.append(.virtualServer(key, Origin(s.location))) }
            case .vrrpInstance:
                if let name = word(s, "a vrrp_instance name") { a.conditions.append(.vrrpInstance(name, Origin(s.location))) }
            }
            return true
        }
        a.unsupported = unsupported
        if a.conditions.isEmpty {
            diagnostics.error("missing-condition", at: s.location,
                              "announce \(first.text) needs a 'virtual_server' or a 'vrrp_instance' to follow (announced while they are up here)")
        }
        return a
    }
}
