import Foundation

/// GSM8K-style grading: find the final numeric answer by anchors, compare with gold as exact rationals.
///
/// Anchors, strongest first; within the strongest anchor present, the *last* occurrence wins:
/// 1. `#### 42` (the dataset's own format); 2. `The answer is 42`, `Answer: 42`, a line `A: 42`;
/// 3. `\boxed{42}`; 4. the last number in the response. The whole number token is taken (never a
/// suffix, so `711` is not `11`), with its sign, thousands separators, decimals or fraction.
public struct NumericExactMatch: Grader {
    public let name = "numeric-exact"
    public let version = "1"
    public let configuration: [String: String] = [:]

    public init() {}

    /// A number token: sign, `$`, digits (thousands groups of exactly three), decimals or a fraction.
    /// Only plain spaces may sit inside it (a newline before the digits is outside the token), and a
    /// comma followed by a digit may not end it, so `1,000,` is 1000 and `1,23` is no number at all.
    static let number = #"(?:[-\x{2212}] ?)?(?:\$ ?)?(?:[-\x{2212}] ?)?(?:(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+)(?!\d|,\d)(?: ?/ ?\d+(?:\.\d+)?(?!\d|,\d))?"#
    /// Each rule with a literal its pattern cannot match without (so the regex is skipped when absent).
    static let rules: [(name: String, needs: String?, regex: NSRegularExpression)] = [
        ("hash_anchor", "####", #"####\s*\**\s*(NUM)"#),
        ("answer_anchor", nil, #"(?:(?im:^[ \t>*#-]*A[ \t]*:)|(?i:\banswer\b(?:[ \t]+is)?[ \t]*[:=]?))[ \t]*\**[ \t]*(NUM)"#),
        ("boxed", "\\boxed", #"\\boxed\{\s*(NUM)\s*\}"#),
        ("last_number", nil, #"(?<![\w.,/])(NUM)"#),
    ].map { ($0.0, $0.1, try! NSRegularExpression(pattern: $0.2.replacingOccurrences(of: "NUM", with: number))) }

    public func grade(response: String, item: GradingItem) -> Grade {
        let gold = item.gold
        guard let goldValue = ExactNumber.parse(gold) else { // parse drops whitespace itself
            return Grade(verdict: .ungradable, extracted: nil, span: nil, rule: nil, reason: "gold '\(gold)' is not a number")
        }
        let ns = response as NSString
        let whole = NSRange(location: 0, length: ns.length)
        for rule in Self.rules {
            if let literal = rule.needs, !Self.contains(response, literal) { continue }
            guard let match = rule.regex.matches(in: response, range: whole).last else { continue }
            let r = match.range(at: 1)
            let token = ns.substring(with: r)
            guard let value = ExactNumber.parse(token) else {
                return Grade(verdict: .ungradable, extracted: token, span: scalarSpan(r, in: response), rule: rule.name,
                             reason: "'\(token)' is not a well-formed number")
            }
            return Grade(verdict: value == goldValue ? .correct : .incorrect, extracted: token,
                         span: scalarSpan(r, in: response), rule: rule.name, reason: nil, canonical: value.description)
        }
        return Grade(verdict: .ungradable, extracted: nil, span: nil, rule: nil, reason: "no number in the response")
    }

    /// Byte search (Foundation's `contains` went through its locale-aware `range(of:)`).
    private static func contains(_ text: String, _ literal: String) -> Bool {
        var text = text, literal = literal
        return text.withUTF8 { h in
            literal.withUTF8 { n in
                guard let first = n.first else { return true }
                guard h.count >= n.count else { return false }
                for i in 0...(h.count - n.count) where h[i] == first && h[i..<(i + n.count)].elementsEqual(n) { return true }
                return false
            }
        }
    }

    /// Converts a UTF-16 range to Unicode-scalar offsets (what Python's `str` indexing uses).
    private func scalarSpan(_ r: NSRange, in text: String) -> Range<Int>? {
        guard let range = Range(r, in: text) else { return nil }
        let s = text.unicodeScalars
        let start = s.distance(from: s.startIndex, to: range.lowerBound)
        return start..<(start + s.distance(from: range.lowerBound, to: range.upperBound))
    }
}
