import Foundation

/// An exact amount of US dollars. Written to disk as a decimal string, never as a float.
public struct USD: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// The exact value.
    public let value: Decimal

    /// Zero dollars.
    public static let zero = USD(Decimal(0))

    init(_ value: Decimal) { self.value = value }

    /// Parses a plain non-negative decimal such as `0.15` or `12`; no exponents, signs or spaces.
    public init?(exactly text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), !parts[0].isEmpty,
              parts.allSatisfy({ $0.utf8.allSatisfy { (48...57).contains($0) } }),
              parts.count == 1 || !parts[1].isEmpty,
              let d = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))
        else { return nil }
        value = d
    }

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
