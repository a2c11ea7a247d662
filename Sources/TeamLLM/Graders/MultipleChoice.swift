import Foundation

/// Multiple-choice grading (MMLU, MMLU-Pro, GPQA style), anchored on an answer statement.
///
/// The *last* answer statement that names something decides: "answer is (C)", "Answer: **C**",
/// "correct option is C", `\boxed{\text{(A)}}`, `\textbf{B}`. The letter may be wrapped in markdown or
/// LaTeX, parenthesised, lower-case when wrapped or followed by `)`, or full-width (`Ｃ`). A bare letter
/// followed by an ordinary word ("the answer is a bit longer") is the English article, not option A.
/// Two different letters in the statement ("A or B") or a letter beyond the offered options is
/// *unparsed*: scored incorrect, its reason starting `unparsed`, so it can be counted apart. With no letter,
/// a statement quoting exactly one option's text picks that option. A response that is only a letter counts.
/// Reasoning before the last `</think>` is ignored.
public struct MultipleChoice: Grader {
    public let name = "multiple-choice"
    public let version = "1"
    public let configuration: [String: String] = [:]

    public init() {}

    /// Grades against the options as shown (`item.choices`) and their dataset order (`item.choiceOrder`); the gold
    /// and the canonical key are original option indices, so a shuffled presentation groups with any other.
    public func grade(response: String, item: GradingItem) -> Grade {
        guard let choices = item.choices, !choices.isEmpty else {
            return Grade(verdict: .ungradable, extracted: nil, span: nil, rule: nil, reason: "the item has no options")
        }
        let order = item.choiceOrder ?? Array(choices.indices)
        guard Set(order) == Set(choices.indices), order.count == choices.count, let gold = Int(item.gold), let shown = order.firstIndex(of: gold) else {
            return Grade(verdict: .ungradable, extracted: nil, span: nil, rule: nil,
                         reason: "gold '\(item.gold)' or the option order \(order) does not fit the \(choices.count) options")
        }
        let g = grade(response: response, options: choices, gold: shown)
        return Grade(verdict: g.verdict, extracted: g.choice.map { Self.letter($0) }, span: g.span, rule: g.rule, reason: g.reason,
                     canonical: g.choice.map { String(order[$0]) })
    }

    /// The letter of the option shown at `index` (A for 0).
    public static func letter(_ index: Int) -> String { String(UnicodeScalar(UInt8(65 + index))) }

    /// The decision about one response to a question with `options`, whose correct one has index `gold`.
    public func grade(response: String, options: [String], gold: Int) -> MultipleChoiceGrade {
        let thinkEnd = response.range(of: "</think>", options: .backwards)
        let text = thinkEnd.map { String(response[$0.upperBound...]) } ?? response
        let skipped = thinkEnd.map { response.unicodeScalars.distance(from: response.unicodeScalars.startIndex, to: $0.upperBound) } ?? 0
        let textChars = Array(text)
        let chars = textChars.map(Self.halfWidth)
        /// [start, end) in scalars of the response of `count` characters from character `at` of `text`.
        func span(_ at: Int, _ count: Int = 1) -> Range<Int> {
            let lo = skipped + textChars[..<at].reduce(0) { $0 + $1.unicodeScalars.count }
            return lo..<(lo + textChars[at..<(at + count)].reduce(0) { $0 + $1.unicodeScalars.count })
        }
        let statements = Self.anchors(in: chars)
        for start in statements.reversed() {
            switch Self.letter(after: start, in: chars, optionCount: options.count) {
            case .none: break
            case .some(.success(let found)):
                return MultipleChoiceGrade(choice: found.index, gold: gold, rule: "answer_statement", reason: nil, span: span(found.at))
            case .some(.failure(let why)): return MultipleChoiceGrade(choice: nil, gold: gold, rule: "answer_statement", reason: "unparsed: " + why.why)
            }
            if let found = Self.quoted(after: start, in: chars, options: options) {
                return MultipleChoiceGrade(choice: found.index, gold: gold, rule: "option_text", reason: nil, span: found.at.map { span($0, found.length) })
            }
        }
        let bare = String(chars).filter { !" \n\t*$().:[]{}".contains($0) }
            .replacingOccurrences(of: "\\textbf", with: "").replacingOccurrences(of: "\\text", with: "")
        if bare.count == 1, let c = bare.first, let i = Self.index(of: c, uppercaseOnly: false) {
            guard i < options.count else {
                return MultipleChoiceGrade(choice: nil, gold: gold, rule: "bare_letter", reason: "unparsed: letter \(c) is not one of the \(options.count) options")
            }
            return MultipleChoiceGrade(choice: i, gold: gold, rule: "bare_letter", reason: nil, span: chars.firstIndex(of: c).map { span($0) })
        }
        return MultipleChoiceGrade(choice: nil, gold: gold, rule: nil, reason: "unparsed: no answer statement names an option")
    }

