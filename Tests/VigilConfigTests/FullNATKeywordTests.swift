import Testing
@testable import VigilConfig

/// FNAT (Vigil's own, in DPVS's words): `lb_kind FNAT`, `laddr_group_name`,
/// `local_address_group`; read, dumped back, and every mistake a located error.
struct FullNATKeywordTests {
    static let service = """
        virtual_server 203.0.113.10 80 {
            lb_algo mh
            lb_kind FNAT
            laddr_group_name lip
            protocol TCP
            real_server 198.18.0.21 80 {
            }
        }

        """

    @Test func aServiceAndItsPoolAreReadAndDumpedBack() {
        let result = load("""
            local_address_group lip {
                198.18.0.101-103
                2001:db8:18::1:101-1ff
            }

            """ + Self.service)
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        let group = result.configuration.localAddressGroups.first
        #expect(group?.name == "lip")
        #expect(group?.entries.map(\.text) == ["198.18.0.101-103", "2001:db8:18::1:101-1ff"])
        #expect(group?.entries.map(\.range.last.description) == ["198.18.0.103", "2001:db8:18::1:1ff"])
        #expect(group?.entries.first?.contains(IPAddress("198.18.0.102")!) == true)
        #expect(group?.entries.first?.contains(IPAddress("198.18.0.104")!) == false)
        let vs = result.configuration.virtualServers.first
        #expect(vs?.forwardingMethod == .fnat && vs?.localAddressGroup?.name == "lip")
        let dumped = Dumper.dump(result.configuration)
        #expect(dumped.contains("local_address_group lip {\n    198.18.0.101-103\n    2001:db8:18::1:101-1ff\n}"), "\(dumped)")
        #expect(dumped.contains("    lb_kind FNAT\n    laddr_group_name lip\n"), "\(dumped)")
        #expect(load(dumped).configuration == result.configuration)
    }

    /// Each mistake named at its line and column, with keepalived's and DPVS's words.
    @Test func mistakesAreLocatedErrors() {
        let text = """
            local_address_group lip {
                198.18.0.101-103
                198.18.0.110
                198.18.0.120 eth1
            }
            local_address_group lip {
                198.18.0.130
            }
            virtual_server 203.0.113.10 80 {
                lb_kind FNAT
                protocol TCP
                real_server 198.18.0.21 80 {
                }
            }
            virtual_server 203.0.113.11 80 {
                lb_kind FNAT
                laddr_group_name lpi
                protocol TCP
                real_server 198.18.0.21 80 {
                }
            }
            virtual_server 203.0.113.12 80 {
                lb_kind DR
                laddr_group_name lip
                protocol TCP
                real_server 198.18.0.21 80 {
                    lvs_method FNAT
                }
            }
            virtual_server 2001:db8:3::10 80 {
                lb_kind FNAT
                laddr_group_name lip
                protocol TCP
                real_server 2001:db8:18::21 80 {
                    lvs_method NAT
                }
            }
            virtual_server 198.18.0.102 80 {
                lb_kind FNAT
                laddr_group_name lip
                protocol TCP
                real_server 198.18.0.22 8080 {
                }
            }

            """
        let result = load(text)
        let lines = result.diagnostics.map { "\($0.location.line):\($0.location.column) \($0.message)" }
        let expected: [(line: Int, column: Int, says: String)] = [
            (2, 5, "local_address_group lip: 198.18.0.101-103 includes 198.18.0.102, an address of virtual_server 198.18.0.102:80"),
            (3, 5, "local_address_group lip: a second IPv4 entry (198.18.0.110)"),
            (4, 18, "'eth1' after 198.18.0.120: Vigil does not add a local_address_group's addresses to an interface"),
            (6, 1, "local_address_group lip is already defined at"),
            (9, 1, "virtual_server 203.0.113.10:80: lb_kind FNAT needs 'laddr_group_name NAME'"),
            (17, 5, "virtual_server 203.0.113.11:80: local_address_group 'lpi' is not defined (did you mean 'lip'?)"),
            (24, 5, "virtual_server 203.0.113.12:80: laddr_group_name applies to lb_kind FNAT only (this virtual server is DR)"),
            (26, 5, "real_server 198.18.0.21 80 in virtual_server 203.0.113.12:80: lvs_method FNAT needs the virtual server's lb_kind FNAT"),
            (32, 5, "virtual_server [2001:db8:3::10]:80: local_address_group lip has no IPv6 address for this IPv6 service"),
            (34, 5, "real_server 2001:db8:18::21 80 in virtual_server [2001:db8:3::10]:80: lvs_method NAT under lb_kind FNAT"),
        ]
        for e in expected {
            #expect(lines.contains { $0.hasPrefix("\(e.line):\(e.column) \(e.says)") },
                    "missing at \(e.line):\(e.column): \(e.says)\nall:\n\(lines.joined(separator: "\n"))")
        }
        #expect(lines.count == expected.count, "\(lines.joined(separator: "\n"))")
        #expect(result.diagnostics.allSatisfy { $0.severity == .error }, "\(lines)")
        // A FNAT service may map ports (IPVS NAT underneath): no port-mapping error.
        #expect(!lines.contains { $0.contains("cannot map port") }, "\(lines)")
    }
}
