import Foundation
import Testing
@testable import VigilConfig

@Suite struct PreprocessorTests {
    @Test func includeWithGlobIsRelativeToTheIncludingFile() {
        let result = load("include conf.d/*.conf\n", files: [
            "/cfg/conf.d/a.conf": instance("priority 100", name: "VI_A"),
            "/cfg/conf.d/b.conf": instance("priority 90", name: "VI_B").replacingOccurrences(of: "51", with: "52"),
            "/cfg/conf.d/c.txt": "this is not included",
        ])
        #expect(result.errors.isEmpty, "\(result.diagnostics)")
        #expect(result.configuration.vrrpInstances.map(\.name) == ["VI_A", "VI_B"])
        #expect(result.files == ["/cfg/keepalived.conf", "/cfg/conf.d/a.conf", "/cfg/conf.d/b.conf"])
        // Locations point into the included file.
        #expect(result.configuration.vrrpInstances[1].origin.location.file == "/cfg/conf.d/b.conf")
    }

    @Test func missingIncludeIsALocatedError() {
        let result = load("global_defs {\n}\ninclude missing.conf\n")
        #expect(result.has("include-not-found", line: 3, .error))
        #expect(result.diagnostics.first?.location.column == 9)
    }

    @Test func globMatchingNothingIsOnlyAWarning() {
        let result = load("include conf.d/*.conf\n")
        #expect(result.has("include-no-match", line: 1, .warning))
        #expect(result.errors.isEmpty)
    }

    /// keepalived's `includew` / `includea` insist that a pattern matches; `includer` etc.
    /// read like `include`; `includex` is no include at all.
    @Test func includeVariants() {
        let files = ["/c/main.conf": "includew /c/none/*.conf\nincluder /c/none/*.conf\nincludea /c/a.inc\nincludex /c/a.inc\n",
                     "/c/a.inc": "vrrp_script chk { script /bin/true }\n"]
        let engine = DiagnosticEngine()
        var pre = Preprocessor(reader: InMemorySourceReader(files), diagnostics: engine, configID: nil)
        try! pre.run(mainFile: "/c/main.conf")
        let found = engine.sorted.map { "\($0.location.line):\($0.id):\($0.severity)" }
        #expect(found == ["1:include-no-match:error", "2:include-no-match:warning"])
        #expect(pre.tokens.filter { $0.kind == .word }.map(\.text).prefix(4) == ["vrrp_script", "chk", "script", "/bin/true"])
        #expect(pre.tokens.contains { $0.text == "includex" })
    }

    @Test func includeLoopIsDetected() {
        let result = load("include a.conf\n", files: ["/cfg/a.conf": "include b.conf\n", "/cfg/b.conf": "include a.conf\n"])
        #expect(result.diagnostics.contains { $0.id == "include-loop" && $0.location.file == "/cfg/b.conf" })
    }

    @Test func definitionsExpandAsWordsAndInsideWords() {
        let result = load("""
        $VIP=192.0.2.100/24 dev eth0
        $PRIO=100
        vrrp_instance VI_1 {
            interface eth0
            virtual_router_id 51
            priority $PRIO
            virtual_ipaddress {
                $VIP
                192.0.2.${PRIO}
            }
        }
        """)
        #expect(result.errors.isEmpty, "\(result.diagnostics)")
        let v = result.configuration.vrrpInstances[0]
        #expect(v.priority == 100)
        #expect(v.virtualIPAddresses.map(\.prefix.description) == ["192.0.2.100/24", "192.0.2.100"])
        #expect(v.virtualIPAddresses[0].device == "eth0")
        // The expanded words carry the location of the macro's use.
        #expect(v.virtualIPAddresses[0].origin.location.line == 8)
    }

    @Test func multilineDefinitionExpandsToSeveralLines() {
        let result = load("""
        $ADDRS=192.0.2.100 \\
               192.0.2.101
        \(instance("").replacingOccurrences(of: "192.0.2.100/24", with: "$ADDRS"))
        """)
        #expect(result.errors.isEmpty, "\(result.diagnostics)")
        #expect(result.configuration.vrrpInstances[0].virtualIPAddresses.map(\.prefix.description) == ["192.0.2.100", "192.0.2.101"])
    }

    @Test func bareNameExpandsOnlyBeforeABlankOrTheEnd() {
        // keepalived's rule: `$ADDR/24` stays literal; `${ADDR}/24` expands.
        let result = load("$ADDR=192.0.2.7\n" + instance("").replacingOccurrences(of: "192.0.2.100/24", with: "$ADDR/24\n        ${ADDR}/25"))
        #expect(result.has("bad-address", line: 6, .error))
        #expect(result.configuration.vrrpInstances[0].virtualIPAddresses.map(\.prefix.description) == ["192.0.2.7/25"])
    }

