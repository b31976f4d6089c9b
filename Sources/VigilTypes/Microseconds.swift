/// A duration in microseconds: the unit of keepalived's timers, of VRRP's formulas and of
/// `Instant`. One unit everywhere, so no conversion sits between the configuration, the
/// core and the loop.
public typealias Microseconds = Int64

/// Microseconds as keepalived writes seconds: `1`, `0.01`, `2.5` (the dumper, diagnostics
/// and log lines all say durations this one way).
public func formatSeconds(_ micro: Microseconds) -> String {
    let sign = micro < 0 ? "-" : ""
    let magnitude = micro.magnitude
    if magnitude % 1_000_000 == 0 { return sign + String(magnitude / 1_000_000) }
    var fraction = String(magnitude % 1_000_000)
    fraction = String(repeating: "0", count: 6 - fraction.count) + fraction
    while fraction.hasSuffix("0") { fraction.removeLast() }
    return "\(sign)\(magnitude / 1_000_000).\(fraction)"
}

/// A duration for a log line: `1 s`, `0.3 s`.
public func formatMicro(_ micro: Microseconds) -> String { "\(formatSeconds(micro)) s" }
