/// "Did you mean …?" for misspelt keywords: the known word with the smallest edit
/// distance, if it is close enough to be a plausible typo.
enum Suggestion {
    static func nearest(to word: String, among candidates: [String]) -> String? {
        let lowered = Array(word.lowercased().utf8)
        var best: (String, Int)?
        for candidate in candidates {
            let d = distance(lowered, Array(candidate.lowercased().utf8))
            if d < (best?.1 ?? Int.max) { best = (candidate, d) }
        }
        guard let (candidate, d) = best else { return nil }
        // Allow about one edit per three characters, at least one and at most four.
        let allowed = min(4, max(1, word.utf8.count / 3))
        return d <= allowed ? candidate : nil
    }

    /// Levenshtein distance with adjacent transpositions (optimal string alignment).
    static func distance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous2 = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    value = min(value, previous2[j - 2] + 1)
                }
                current[j] = value
            }
            (previous2, previous, current) = (previous, current, previous2)
        }
        return previous[b.count]
    }
}
