import BigInt
import Foundation

/// Competition-math grading (MATH, MATH-500): the last `\boxed{…}` of the response against the gold answer.
///
/// Extraction, first rule that finds something wins (reasoning before the last `</think>` is ignored):
/// 1. `boxed`: the last `\boxed{…}` or `\fbox{…}` with balanced braces, or the `\boxed 5` form;
/// 2. `final_answer`: the text after the last "final answer is" (its `$…$` if it has one), up to the line's end;
/// 3. `display_math`: the last `\[…\]` or `$$…$$`;
/// 4. `inline_math`: the last `$…$`, right of its last `=`.
/// Equivalence (`MathAnswer`): exact rationals (integers, decimals, `\frac`/`\dfrac`/`\tfrac`, `a/b`, mixed
/// numbers, thousands separators, percent, degrees, scientific notation), tuples and intervals in order with
/// their brackets, sets and bare lists unordered, `x = 3` as `3`, `\pm`, `\text{…}` answers, units after a number,
/// radicals and π exactly (`RadicalExpression`). What that cannot decide (variables, a division by a sum) is
/// `ungradable` with both forms in the reason, unless the two normalised forms are identical.
/// Version 2 adds matrices (`pmatrix`, `bmatrix`, `Bmatrix`, `matrix`: entry by entry, shape counts; a matrix
/// against a tuple is undecided); version 1 compares them only as normalised text.
public struct BoxedLatex: Grader {
    /// The released versions; each keeps its verdicts for good.
    public enum Version: String, Sendable, CaseIterable {
        case v1 = "1", v2 = "2"
    }
    public let name = "boxed-latex"
    public var version: String { release.rawValue }
    public let release: Version
    public var configuration: [String: String] { ["matrices": release == .v1 ? "text" : "entries"] }

    /// The newest version unless one is named.
    public init(version: Version = .v2) { release = version }

    public func grade(response: String, item: GradingItem) -> Grade {
        let gold = item.gold
        let matrices = release != .v1
        guard let goldAnswer = MathAnswer.gold(gold, matrices: matrices) else {
            return Grade(verdict: .ungradable, extracted: nil, span: nil, rule: nil, reason: "gold '\(gold)' is empty")
        }
        guard let found = Self.extract(response) else {
            return Grade(verdict: .ungradable, extracted: nil, span: nil, rule: nil,
                         reason: "no \\boxed answer, final-answer statement, display math or inline math in the response")
        }
        guard let answer = MathAnswer(found.text, matrices: matrices) else {
            return Grade(verdict: .ungradable, extracted: found.text, span: found.span, rule: found.rule, reason: "the extracted answer is empty")
        }
        let canonical = answer.value?.key ?? answer.normalized
        switch answer.equivalent(to: goldAnswer) {
        case .some(true): return Grade(verdict: .correct, extracted: found.text, span: found.span, rule: found.rule, reason: nil, canonical: canonical)
        case .some(false): return Grade(verdict: .incorrect, extracted: found.text, span: found.span, rule: found.rule, reason: nil, canonical: canonical)
        case .none:
            return Grade(verdict: .ungradable, extracted: found.text, span: found.span, rule: found.rule,
                         reason: "cannot decide whether '\(answer.normalized)' equals '\(goldAnswer.normalized)' without a CAS", canonical: canonical)
        }
    }

    /// The answer text, its [start, end) in Unicode scalars of the response, and the rule that found it.
    static func extract(_ response: String) -> (text: String, span: Range<Int>, rule: String)? {
        let s = Array(response.unicodeScalars)
        let start = lastIndex(of: "</think>", in: s).map { $0 + 8 } ?? 0
        if let found = boxed(s, from: start) { return (text(s[found]), found, "boxed") }
        if let anchor = lastIndex(of: "final answer is", in: s, from: start, caseInsensitive: true) {
            var lo = anchor + 15, hi = lo
            while hi < s.count, s[hi] != "\n" { hi += 1 }
            if let d1 = s[lo..<hi].firstIndex(of: "$"), let d2 = s[(d1 + 1)..<hi].firstIndex(of: "$") {
                lo = d1 + 1; hi = d2
            }
            while lo < hi, s[lo].properties.isWhitespace || s[lo] == ":" { lo += 1 }
            while hi > lo, s[hi - 1].properties.isWhitespace || s[hi - 1] == "." { hi -= 1 }
            if lo < hi { return (text(s[lo..<hi]), lo..<hi, "final_answer") }
        }
        let bracket = lastIndex(of: "\\[", in: s, from: start).flatMap { o in lastIndex(of: "\\]", in: s, from: o + 2).map { (o + 2)..<$0 } }
        let dollars = lastIndex(of: "$$", in: s, from: start).flatMap { c in lastIndex(of: "$$", in: s, from: start, before: c).map { ($0 + 2)..<c } }
        if let r = [bracket, dollars].compactMap({ $0 }).max(by: { $0.lowerBound < $1.lowerBound }), !r.isEmpty {
            return (text(s[r]), r, "display_math")
        }
        // Last: the last inline `$…$`, to the right of its last `=` (`$180 + 24 = 204$` gives 204).
        if let close = lastIndex(of: "$", in: s, from: start), let open = lastIndex(of: "$", in: s, from: start, before: close) {
            var lo = open + 1
            if let eq = s[lo..<close].lastIndex(of: "=") { lo = eq + 1 }
            while lo < close, s[lo].properties.isWhitespace { lo += 1 }
            if lo < close { return (text(s[lo..<close]), lo..<close, "inline_math") }
        }
        return nil
    }

    /// The content of the last `\boxed{…}` / `\fbox{…}` (balanced) or `\boxed 5`.
    private static func boxed(_ s: [Unicode.Scalar], from start: Int) -> Range<Int>? {
        let candidates = [lastIndex(of: "\\boxed", in: s, from: start).map { $0 + 6 }, lastIndex(of: "\\fbox", in: s, from: start).map { $0 + 5 }]
        guard var i = candidates.compactMap({ $0 }).max() else { return nil }
        if i < s.count, s[i] == " " {
            while i < s.count, s[i] == " " { i += 1 }
            var j = i
            while j < s.count, !s[j].properties.isWhitespace, s[j] != "$" { j += 1 }
            return j > i ? i..<j : nil
        }
        guard i < s.count, s[i] == "{" else { return nil }
        var depth = 0
        for j in i..<s.count {
            if s[j] == "{" { depth += 1 } else if s[j] == "}" {
                depth -= 1
                if depth == 0 { return (i + 1)..<j }
            }
        }
        return nil // unbalanced: no answer rather than a guess
    }

    private static func text(_ s: ArraySlice<Unicode.Scalar>) -> String {
        var v = String.UnicodeScalarView()
        v.append(contentsOf: s)
        return String(v)
    }

    private static func lastIndex(of needle: String, in s: [Unicode.Scalar], from start: Int = 0, before end: Int? = nil,
                                  caseInsensitive: Bool = false) -> Int? {
        let n = Array(needle.unicodeScalars)
        let limit = (end ?? s.count) - n.count
        guard limit >= start else { return nil }
        // ASCII case folding: the anchors are English words, and this runs on every response of a regrade.
        func same(_ a: Unicode.Scalar, _ b: Unicode.Scalar) -> Bool {
            guard caseInsensitive, a.isASCII, b.isASCII, Character(a).isLetter else { return a == b }
            return a.value | 0x20 == b.value | 0x20
        }
        for i in stride(from: limit, through: start, by: -1) where same(s[i], n[0]) {
            if (1..<n.count).allSatisfy({ same(s[i + $0], n[$0]) }) { return i }
        }
        return nil
    }
}
