import Foundation

/// The code of a response: the last fenced Python block, or the block that defines the entry point, or the whole text.
public struct ExtractedCode: Sendable, Equatable {
    public let code: String
    /// [start, end) in Unicode scalars of the response.
    public let span: Range<Int>
    /// `fenced_entry_point`, `fenced_last` or `whole_response`.
    public let rule: String

    /// Extracts the code of `response`; `entryPoint` prefers the block that defines it.
    public static func from(_ response: String, entryPoint: String? = nil) -> ExtractedCode {
        let s = Array(response.unicodeScalars)
        var blocks: [Range<Int>] = []
        var i = 0
        func starts(_ p: String, at k: Int) -> Bool {
            let q = Array(p.unicodeScalars)
            return k + q.count <= s.count && Array(s[k..<(k + q.count)]) == q
        }
        while i < s.count {
            guard starts("```", at: i), i == 0 || s[i - 1] == "\n" else { i += 1; continue }
            var j = i + 3
            var info = ""
            while j < s.count, s[j] != "\n" { info.unicodeScalars.append(s[j]); j += 1 }
            let lang = info.trimmingCharacters(in: .whitespaces).lowercased()
            let bodyStart = min(j + 1, s.count)
            var k = bodyStart
            var close: Int?
            while k < s.count {
                if starts("```", at: k), k == 0 || s[k - 1] == "\n" { close = k; break }
                while k < s.count, s[k] != "\n" { k += 1 }
                k += 1
            }
            let end = close ?? s.count
            if ["", "python", "py", "python3"].contains(lang) { blocks.append(bodyStart..<max(bodyStart, end)) }
            i = (close ?? s.count) + 3
        }
        func text(_ r: Range<Int>) -> String { var v = String.UnicodeScalarView(); v.append(contentsOf: s[r]); return String(v) }
        if let entryPoint, let r = blocks.last(where: { text($0).contains("def \(entryPoint)(") }) {
            return ExtractedCode(code: text(r), span: r, rule: "fenced_entry_point")
        }
        if let r = blocks.last { return ExtractedCode(code: text(r), span: r, rule: "fenced_last") }
        return ExtractedCode(code: response, span: 0..<s.count, rule: "whole_response")
    }
}

/// What `verify` checks of a code grade without running anything (running again is `regrade`'s work): the
/// grade agrees with its own execution report, and the code it ran is the stored answer's text at the span.
enum ExecutionCheck {
    static let rules: Set<String> = ["fenced_entry_point", "fenced_last", "whole_response"]

    /// Why the record does not hold together, or nil.
    static func problem(_ r: GradeRecord, answer: String) -> String? {
        guard let e = r.execution else { return "a \(r.identity) grade with no execution report" }
        guard e.verdict.verdict == r.verdict else { return "the grade says \(r.verdict.rawValue) but its run says \(e.verdict.rawValue)" }
        guard let rule = r.rule, rules.contains(rule) else { return "extraction rule '\(r.rule ?? "")' is not one of the code grader's" }
        let scalars = Array(answer.unicodeScalars)
        guard let span = r.span, span.count == 2, 0 <= span[0], span[0] <= span[1], span[1] <= scalars.count else {
            return "span \(r.span ?? []) does not lie within the stored answer (\(scalars.count) characters)"
        }
        var ran = String.UnicodeScalarView()
        ran.append(contentsOf: scalars[span[0]..<span[1]])
        guard String(ran) == r.extracted else { return "the code recorded as run is not the stored answer's text at span \(span)" }
        return nil
    }
}
