import VigilConfig

// The configuration language on its own: lexer, preprocessor (includes, definitions,
// conditionals, ~SEQ), parser, model builder, validator and dumper, with no host facts but
// an eth0. Every diagnostic is located and the dump reads back to the same model.

/// The input is the main file; the same bytes are also reachable as `inc.conf` so that
/// include handling (and include loops) are exercised.
func checkLanguage(_ reader: InMemorySourceReader, main: String) {
    let options = ConfigurationLoader.Options(configID: "lb1", host: StaticHostFacts(["eth0": []]), strictHost: true)
    guard let result = try? ConfigurationLoader.load(path: main, reader: reader, options: options) else { return }
    for diagnostic in result.diagnostics {
        precondition(diagnostic.location.line >= 1 && diagnostic.location.column >= 1, "unlocated diagnostic")
    }
    // The dump of a valid configuration must read back to the same model. One with errors
    // is refused by `vigil check` and `vigil run` alike, and its erroneous lines can leave
    // a word the language cannot write back (a '"' inside a word that also holds a
    // space, from an unterminated quote in a definition).
    guard result.isValid else { return }
    let dumped = Dumper.dump(result.configuration)
    let again = ConfigurationLoader.load(text: dumped, path: "/f/dump.conf")
    precondition(again.configuration == result.configuration, "dump round trip changed the model:\n\(dumped)")
}
