import Testing
@testable import VigilConfig

@Suite struct LexerTests {
    func words(_ line: String) -> [String] {
        Lexer.lex(Array(line.utf8)[...], file: "f", line: 1).tokens.map(\.text)
    }

    @Test func commentsWithHashAndBang() {
        #expect(words("priority 100 # the master") == ["priority", "100"])
        #expect(words("priority 100 ! keepalived style") == ["priority", "100"])
        #expect(words("# whole line").isEmpty)
        #expect(words("name a\\#b") == ["name", "a#b"])
    }

    @Test func quotedStringsKeepBlanksAndCommentCharacters() {
        let tokens = Lexer.lex(Array(#"script "/bin/check --name x#1 !" next"#.utf8)[...], file: "f", line: 1).tokens
        #expect(tokens.map(\.text) == ["script", "/bin/check --name x#1 !", "next"])
        #expect(tokens.map(\.quoted) == [false, true, false])
        #expect(tokens[1].location.column == 8)
    }

    @Test func bracesAreTokensEvenWithoutBlanks() {
        let tokens = Lexer.lex(Array("vrrp_instance VI_1{priority 1}".utf8)[...], file: "f", line: 1).tokens
        #expect(tokens.map(\.text) == ["vrrp_instance", "VI_1", "{", "priority", "1", "}"])
        #expect(tokens.map(\.kind) == [.word, .word, .open, .word, .word, .close])
    }

    @Test func continuationAndUnterminatedQuote() {
        let cont = Lexer.lex(Array("notify_master /bin/a \\".utf8)[...], file: "f", line: 1)
        #expect(cont.continues)
        #expect(cont.tokens.map(\.text) == ["notify_master", "/bin/a"])
        let open = Lexer.lex(Array(#"auth_pass "secret"#.utf8)[...], file: "f", line: 3)
        #expect(open.unterminatedQuote == SourceLocation(file: "f", line: 3, column: 11))
    }

    @Test func columnsAreOneBased() {
        let tokens = Lexer.lex(Array("    priority 100".utf8)[...], file: "f", line: 7).tokens
        #expect(tokens.map(\.location.column) == [5, 14])
        #expect(tokens.allSatisfy { $0.location.line == 7 })
    }
}
