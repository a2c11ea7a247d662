import BigInt
import Foundation

/// An exact sum of terms q·√r·π^k (q rational, r a square-free integer, k an integer): enough for the
/// radicals and multiples of π of competition answers, without a CAS. `3\sqrt{13}` and `\sqrt{117}` are one
/// value; so are `\frac{\sqrt{3}}{3}` and `\frac{1}{\sqrt{3}}`.
struct RadicalExpression: Equatable {
    struct Basis: Hashable, Comparable {
        let radicand: BigInt
        let piPower: Int
        static func < (a: Basis, b: Basis) -> Bool { (a.radicand, a.piPower) < (b.radicand, b.piPower) }
    }
    /// Nonzero coefficients only.
    private(set) var terms: [Basis: ExactNumber]

    init(_ terms: [Basis: ExactNumber]) { self.terms = terms.filter { $0.value.numerator != 0 } }
    init(rational q: ExactNumber) { self.init([Basis(radicand: 1, piPower: 0): q]) }

    /// The value as a rational, when it is one.
    var rational: ExactNumber? {
        if terms.isEmpty { return ExactNumber(0, 1) }
        guard terms.count == 1, let (b, q) = terms.first, b.radicand == 1, b.piPower == 0 else { return nil }
        return q
    }

    /// Equal keys mean equal values.
    var key: String {
        terms.keys.sorted().map { b in "\(terms[b]!)*sqrt(\(b.radicand))*pi^\(b.piPower)" }.joined(separator: "+")
    }

    static func + (a: Self, b: Self) -> Self {
        var t = a.terms
        for (k, q) in b.terms { t[k] = t[k].map { $0 + q } ?? q }
        return Self(t)
    }

    static func * (a: Self, b: Self) -> Self {
        var t: [Basis: ExactNumber] = [:]
        for (k1, q1) in a.terms {
            for (k2, q2) in b.terms {
                // √r1·√r2 with r1, r2 square-free: g = gcd, r1·r2 = g²·(r1/g)(r2/g), the latter square-free.
                let g = k1.radicand.greatestCommonDivisor(with: k2.radicand)
                let basis = Basis(radicand: (k1.radicand / g) * (k2.radicand / g), piPower: k1.piPower + k2.piPower)
                let q = ExactNumber(q1.numerator * q2.numerator * g, q1.denominator * q2.denominator)
                t[basis] = t[basis].map { $0 + q } ?? q
            }
        }
        return Self(t)
    }

    /// 1/x for a single term (1/(q√r π^k) = √r / (q r π^k)); nil for a sum, which would need rationalising.
    var inverse: Self? {
        guard terms.count == 1, let (b, q) = terms.first else { return nil }
        return Self([Basis(radicand: b.radicand, piPower: -b.piPower): ExactNumber(q.denominator, q.numerator * b.radicand)])
    }

    var negated: Self { Self(terms.mapValues { -$0 }) }

    /// √x for a non-negative rational x; nil otherwise or when the radicand is too large to factor by trial division.
    static func squareRoot(_ x: Self) -> Self? {
        guard let q = x.rational, q.numerator >= 0 else { return nil }
        // √(a/b) = √(ab) / b
        guard let (outside, radicand) = squareFreeSplit(q.numerator * q.denominator) else { return nil }
        return Self([Basis(radicand: radicand, piPower: 0): ExactNumber(outside, q.denominator)])
    }

    /// n = outside² · radicand with radicand square-free.
    private static func squareFreeSplit(_ n: BigInt) -> (BigInt, BigInt)? {
        if n == 0 { return (0, 1) }
        var rest = n, outside = BigInt(1), radicand = BigInt(1), p = BigInt(2)
        while p * p <= rest {
            if p > 100_000 { return nil }
            var count = 0
            while rest % p == 0 { rest /= p; count += 1 }
            if count > 0 {
                outside *= p.power(count / 2)
                if count % 2 == 1 { radicand *= p }
            }
            p += p == 2 ? 1 : 2
        }
        return (outside, radicand * rest)
    }

    // MARK: Parsing normalised LaTeX

    /// Parses sums, differences, products (explicit or implicit), `/`, `\frac`, `\sqrt{…}`, `\pi`, integer
    /// powers and parentheses; nil for anything else (a variable, `\sqrt[3]`, a division by a sum).
    static func parse(_ s: String) -> Self? {
        var p = Parser(chars: Array(s))
        guard let v = p.expression(), p.i == p.chars.count else { return nil }
        return v
    }

    private struct Parser {
        let chars: [Character]
        var i = 0

        func peek(_ word: String) -> Bool {
            let w = Array(word)
            return i + w.count <= chars.count && Array(chars[i..<(i + w.count)]) == w
        }
        mutating func eat(_ word: String) -> Bool {
            guard peek(word) else { return false }
            i += word.count
            return true
        }

        mutating func expression() -> RadicalExpression? {
            var negative = false
            while peek("-") || peek("+") { if eat("-") { negative.toggle() } else { i += 1 } }
            guard var value = term() else { return nil }
            if negative { value = value.negated }
            while i < chars.count, chars[i] == "+" || chars[i] == "-" {
                let minus = chars[i] == "-"
                i += 1
                guard let t = term() else { return nil }
                value = value + (minus ? t.negated : t)
            }
            return value
        }

        mutating func term() -> RadicalExpression? {
            guard var value = power() else { return nil }
            while i < chars.count {
                if eat("\\cdot") || eat("\\times") || eat("*") {
                    guard let f = power() else { return nil }
                    value = value * f
                } else if eat("/") {
                    guard let inv = power()?.inverse else { return nil }
                    value = value * inv
                } else if chars[i] == "+" || chars[i] == "-" || chars[i] == "}" || chars[i] == ")" {
                    break
                } else {
                    guard let f = power() else { return nil } // implicit: 3\sqrt{2}, 2\pi
                    value = value * f
                }
            }
            return value
        }

        mutating func power() -> RadicalExpression? {
            guard let base = factor() else { return nil }
            guard eat("^") else { return base }
            var digits = ""
            let braced = eat("{")
            if eat("-") { digits = "-" }
            while i < chars.count, chars[i].isASCIIDigit, braced || digits.filter(\.isASCIIDigit).isEmpty { digits.append(chars[i]); i += 1 }
            if braced, !eat("}") { return nil }
            guard let n = Int(digits), abs(n) < 400, let unit = n < 0 ? base.inverse : base else { return nil }
            return (0..<abs(n)).reduce(RadicalExpression(rational: ExactNumber(1, 1))) { r, _ in r * unit }
        }

        mutating func factor() -> RadicalExpression? {
            if eat("\\frac{") {
                guard let top = expression(), eat("}"), eat("{"), let bottom = expression(), eat("}"),
                      let inv = bottom.inverse else { return nil }
                return top * inv
            }
            if eat("\\sqrt{") {
                guard let inside = expression(), eat("}") else { return nil }
                return RadicalExpression.squareRoot(inside)
            }
            if eat("\\pi") { return RadicalExpression([Basis(radicand: 1, piPower: 1): ExactNumber(1, 1)]) }
            if eat("(") {
                guard let v = expression(), eat(")") else { return nil }
                return v
            }
            if eat("{") {
                guard let v = expression(), eat("}") else { return nil }
                return v
            }
            var number = ""
            while i < chars.count, chars[i].isASCIIDigit || chars[i] == "." { number.append(chars[i]); i += 1 }
            guard !number.isEmpty, let q = ExactNumber.parse(number) else { return nil }
            return RadicalExpression(rational: q)
        }
    }
}
