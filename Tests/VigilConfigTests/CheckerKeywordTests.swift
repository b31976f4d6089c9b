import Testing
@testable import VigilConfig

/// The LVS keywords keepalived 2.2.7 reads beyond the basics: tunnel types, the SSL block,
/// SSL_GET's options, http_protocol, fast_recovery, ha_suspend, omega.
struct CheckerKeywordTests {
    @Test func tunnelTypesAreReadWithKeepalivedsRules() {
        let result = load("""
        virtual_server 192.0.2.100 80 {
            protocol TCP
            lvs_method TUN type gue port 6080 csum
            sorry_server 203.0.113.9 80
            sorry_server_lvs_method TUN type gre csum
            real_server 198.51.100.1 80 {
            }
            real_server 198.51.100.2 80 {
                lvs_method TUN type gre
            }
            real_server 198.51.100.3 80 {
                lvs_method TUN
            }
        }
        """)
        #expect(result.errors.isEmpty, "\(result.diagnostics)")
        let vs = result.configuration.virtualServers[0]
        #expect(vs.forwardingMethod == .tun && vs.tunnel == TunnelOptions(kind: .gue, port: 6080, checksum: .csum))
        #expect(vs.realServers.map(\.tunnel) == [nil, TunnelOptions(kind: .gre), nil])
        #expect(vs.sorryServerForwardingMethod == .tun && vs.sorryServerTunnel == TunnelOptions(kind: .gre, checksum: .csum))
        // The dump writes the options back, and reads back the same.
        let dumped = Dumper.dump(result.configuration)
        #expect(dumped.contains("lb_kind TUN type gue port 6080 csum"))
        #expect(dumped.contains("lvs_method TUN type gre"))
        #expect(dumped.contains("sorry_server_lvs_method TUN type gre csum"))
        #expect(load(dumped).configuration == result.configuration)
    }

    /// fwmark: the mark on a checker's packets (SO_MARK), one of the connection options.
    @Test func fwmarkIsReadWrittenBackAndBoundedAtItsWord() {
        let result = load("""
        virtual_server 192.0.2.100 80 {
            protocol TCP
            real_server 198.51.100.1 80 {
                TCP_CHECK {
                    fwmark 7
                }
                HTTP_GET {
                    url {
                        path /
                    }
                    fwmark 4294967295
                }
            }
        }
        """)
        #expect(result.errors.isEmpty, "\(result.diagnostics)")
        guard case let .tcp(tcp) = result.firstChecker else { Issue.record("no TCP_CHECK"); return }
        #expect(tcp.options.fwmark == 7)
        #expect(Dumper.dump(result.configuration).contains("fwmark 4294967295"))
        #expect(result.dumpReadsBack)
        let bad = load("virtual_server 192.0.2.100 80 {\n    protocol TCP\n    real_server 198.51.100.1 80 {\n        TCP_CHECK {\n            fwmark 4294967296\n        }\n    }\n}\n")
        #expect(bad.errors.count == 1 && bad.errors[0].location.line == 5 && bad.errors[0].location.column == 20, "\(bad.diagnostics)")
    }

    @Test func badTunnelsAreErrorsAtTheirLine() {
        let result = load("""
        virtual_server 192.0.2.100 80 {
            protocol TCP
            real_server 198.51.100.1 80 {
                lvs_method TUN type gue
            }
            real_server 198.51.100.2 80 {
                lvs_method TUN type ipip csum
            }
            real_server 198.51.100.3 80 {
                lvs_method TUN type gre remcsum
            }
            real_server 198.51.100.4 80 {
                lvs_method TUN type vxlan
            }
            real_server 198.51.100.5 80 {
                lvs_method TUN type gre port 9
            }
            real_server 198.51.100.6 80 {
                lvs_method DR type gue
            }
        }
        """)
        #expect(result.found == ["4:bad-tunnel", "7:bad-tunnel", "10:bad-tunnel", "13:bad-value", "16:bad-tunnel", "19:extra-argument"])
        #expect(result.diagnostics[0].message == "a gue tunnel needs 'port N'")
    }

    @Test func sslBlockAndSSLGetOptions() {
        let result = load("""
        SSL {
            password s3cret
            ca /etc/vigil/ca.pem
            certificate /etc/vigil/client.pem
            key /etc/vigil/client.key
        }
        virtual_server 192.0.2.100 443 {
            protocol TCP
            ha_suspend
            omega
            real_server 198.51.100.1 443 {
                virtualhost www.example.test
                SSL_GET {
                    enable_sni
                    http_protocol 1.1
                    fast_recovery no
                    url {
                        path /health
                    }
                }
            }
            real_server 198.51.100.2 443 {
                HTTP_GET {
                    http_protocol 0.9
                    fast_recovery
                }
            }
        }
        """)
        #expect(result.found == ["24:bad-value"], "\(result.diagnostics)")
        let c = result.configuration
        #expect(c.ssl?.certificate == "/etc/vigil/client.pem" && c.ssl?.key == "/etc/vigil/client.key")
        #expect(c.ssl?.password == "s3cret" && c.ssl?.ca == "/etc/vigil/ca.pem")
        let vs = c.virtualServers[0]
        #expect(vs.haSuspend && vs.omega && vs.realServers[0].virtualhost == "www.example.test")
        guard case let .http(ssl) = vs.realServers[0].checkers[0], case let .http(plain) = vs.realServers[1].checkers[0] else {
            Issue.record("not HTTP checkers"); return
        }
        #expect(ssl.tls && ssl.enableSNI && ssl.httpProtocol == "1.1" && !ssl.fastRecovery)
        #expect(!plain.tls && plain.fastRecovery && plain.httpProtocol == nil)
        let dumped = Dumper.dump(c)
        #expect(dumped.contains("SSL {") && dumped.contains("enable_sni"))
        #expect(load(dumped).configuration == c)
    }