    @Test func undefinedNamesStayAsWritten() {
        let result = load("vrrp_script chk {\n script \"/bin/sh -c 'test -n $HOME'\"\n}\n")
        #expect(result.configuration.vrrpScripts[0].script == "/bin/sh -c 'test -n $HOME'")
    }

    /// keepalived replaces names in the line's text, inside quotes too, before splitting it
    /// into words, and reads the replacement again: a value's quotes end and start quoted
    /// pieces, and names in the value expand. A definition of several lines expands only
    /// where its name ends the line, so never inside quotes.
    @Test func aValueInQuotesIsReadWhereItStands() {
        let text = "$IF=eth0\n$CMD=/bin/check ${IF}\n$ARGS=a \"b c\" d\n$M=e \\\nf\nx \"[${ARGS}]\" \"${CMD} -q\" \"${M}\"\n"
        let engine = DiagnosticEngine()
        var pre = Preprocessor(reader: InMemorySourceReader(["/c/main.conf": text]), diagnostics: engine, configID: nil)
        try! pre.run(mainFile: "/c/main.conf")
        #expect(pre.tokens.filter { $0.kind == .word }.map(\.text) == ["x", "[a b", "c d]", "/bin/check eth0 -q", "${M}"])
        #expect(engine.sorted.isEmpty)
    }

    @Test func conditionalLinesFollowTheConfigID() {
        let text = instance("""
            @lb1 priority 100
            @lb2 priority 90
            @^lb1 state BACKUP
        """)
        let lb1 = load(text, configID: "lb1").configuration.vrrpInstances[0]
        #expect(lb1.priority == 100)
        #expect(lb1.initialState == nil)
        let lb2 = load(text, configID: "lb2").configuration.vrrpInstances[0]
        #expect(lb2.priority == 90)
        #expect(lb2.initialState == .backup)
        let none = load(text, configID: nil).configuration.vrrpInstances[0]
        #expect(none.priority == nil)
    }

    @Test func sequenceRepeatsALine() {
        let result = load("""
        vrrp_instance VI_1 {
            interface eth0
            virtual_router_id 51
            virtual_ipaddress {
                ~SEQ(n, 10, 2, 16) 198.18.0.${n}/32
            }
        }
        """)
        #expect(result.errors.isEmpty, "\(result.diagnostics)")
        #expect(result.configuration.vrrpInstances[0].virtualIPAddresses.map(\.prefix.description)
                == ["198.18.0.10/32", "198.18.0.12/32", "198.18.0.14/32", "198.18.0.16/32"])
    }

    @Test func sequenceOfWholeBlocksAndBadSequences() {
        let result = load("~SEQ(i, 3) vrrp_script chk_$i { script /bin/true }\n~SEQ(i, 1, -1, 5) x\n")
        #expect(result.configuration.vrrpScripts.map(\.name) == ["chk_1", "chk_2", "chk_3"])
        #expect(result.has("seq-values", line: 2, .error))
    }

    /// keepalived expands `$VIPS` first and then reads the `~SEQ` the value starts with.
    @Test func sequenceInsideADefinition() {
        let result = load("""
        $VIPS=~SEQ(n, 10, 12) 198.18.0.${n}/32
        vrrp_instance VI_1 {
            interface eth0
            virtual_router_id 51
            virtual_ipaddress {
                $VIPS
            }
        }
        """)
        #expect(result.errors.isEmpty, "\(result.diagnostics)")
        #expect(result.configuration.vrrpInstances[0].virtualIPAddresses.map(\.prefix.description)
                == ["198.18.0.10/32", "198.18.0.11/32", "198.18.0.12/32"])
    }

    /// Found by a 30-minute fuzz run: `$A=$A $A` doubles at each of the 16 levels, and the
    /// daemon used to report each of the 65,536 leaves (2.5 s, 6.6 MB of dump for 1.8 KB).
    @Test func definitionThatUsesItselfIsOneErrorAtItsWord() {
        let result = load("$A=$A $A\npriority $A\n")
        let runaway = result.diagnostics.filter { $0.id == "macro-recursion" }
        #expect(runaway.count == 1)
        #expect(runaway.first?.location.line == 2 && runaway.first?.location.column == 10)
        #expect(runaway.first?.message.contains("deeper than 16 levels") == true)
    }

    /// Not recursive, but each level uses the one below four times: 4^9 words.
    @Test func aDefinitionThatGrowsTooLargeIsStoppedAtItsWord() {
        var text = "$D0=x\n"
        for n in 1...9 { text += "$D\(n)=$D\(n - 1) $D\(n - 1) $D\(n - 1) $D\(n - 1)\n" }
        text += "priority $D9\n"
        let result = load(text)
        let runaway = result.diagnostics.filter { $0.id == "macro-recursion" }
        #expect(runaway.count == 1)
        #expect(runaway.first?.message.contains("more than 65536 words") == true)
    }
}
