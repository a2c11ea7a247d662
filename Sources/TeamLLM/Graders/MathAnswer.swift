import BigInt
import Foundation
import Synchronization

/// A competition-math answer: its normalised LaTeX and, when it has one this grader can compute exactly, its value.
struct MathAnswer: Sendable {
    /// The answer with presentation removed (spacing, `\left`, `\text`, `$`, degrees, percent, a leading `x =`).
    let normalized: String
    /// Nil when the answer holds something without an exact value here (a variable, a division by a sum, `\sqrt[3]`).
    let value: MathValue?

    /// `matrices`: read `\begin{pmatrix}…\end{pmatrix}` entry by entry (boxed-latex 2 and later).
    init?(_ raw: String, matrices: Bool = false) {
        if matrices, let m = MathAnswer.matrix(raw) {
            normalized = m.normalized
            value = m.value
            return
        }
        let n = MathAnswer.normalize(raw)
        guard !n.isEmpty else { return nil }
        normalized = n
        value = MathValue.parse(n)
    }

    private struct GoldKey: Hashable { let raw: String; let matrices: Bool }
    /// Parsed gold answers: every model and sample of an item is graded against the same one.
    private static let golds = Mutex<[GoldKey: MathAnswer?]>([:])

    /// `MathAnswer(raw, matrices:)`, remembered: a parse is a pure function of its text, so this changes no verdict.
    static func gold(_ raw: String, matrices: Bool) -> MathAnswer? {
        let key = GoldKey(raw: raw, matrices: matrices)
        if let known = golds.withLock({ $0[key] }) { return known }
        let parsed = MathAnswer(raw, matrices: matrices)
        golds.withLock { cache in
            if cache.count >= 50_000 { cache.removeAll(keepingCapacity: true) } // bounded: a benchmark has far fewer items
            cache[key] = parsed
        }
        return parsed
    }

    /// True or false when decidable; nil when neither identical forms nor exact values settle it.
    func equivalent(to other: MathAnswer) -> Bool? {
        if normalized == other.normalized { return true }
        guard let a = value, let b = other.value else { return nil }
        // A column vector may be meant as a tuple: shapes of different kinds are not decided here.
        if a.isMatrix != b.isMatrix { return nil }
        return a.key == b.key
    }