    @Test func anSSLBlockNeedsBothCertificateAndKey() {
        let result = load("""
        SSL {
            certificate /etc/vigil/client.pem
        }
        """)
        #expect(result.found == ["1:ssl-incomplete"])
    }
}

/// UDP_CHECK as keepalived 2.2.7 reads it: payload and require_reply in keepalived's hex
/// (spaces between octets, `x` for any nibble in a reply), the reply length bounds.
struct UDPCheckKeywordTests {
    @Test func readDumpedAndReadBack() throws {
        let result = load("""
        virtual_server 192.0.2.100 53 {
            protocol UDP
            real_server 198.51.100.1 53 {
                UDP_CHECK {
                    connect_timeout 2
                    payload 00 01 0a1B
                    require_reply 0a xX 1
                    min_reply_length 2
                    max_reply_length 512
                }
            }
        }
        """)
        #expect(result.errors.isEmpty && result.warnings.isEmpty, "\(result.diagnostics)")
        guard case let .udp(u) = try #require(result.firstChecker) else {
            Issue.record("not a UDP_CHECK")
            return
        }
        #expect(u.payload == [0x00, 0x01, 0x0a, 0x1b] && u.requireReply)
        #expect(u.replyData == [0x0a, 0x00, 0x01] && u.replyMask == [0, 0xff, 0])
        #expect(u.minReplyLength == 2 && u.maxReplyLength == 512 && u.options.connectTimeout == 2_000_000)
        let dumped = Dumper.dump(result.configuration)
        #expect(dumped.contains("payload 00010a1b") && dumped.contains("require_reply 0axx01"))
        #expect(result.dumpReadsBack)
    }

    @Test func badHexIsAnErrorAtItsWord() {
        let result = load("""
        virtual_server 192.0.2.100 53 {
            protocol UDP
            real_server 198.51.100.1 53 {
                UDP_CHECK {
                    payload 0g
                    require_reply
                    min_reply_length 9
                    max_reply_length 3
                }
            }
        }
        """)
        #expect(result.errors.map(\.location.line) == [5], "\(result.diagnostics)")
        #expect(result.errors.first?.message.contains("hex") == true)
        #expect(result.warnings.contains { $0.message.contains("always fails") })
        #expect(UDPCheck.hex("x1", wildcards: false) == nil && UDPCheck.hex("", wildcards: true) == nil)
        #expect(UDPCheck.hex("a b", wildcards: false)?.data == [0x0a, 0x0b], "a lone digit before a space is an octet")
    }
}

/// DNS_CHECK as keepalived 2.2.7 reads it.
struct DNSCheckKeywordTests {
    @Test func readDumpedAndReadBack() throws {
        let result = load("""
        virtual_server 192.0.2.100 53 {
            protocol UDP
            real_server 198.51.100.1 53 {
                DNS_CHECK {
                    type aaaa
                    name www.example.com
                    retry 2
                }
            }
        }
        """)
        #expect(result.errors.isEmpty && result.warnings.isEmpty, "\(result.diagnostics)")
        guard case let .dns(d) = try #require(result.firstChecker) else {
            Issue.record("not a DNS_CHECK")
            return
        }
        #expect(d.type == "AAAA" && d.name == "www.example.com" && d.options.retry == 2)
        let dumped = Dumper.dump(result.configuration)
        #expect(dumped.contains("type AAAA") && dumped.contains("name www.example.com"))
        #expect(load(dumped).configuration == result.configuration)
    }

    @Test func anUnknownTypeAndAnEmptyLabelAreErrorsAtTheirWord() {
        let result = load("""
        virtual_server 192.0.2.100 53 {
            protocol UDP
            real_server 198.51.100.1 53 {
                DNS_CHECK {
                    type SRV
                    name www..example.com
                }
            }
        }
        """)
        #expect(result.errors.map(\.location.line) == [5, 6], "\(result.diagnostics)")
        #expect(result.errors.map(\.location.column) == [18, 18])
    }
}

