// libFuzzer entry point for the keepalived.conf language: lexer, preprocessor (includes,
// definitions, conditionals, ~SEQ), parser, model builder, validator and dumper.
// Built by Fuzz/run.sh together with the VigilConfig sources (one module).

/// The input is the main file; the same bytes are also reachable as `inc.conf` so that
/// include handling (and include loops) are exercised.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let reader = InMemorySourceReader(["/f/keepalived.conf": text, "/f/inc.conf": text])
    let options = ConfigurationLoader.Options(configID: "lb1", host: StaticHostFacts(["eth0": []]), strictHost: true)
    guard let result = try? ConfigurationLoader.load(path: "/f/keepalived.conf", reader: reader, options: options) else {
        return 0
    }
    for diagnostic in result.diagnostics {
        precondition(diagnostic.location.line >= 1 && diagnostic.location.column >= 1, "unlocated diagnostic")
    }
    // The dump must read back to the same model.
    let dumped = Dumper.dump(result.configuration)
    let again = ConfigurationLoader.load(text: dumped, path: "/f/dump.conf")
    precondition(again.configuration == result.configuration, "dump round trip changed the model:\n\(dumped)")
    return 0
}
