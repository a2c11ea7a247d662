import Foundation

/// An exact amount of US dollars. Written to disk as a decimal string, never as a float.
public struct USD: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// The exact value.
    public let value: Decimal

    /// Zero dollars.
    public static let zero = USD(Decimal(0))

    init(_ value: Decimal) { self.value = value }

    /// Parses a plain non-negative decimal such as `0.15` or `12` (at most 38 significant digits); no exponents, signs or spaces.
    public init?(exactly text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), !parts[0].isEmpty,
              parts.allSatisfy({ $0.utf8.allSatisfy { (48...57).contains($0) } }),
              parts.count == 1 || !parts[1].isEmpty
        else { return nil }
        let fraction = parts.count == 2 ? parts[1] : ""
        guard let significand = USD.integer(digits: parts[0] + fraction) else { return nil }
        value = Decimal(sign: .plus, exponent: -fraction.count, significand: significand)
    }

    /// Parses a JSON number's exact text, exponent form included (`7.35e-06`, `2.376E-05`, `0`), never through
    /// a floating-point value; nil for a negative amount or text that is not a JSON number.
    public init?(jsonNumber text: String) {
        var digits = "", exponent = 0, seenPoint = false, fraction = 0
        var rest = Substring(text)
        guard let first = rest.first, first.isASCII, first.isNumber else { return nil }
        while let c = rest.first, c.isASCII, c.isNumber || c == "." {
            if c == "." {
                guard !seenPoint else { return nil }
                seenPoint = true
            } else {
                digits.append(c)
                if seenPoint { fraction += 1 }
            }
            rest.removeFirst()
        }
        if let e = rest.first, e == "e" || e == "E" {
            rest.removeFirst()
            guard let n = Int(rest.hasPrefix("+") ? String(rest.dropFirst()) : String(rest)) else { return nil }
            exponent = n
        } else if !rest.isEmpty { return nil }
        guard !digits.isEmpty, digits.count <= 38, abs(exponent) < 100 else { return nil }
        guard let significand = USD.integer(digits: digits) else { return nil }
        value = Decimal(sign: .plus, exponent: exponent - fraction, significand: significand)
    }

    /// The exact integer written by ASCII digits (at most 38 significant ones), without `Decimal(string:)`,
    /// which consults a locale through ICU on every call and showed in the HTTP client's profile.
    static func integer(digits: some StringProtocol) -> Decimal? {
        let significant = digits.utf8.drop { $0 == 48 }
        guard significant.count <= 38 else { return nil }
        var result = Decimal(0), chunk: UInt64 = 0, length = 0
        for b in significant {
            chunk = chunk * 10 + UInt64(b - 48)
            length += 1
            if length == 18 {
                result = Decimal(sign: .plus, exponent: 18, significand: result) + Decimal(chunk)
                chunk = 0; length = 0
            }
        }
        return length == 0 ? result : Decimal(sign: .plus, exponent: length, significand: result) + Decimal(chunk)
    }

    /// A price per token as a price per million tokens, exactly.
    public var perMillion: USD { USD(value * 1_000_000) }
    /// A price per million tokens as a price per token, exactly.
    public var perToken: USD { USD(value / 1_000_000) }

    public static func + (a: USD, b: USD) -> USD { USD(a.value + b.value) }
    public static func < (a: USD, b: USD) -> Bool { a.value < b.value }

    /// Price per million tokens × tokens, exactly.
    public static func cost(tokens: Int, perMillion price: USD) -> USD {
        USD(Decimal(tokens) * price.value / Decimal(1_000_000))
    }

    /// Plain decimal text, e.g. `0.00014625`; never scientific notation (Decimal prints plain digits; tested).
    public var description: String {
        var v = value
        var rounded = Decimal()
        NSDecimalRound(&rounded, &v, 18, .plain)
        return rounded.description
    }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let v = USD(exactly: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "'\(text)' is not a decimal USD amount"))
        }
        self = v
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