/// SMTP_CHECK as keepalived 2.2.7 reads it, with its deprecated host blocks.
struct SMTPCheckKeywordTests {
    @Test func readDumpedAndReadBack() throws {
        let result = load("""
        virtual_server 192.0.2.100 25 {
            protocol TCP
            real_server 198.51.100.1 25 {
                SMTP_CHECK {
                    helo_name lb1.example.test
                    retry 2
                    host {
                        connect_ip 198.51.100.2
                        connect_port 2525
                    }
                    host {
                        connect_ip 198.51.100.3
                    }
                }
            }
        }
        """)
        #expect(result.errors.isEmpty && result.warnings.isEmpty, "\(result.diagnostics)")
        guard case let .smtp(c) = try #require(result.firstChecker) else {
            Issue.record("not an SMTP_CHECK")
            return
        }
        #expect(c.heloName == "lb1.example.test" && c.options.retry == 2 && c.hosts.count == 2)
        #expect(c.hosts[0].options.connectPort == 2525 && c.hosts[1].options.connectIP?.description == "198.51.100.3")
        let dumped = Dumper.dump(result.configuration)
        #expect(dumped.contains("helo_name lb1.example.test") && dumped.contains("host {"))
        #expect(load(dumped).configuration == result.configuration)
    }
}

/// PING_CHECK: the checkers' options only.
struct PingCheckKeywordTests {
    @Test func readDumpedAndReadBack() throws {
        let result = load("""
        virtual_server 192.0.2.100 80 {
            protocol TCP
            real_server 198.51.100.1 80 {
                PING_CHECK {
                    connect_ip 198.51.100.2
                    retry 2
                }
            }
        }
        """)
        #expect(result.errors.isEmpty && result.warnings.isEmpty, "\(result.diagnostics)")
        guard case let .ping(p) = try #require(result.firstChecker) else {
            Issue.record("not a PING_CHECK")
            return
        }
        #expect(p.options.connectIP?.description == "198.51.100.2" && p.options.retry == 2)
        #expect(result.dumpReadsBack)
    }
}

/// HTTP_GET's url regex keywords (keepalived 2.2.7 with PCRE2).
struct URLRegexKeywordTests {
    @Test func readDumpedAndReadBack() throws {
        let result = load("""
        virtual_server 192.0.2.100 80 {
            protocol TCP
            real_server 198.51.100.1 80 {
                HTTP_GET {
                    url {
                        path /health
                        regex "Status: (OK|DEGRADED)"
                        regex_options caseless multiline
                        regex_min_offset 0
                        regex_max_offset 100
                    }
                    url {
                        path /errors
                        regex "panic"
                        regex_no_match
                    }
                }
            }
        }
        """)
        #expect(result.errors.isEmpty && result.warnings.isEmpty, "\(result.diagnostics)")
        guard case let .http(h) = try #require(result.firstChecker) else {
            Issue.record("not HTTP_GET")
            return
        }
        #expect(h.urls[0].regex == "Status: (OK|DEGRADED)" && h.urls[0].regexOptions == ["caseless", "multiline"])
        #expect(h.urls[0].regexMinOffset == 0 && h.urls[0].regexMaxOffset == 100 && h.urls[1].regexNoMatch)
        #expect(result.dumpReadsBack)
    }

    @Test func badPatternsOptionsAndOffsetsAreLocated() {
        let result = load("""
        virtual_server 192.0.2.100 80 {
            protocol TCP
            real_server 198.51.100.1 80 {
                HTTP_GET {
                    url {
                        path /
                        regex "(unclosed"
                        regex_options caseless sideways use_offset_limit
                        regex_min_offset 9
                        regex_max_offset 3
                    }
                }
            }
        }
        """)
        #expect(result.errors.map(\.location.line).sorted() == [5, 7, 8], "\(result.diagnostics)")
        #expect(result.warnings.contains { $0.location.line == 8 && $0.message.contains("use_offset_limit") })
    }
}

/// FILE_CHECK as keepalived 2.2.7 reads it: a track_file defined at the top, a weight and
/// reverse.
struct FileCheckKeywordTests {
    @Test func readDumpedAndReadBack() throws {
        let result = load("""
        track_file maint {
            file /run/maint
            weight 0
        }
        virtual_server 192.0.2.100 80 {
            protocol TCP
            real_server 198.51.100.1 80 {
                FILE_CHECK {
                    track_file maint
                    weight 5 reverse
                }
            }
        }
        """)
        #expect(result.errors.isEmpty && result.warnings.isEmpty, "\(result.diagnostics)")
        guard case let .file(f) = try #require(result.firstChecker) else {
            Issue.record("not FILE_CHECK")
            return
        }
        #expect(f.trackFile == "maint" && f.weight == 5 && f.reverse)
        #expect(result.dumpReadsBack)
    }

    @Test func anUndefinedFileAndABadWeightAreLocated() {
        let result = load("""
        virtual_server 192.0.2.100 80 {
            protocol TCP
            real_server 198.51.100.1 80 {
                FILE_CHECK {
                    track_file nowhere
                    weight 2 sideways
                }
                FILE_CHECK {
                }
            }
        }
        """)
        #expect(result.errors.map(\.location.line).sorted() == [5, 6, 8], "\(result.diagnostics)")
        #expect(result.errors.contains { $0.message.contains("'nowhere' is not defined") })
    }
}
