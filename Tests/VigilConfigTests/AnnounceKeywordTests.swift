import Testing
@testable import VigilConfig

/// Vigil's own `announce ADDRESS { … }`: read on `@vigil` lines whatever the config id,
/// every mistake a located error, the dump read back as the same model.
struct AnnounceKeywordTests {
    static let base = """
        vrrp_instance VI_1 {
            interface eth0
            virtual_router_id 51
            virtual_ipaddress {
                192.0.2.100/24
            }
        }
        virtual_server 203.0.113.10 80 {
            protocol TCP
            real_server 198.51.100.11 80 {
            }
        }

        """

    @Test func aBlockOnVigilLinesIsReadAndDumpedBack() {
        let result = load(Self.base + """
            @vigil announce 203.0.113.10 {
            @vigil     virtual_server 203.0.113.10 80
            @vigil     vrrp_instance VI_1
            @vigil }

            """)
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        let a = result.configuration.announcements
        #expect(a.count == 1 && a.first?.address == IPAddress("203.0.113.10"))
        #expect(a.first?.conditions.map { condition -> String in
            switch condition {
            case let .virtualServer(key, _): "\(key)"
            case let .vrrpInstance(name, _): name
            }
        } == ["203.0.113.10:80", "VI_1"])
        let dumped = Dumper.dump(result.configuration)
        #expect(dumped.contains("announce 203.0.113.10 {\n    virtual_server 203.0.113.10 80\n    vrrp_instance VI_1\n}"), "\(dumped)")
        #expect(load(dumped).configuration == result.configuration)
        // @^vigil lines are the ones no Vigil reads.
        #expect(load(Self.base + "@^vigil announce 203.0.113.10 {\n@^vigil vrrp_instance VI_1\n@^vigil }\n").configuration.announcements.isEmpty)
    }

    @Test func mistakesAreLocatedErrors() {
        let text = Self.base + """
            announce 203.0.113.10 {
            }
            announce 203.0.113.11 {
                virtual_server 203.0.113.11 80
                vrrp_instance VI_9
            }
            announce 203.0.113.11 {
                vrrp_instance VI_1
            }
            announce not-an-address {
                vrrp_instance VI_1
            }

            """
        let found = load(text).diagnostics.filter { $0.severity == .error }.map { "\($0.location.line):\($0.location.column) \($0.message)" }
        #expect(found == [
            "13:1 announce 203.0.113.10 needs a 'virtual_server' or a 'vrrp_instance' to follow (announced while they are up here)",
            "16:5 announce 203.0.113.11 follows virtual_server 203.0.113.11:80, which is not defined",
            "17:5 announce 203.0.113.11 follows vrrp_instance 'VI_9', which is not defined",
            "19:1 announce 203.0.113.11 is already written at line 15",
            "22:10 announced address 'not-an-address' is not an IPv4 or IPv6 address",
        ], "\(found)")
    }
}
