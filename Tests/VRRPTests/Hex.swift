/// Test helper: "45c0 002c" → [0x45, 0xc0, 0x00, 0x2c] (blanks ignored).
func hex(_ text: String) -> [UInt8] {
    let digits = Array(text.unicodeScalars.filter { !$0.properties.isWhitespace })
    precondition(digits.count % 2 == 0, "odd number of hex digits")
    return stride(from: 0, to: digits.count, by: 2).map { i in
        UInt8(String(digits[i]) + String(digits[i + 1]), radix: 16)!
    }
}
