import BigInt
import Foundation

/// An exact rational number, for comparing answers without floating-point or formatting slips.
struct ExactNumber: Equatable, CustomStringConvertible {
    let numerator: BigInt
    let denominator: BigInt

    init(_ n: BigInt, _ d: BigInt) {
        precondition(d != 0)
        let g = n.greatestCommonDivisor(with: d)
        let sign: BigInt = d < 0 ? -1 : 1
        numerator = sign * n / g
        denominator = sign * d / g
    }

    var description: String { denominator == 1 ? "\(numerator)" : "\(numerator)/\(denominator)" }

    static func + (a: ExactNumber, b: ExactNumber) -> ExactNumber {
        ExactNumber(a.numerator * b.denominator + b.numerator * a.denominator, a.denominator * b.denominator)
    }
    static func * (a: ExactNumber, b: ExactNumber) -> ExactNumber {
        ExactNumber(a.numerator * b.numerator, a.denominator * b.denominator)
    }
    static prefix func - (a: ExactNumber) -> ExactNumber { ExactNumber(-a.numerator, a.denominator) }

    /// Parses a number as people write answers: `-1,234.50`, `$18`, `−5`, `3/4`, `.5`, `20%` (as 20).
    ///
    /// Thousands separators must group by three; a unit or `%` after the number is ignored by the
    /// extractor, not here. Returns nil for anything else.
    static func parse(_ raw: String) -> ExactNumber? {
        // Scalar by scalar: Foundation's string searching and grapheme-level `isWhitespace` were most of a grade's cost.
        var scalars = String.UnicodeScalarView()
        for u in raw.unicodeScalars where u != "$" && u != "%" && !u.properties.isWhitespace {
            scalars.append(u == "\u{2212}" ? "-" : u)
        }
        var s = String(scalars)
        var negative = false
        while s.hasPrefix("-") || s.hasPrefix("+") {
            if s.hasPrefix("-") { negative.toggle() }
            s.removeFirst()
        }
        let parts = s.split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let top = decimal(String(parts[0])) else { return nil }
        var value = top
        if parts.count == 2 {
            guard let bottom = decimal(String(parts[1])), bottom.numerator != 0 else { return nil }
            value = ExactNumber(top.numerator * bottom.denominator, top.denominator * bottom.numerator)
        }
        return negative ? ExactNumber(-value.numerator, value.denominator) : value
    }

    private static func decimal(_ s: String) -> ExactNumber? {
        let pieces = s.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(pieces.count) else { return nil }
        var whole = String(pieces[0])
        if whole.utf8.contains(UInt8(ascii: ",")) {
            let groups = whole.split(separator: ",", omittingEmptySubsequences: false)
            guard let first = groups.first, (1...3).contains(first.count), groups.dropFirst().allSatisfy({ $0.count == 3 }) else { return nil }
            whole = groups.joined()
        }
        let frac = pieces.count == 2 ? String(pieces[1]) : ""
        guard !(whole.isEmpty && frac.isEmpty), (whole + frac).allSatisfy(\.isASCIIDigit),
              pieces.count == 1 || !frac.isEmpty else { return nil }
        guard let n = BigInt(whole.isEmpty ? frac : whole + frac) else { return nil }
        return ExactNumber(n, BigInt(10).power(frac.count))
    }
}

extension Character {
    var isASCIIDigit: Bool { asciiValue.map { (48...57).contains($0) } ?? false }
}