    private static let matrixPattern = try! NSRegularExpression(
        pattern: #"^\s*\$*\s*\\begin\{([pbB]?matrix)\}(.*)\\end\{\1\}\s*\$*\s*$"#, options: [.dotMatchesLineSeparators])

    /// A matrix answer: rows split at `\\`, entries at `&`, each entry read as an answer of its own.
    private static func matrix(_ raw: String) -> (normalized: String, value: MathValue?)? {
        let ns = raw as NSString
        guard let m = matrixPattern.firstMatch(in: raw, range: NSRange(location: 0, length: ns.length)) else { return nil }
        var rows = ns.substring(with: m.range(at: 2)).components(separatedBy: "\\\\").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        if rows.last?.isEmpty == true { rows.removeLast() }
        guard !rows.isEmpty else { return nil }
        var texts: [[String]] = [], values: [[MathValue]]? = []
        for row in rows {
            var t: [String] = [], v: [MathValue] = []
            for entry in row.components(separatedBy: "&") {
                guard let a = MathAnswer(entry) else { return nil } // an empty entry: not a matrix answer
                t.append(a.normalized)
                if let x = a.value { v.append(x) } else { values = nil }
            }
            texts.append(t)
            values?.append(v)
        }
        guard Set(texts.map(\.count)).count == 1 else { return nil } // ragged rows
        return ("matrix[" + texts.map { $0.joined(separator: "&") }.joined(separator: ";") + "]", values.map { .matrix($0) })
    }

    // Presentation only: none of these rewrites can change which value an answer denotes.
    private static let rewrites: [(NSRegularExpression, String)] = [
        (#"\\(?:left|right)(?![A-Za-z])"#, ""),
        (#"\\(?:displaystyle|!|,|;|:| )"#, ""),
        (#"\\[dt]frac(?![A-Za-z])"#, "\\\\frac"),
        (#"\^\s*\{?\s*\\circ\s*\}?|°|\\%|%|\\\$|\$"#, ""),
        // A unit written as text after a number, at the end: `5\text{ cm}`.
        (#"(\d)\s*\\(?:text|mbox|mathrm)\{\s*[A-Za-z][A-Za-z ]*\}\s*$"#, "$1"),
        (#"\\frac(\d)(\d)"#, "\\\\frac{$1}{$2}"),
        (#"\\sqrt(\d+|[A-Za-z])"#, "\\\\sqrt{$1}"),
    ].map { (try! NSRegularExpression(pattern: $0.0), $0.1) }
    private static let wrapper = try! NSRegularExpression(pattern: #"\\(?:text|textbf|textit|mathbf|mathrm|mbox|operatorname)\{([^{}]*)\}"#)
    private static let variable = try! NSRegularExpression(pattern: #"^[A-Za-z]=(?!.*=)"#)

    static func normalize(_ raw: String) -> String {
        var s = raw
        func apply(_ r: NSRegularExpression, _ template: String) {
            s = r.stringByReplacingMatches(in: s, range: NSRange(location: 0, length: (s as NSString).length), withTemplate: template)
        }
        for (r, t) in rewrites { apply(r, t) }
        var before = ""
        while before != s { before = s; apply(wrapper, "$1") }
        s = String(String.UnicodeScalarView(s.unicodeScalars.filter { !$0.properties.isWhitespace }))
        while s.hasSuffix(".") { s.removeLast() }
        apply(variable, "")
        return s
    }
}

/// The exact value of an answer, compared through `key`.
indirect enum MathValue: Sendable {
    case number(ExactNumber)
    /// `∞` or `-∞`, as interval ends.
    case infinity(negative: Bool)
    /// Tuples and intervals: order and brackets count.
    case sequence(open: Character, close: Character, [MathValue])
    /// Sets, bare lists of solutions and `a \pm b`: order does not count.
    case set([MathValue])
    /// A plain word answer (`Evelyn`, `yes`), case ignored.
    case word(String)
    /// Radicals and multiples of π, exactly (`3\sqrt{13}`, `\frac{\pi}{2}`).
    case algebraic(RadicalExpression)
    /// Rows of entries: shape and order count.
    case matrix([[MathValue]])

    var isMatrix: Bool { if case .matrix = self { true } else { false } }

    /// Equal keys mean equal answers: `1/2`, `0.5` and `\frac{1}{2}` all give `1/2`.
    var key: String {
        switch self {
        case .number(let n): n.description
        case .infinity(let negative): negative ? "-inf" : "inf"
        case .sequence(let open, let close, let items): String(open) + items.map(\.key).joined(separator: ",") + String(close)
        case .set(let items): "{" + items.map(\.key).sorted().joined(separator: ",") + "}"
        case .word(let w): "word:" + w.lowercased()
        case .algebraic(let r): "alg:" + r.key
        case .matrix(let rows): "matrix[" + rows.map { $0.map(\.key).joined(separator: "&") }.joined(separator: ";") + "]"
        }
    }

    static func parse(_ s: String) -> MathValue? {
        if s.hasPrefix("\\{"), s.hasSuffix("\\}"), s.count >= 4 {
            return elements(String(s.dropFirst(2).dropLast(2))).map { .set($0) }
        }
        if let open = s.first, let close = s.last, "([".contains(open), ")]".contains(close), s.count >= 2 {
            let inner = String(s.dropFirst().dropLast())
            let parts = topLevel(inner)
            if parts.count > 1 { return elements(inner).map { .sequence(open: open, close: close, $0) } }
            if open == "(", close == ")", balanced(inner) { return parse(inner) }
        }
        if topLevel(s).count > 1, !thousands(s) { return elements(s).map { .set($0) } }
        if s.hasPrefix("\\pm"), let n = rational(String(s.dropFirst(3))) {
            return .set([.number(n), .number(-n)])
        }
        if let r = s.range(of: "\\pm"), let a = rational(String(s[..<r.lowerBound])), let b = rational(String(s[r.upperBound...])) {
            return .set([.number(a + b), .number(a + -b)])
        }
        if s == "\\infty" || s == "+\\infty" { return .infinity(negative: false) }
        if s == "-\\infty" { return .infinity(negative: true) }
        if let n = number(s) { return .number(n) }
        if let r = RadicalExpression.parse(s) { return r.rational.map { .number($0) } ?? .algebraic(r) }
        if s.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("A"..."Z").contains($0) }) { return .word(s) }
        return nil
    }

    private static func elements(_ s: String) -> [MathValue]? {
        var out: [MathValue] = []
        for part in topLevel(s) {
            guard let v = parse(part) else { return nil }
            out.append(v)
        }
        return out
    }

    /// Splits at commas outside any bracket.
    private static func topLevel(_ s: String) -> [String] {
        var parts: [String] = [], current = "", depth = 0
        for c in s {
            if "([{".contains(c) { depth += 1 } else if ")]}".contains(c) { depth -= 1 }
            if c == ",", depth == 0 { parts.append(current); current = "" } else { current.append(c) }
        }
        parts.append(current)
        return parts
    }

    private static func balanced(_ s: String) -> Bool {
        var depth = 0
        for c in s {
            if c == "(" { depth += 1 } else if c == ")" { depth -= 1; if depth < 0 { return false } }
        }
        return depth == 0
    }

    /// `32,349` and `1,000,000`: a single number with thousands separators, not a list.
    private static func thousands(_ s: String) -> Bool {
        s.range(of: #"^[-+]?\d{1,3}(,\d{3})+(\.\d+)?$"#, options: .regularExpression) != nil
    }

    private static func power10(_ k: Int) -> ExactNumber {
        k >= 0 ? ExactNumber(BigInt(10).power(k), 1) : ExactNumber(1, BigInt(10).power(-k))
    }

    private static let mixed = try! NSRegularExpression(pattern: #"^(\d+)\\frac\{([^{}]+)\}\{([^{}]+)\}$"#)
    private static let eNotation = try! NSRegularExpression(pattern: #"^(\d+(?:\.\d+)?)[eE]([-+]?\d+)$"#)

    /// A rational however it is written: what `number` reads, or an expression (`\frac{a}{b}`, `3\times10^{5}`,
    /// `\sqrt{4}`) whose exact value is rational.
    static func rational(_ s: String) -> ExactNumber? { number(s) ?? RadicalExpression.parse(s)?.rational }

    /// What `RadicalExpression` does not read as a number: a sign, an integer, decimal or `a/b` with thousands
    /// separators, a mixed number `2\frac{1}{3}` (implicit multiplication would make it 2/3), `1.5e3`.
    static func number(_ raw: String) -> ExactNumber? {
        var s = raw, negative = false
        while let c = s.first, c == "-" || c == "+" || c == "\u{2212}" {
            if c != "+" { negative.toggle() }
            s.removeFirst()
        }
        guard !s.isEmpty else { return nil }
        func groups(_ r: NSRegularExpression) -> [String]? {
            let ns = s as NSString
            guard let m = r.firstMatch(in: s, range: NSRange(location: 0, length: ns.length)) else { return nil }
            return (1..<m.numberOfRanges).map { ns.substring(with: m.range(at: $0)) }
        }
        var value: ExactNumber?
        if s.contains("\\frac"), let g = groups(mixed) {
            guard let whole = ExactNumber.parse(g[0]), let top = rational(g[1]), let bottom = rational(g[2]), bottom.numerator != 0 else { return nil }
            let part = ExactNumber(top.numerator * bottom.denominator, top.denominator * bottom.numerator)
            guard part.numerator >= 0 else { return nil }
            value = whole + part
        } else if let g = groups(eNotation) {
            guard let m = ExactNumber.parse(g[0]), let k = Int(g[1]), abs(k) < 400 else { return nil }
            value = m * power10(k)
        } else if s.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) || $0 == "." || $0 == "," || $0 == "/" }) {
            value = ExactNumber.parse(s)
        }
        guard let v = value else { return nil }
        return negative ? -v : v
    }
}