    /// Options in the order shown to a model for `seed`: a permutation of the original indices.
    /// Our own Fisher–Yates, because the standard library does not promise `shuffled(using:)` stays the same.
    public static func shuffledOrder(count: Int, seed: UInt64) -> [Int] {
        var rng = SplitMix64(text: "options:\(seed)")
        var order = Array(0..<count)
        for i in stride(from: count - 1, to: 0, by: -1) { order.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
        return order
    }

    private static func halfWidth(_ c: Character) -> Character {
        guard let u = c.unicodeScalars.first, c.unicodeScalars.count == 1, (0xFF01...0xFF5E).contains(u.value),
              let ascii = Unicode.Scalar(u.value - 0xFEE0) else { return c }
        return Character(ascii)
    }

    private static func index(of c: Character, uppercaseOnly: Bool) -> Int? {
        guard let a = c.asciiValue else { return nil }
        if (65...90).contains(a) { return Int(a) - 65 }
        if !uppercaseOnly, (97...122).contains(a) { return Int(a) - 97 }
        return nil
    }

    private static let anchorPattern = try! NSRegularExpression(
        pattern: #"(?i:\b(?:final\s+answer|answer|correct\s+(?:option|choice|letter))\b(?:\s*(?:is|would\s+be|should\s+be|:|=))?|\\boxed\s*\{)"#)

    /// Offsets (in characters) just after each answer anchor.
    private static func anchors(in chars: [Character]) -> [Int] {
        let s = String(chars)
        return anchorPattern.matches(in: s, range: NSRange(location: 0, length: (s as NSString).length)).compactMap { m in
            Range(m.range, in: s).map { s.distance(from: s.startIndex, to: $0.upperBound) }
        }
    }

    private static let ordinaryContinuations: Set<String> = ["because", "since", "as", "which", "is", "and", "or", "the"]

    /// The option a statement names: nil when it names no letter, a failure when it names two or one out of range.
    private static func letter(after start: Int, in c: [Character], optionCount: Int) -> Result<(index: Int, at: Int), Failure>? {
        var i = start, wrapped = false
        func skipWrappers() {
            while i < c.count {
                if " \t\n:*$_({[".contains(c[i]) { if !" \t\n:".contains(c[i]) { wrapped = true }; i += 1; continue }
                if c[i] == "\\" {
                    let rest = String(c[i..<min(c.count, i + 9)])
                    if let w = ["\\textbf{", "\\text{", "\\mathrm{", "\\mathbf{", "\\boxed{"].first(where: { rest.hasPrefix($0) }) {
                        i += w.count; wrapped = true; continue
                    }
                }
                let word = String(c[i..<min(c.count, i + 7)]).lowercased()
                if let w = ["option ", "choice ", "letter "].first(where: { word.hasPrefix($0) }) { i += w.count; continue }
                break
            }
        }
        skipWrappers()
        guard i < c.count, let first = index(of: c[i], uppercaseOnly: false) else { return nil }
        let letter = c[i], at = i
        let next = i + 1 < c.count ? c[i + 1] : " "
        guard !next.isLetter, !next.isNumber, next != "'" else { return nil } // part of a word
        let closedByParen = next == ")"
        if letter.isLowercase, !wrapped, !closedByParen { return nil }
        if !wrapped, !closedByParen, next == " " {
            // "A bit", "I think": a bare letter before an ordinary lower-case word is a word itself.
            var j = i + 2, word = ""
            while j < c.count, c[j].isLetter { word.append(c[j]); j += 1 }
            if let f = word.first, f.isLowercase, !ordinaryContinuations.contains(word) { return nil }
        }
        // A second letter joined by "or", "and", "/", "," or "&" makes the statement ambiguous.
        var j = i + 1
        while j < c.count, ")]}*$. ".contains(c[j]) { j += 1 }
        let tail = String(c[j..<min(c.count, j + 5)]).lowercased()
        if let joiner = ["or ", "and ", "/", ",", "&"].first(where: { tail.hasPrefix($0) }) {
            i = j + joiner.count
            wrapped = false
            skipWrappers()
            if i < c.count, let second = index(of: c[i], uppercaseOnly: !wrapped), second != first,
               i + 1 >= c.count || !c[i + 1].isLetter {
                return .failure(Failure("two letters, \(letter) and \(c[i])"))
            }
        }
        guard first < optionCount else { return .failure(Failure("letter \(letter) is not one of the \(optionCount) options")) }
        return .success((first, at))
    }

    /// The one option whose text the statement (to the end of its sentence) quotes, if exactly one, and where.
    private static func quoted(after start: Int, in c: [Character], options: [String]) -> (index: Int, at: Int?, length: Int)? {
        var end = start
        while end < c.count, !"\n.;!?".contains(c[end]) { end += 1 }
        let statement = String(c[start..<end]).lowercased()
        let hits = options.indices.filter { i in
            let o = options[i].lowercased().trimmingCharacters(in: .whitespaces)
            return !o.isEmpty && statement.contains(o) && !options.indices.contains { $0 != i && options[$0].lowercased().contains(o) && statement.contains(options[$0].lowercased()) }
        }
        guard hits.count == 1 else { return nil }
        // Character by character, so an offset in `lowered` is one in `c`; where lower-casing joins or splits
        // characters the search finds nothing and no span is claimed.
        let o = options[hits[0]].trimmingCharacters(in: .whitespaces).map { $0.lowercased() }
        let lowered = c[start..<end].map { $0.lowercased() }
        let at = lowered.count < o.count ? nil : (0...(lowered.count - o.count)).first { Array(lowered[$0..<($0 + o.count)]) == o }
        return (hits[0], at.map { start + $0 }, o.count)
    }

    struct Failure: Error { let why: String; init(_ why: String) { self.why = why } }
}

/// A multiple-choice decision: the chosen option's original index (the canonical key), or none.
public struct MultipleChoiceGrade: Sendable, Equatable {
    /// The chosen option's index, nil when unparsed.
    public let choice: Int?
    public let gold: Int
    /// Which rule decided: `answer_statement`, `option_text`, `bare_letter`.
    public let rule: String?
    /// Starts with `unparsed` when no single offered option could be read.
    public let reason: String?
    /// Where the letter (or the quoted option text) stands, in Unicode scalars of the response.
    public var span: Range<Int>? = nil

    /// Unparsed answers score incorrect; they are counted apart through `unparsed`.
    public var verdict: Verdict { choice == gold ? .correct : .incorrect }
    public var unparsed: Bool { choice == nil }
}
