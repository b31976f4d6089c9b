import Testing
@testable import VigilConfig

@Suite struct ParserTests {
    func parse(_ text: String) -> ([Statement], DiagnosticEngine) {
        let engine = DiagnosticEngine()
        var pre = Preprocessor(reader: InMemorySourceReader(["f": text]), diagnostics: engine, configID: nil)
        try! pre.run(mainFile: "f")
        return (Parser.parse(pre.tokens, diagnostics: engine), engine)
    }

    @Test func nestedBlocksOnOneLineReadLikeSpreadOut() {
        let (one, _) = parse("real_server 192.0.2.21 80 { TCP_CHECK { connect_timeout 3 } }\nweight 1")
        let (spread, _) = parse("""
        real_server 192.0.2.21 80
        {
            TCP_CHECK {
                connect_timeout 3
            }
        }
        weight 1
        """)
        #expect(one == spread)
        #expect(one.map(\.name) == ["real_server", "weight"])
        #expect(one[0].block?.map(\.name) == ["TCP_CHECK"])
        #expect(one[0].block?.first?.block?.first?.values == ["3"])
    }

    /// `weight 1 TCP_CHECK {`: the catalog says TCP_CHECK opens a block in a real_server and
    /// weight does not, so the line holds two statements.
    @Test func blockKeywordAfterALeafStartsItsOwnStatement() {
        let (one, engine) = parse("virtual_server 192.0.2.1 80 { real_server 192.0.2.21 80 { weight 1 TCP_CHECK { connect_timeout 3 } } }")
        #expect(engine.sorted.isEmpty)
        let real = one.first?.block?.first
        #expect(real?.block?.map(\.name) == ["weight", "TCP_CHECK"])
        #expect(real?.block?.first?.values == ["1"])
        #expect(real?.block?.last?.block?.first?.values == ["3"])
        // Where the catalog has no say (an unknown block), the words stay together.
        let (unknown, _) = parse("mystery { weight 1 TCP_CHECK { x } }")
        #expect(unknown.first?.block?.map(\.name) == ["weight"])
    }

    @Test func statementsEndAtABraceOnTheSameLine() {
        let (statements, _) = parse("authentication { auth_type PASS\n auth_pass x }")
        #expect(statements.count == 1)
        #expect(statements[0].block?.map(\.values) == [["PASS"], ["x"]])
    }

    @Test func unterminatedBlockIsReportedAtItsBrace() {
        let (_, engine) = parse("global_defs {\n  router_id lb1\n")
        #expect(engine.diagnostics.map(\.id) == ["unterminated-block"])
        #expect(engine.diagnostics[0].location.line == 1)
        #expect(engine.diagnostics[0].location.column == 13)
    }

    @Test func strayCloseBraceIsReportedAndReadingGoesOn() {
        let (statements, engine) = parse("}\nglobal_defs {\n}\n")
        #expect(engine.diagnostics.map(\.id) == ["unmatched-close"])
        #expect(statements.map(\.name) == ["global_defs"])
    }

    @Test func unknownBlockDoesNotCloseItsParent() {
        // keepalived lets the '}' of an unknown block close the enclosing one.
        let result = load(instance("""
            bogus_block {
                whatever 1
            }
            priority 120
        """))
        #expect(result.configuration.vrrpInstances[0].priority == 120)
        #expect(result.has("unknown-keyword", line: 7, .warning))
    }
}
