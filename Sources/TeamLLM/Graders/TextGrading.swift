import Foundation

/// `teamllm grade`: grades lines `{"id", "response", "gold", "choices"?}` from anywhere, one output line each.
public enum TextGrading {
    /// A grader chosen by `NAME[@VERSION]`: the newest version unless one is named.
    public static func grader(_ spec: String) throws -> any Grader {
        do { return try GraderCatalog.grader(spec: spec) } catch { throw TextGradingError.unknownGrader(error.description) }
    }

    /// One output line per well-formed input line, and `file:line: problem` for each malformed one.
    public static func grade(lines data: Data, file: String, grader: any Grader) -> (outputs: [String], problems: [String]) {
        var outputs: [String] = [], problems: [String] = []
        for (n, raw) in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            let place = "\(file):\(n + 1)"
            if raw.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) { continue }
            guard let object = (try? JSONSerialization.jsonObject(with: Data(raw))) as? [String: Any] else {
                problems.append("\(place): not a JSON object"); continue
            }
            guard let id = object["id"].flatMap(scalarText) else { problems.append("\(place): field 'id' is missing or not a string or number"); continue }
            guard let response = object["response"] as? String else { problems.append("\(place): field 'response' is missing or not a string"); continue }
            guard let gold = object["gold"].flatMap(scalarText) else { problems.append("\(place): field 'gold' is missing or not a string or number"); continue }
            var item = GradingItem(gold: gold)
            if grader is MultipleChoice {
                guard let choices = object["choices"] as? [String], !choices.isEmpty else {
                    problems.append("\(place): field 'choices' (a list of option texts) is needed by the multiple-choice grader"); continue
                }
                guard let goldIndex = Dataset.optionIndex(gold, choices) else {
                    problems.append("\(place): field 'gold' '\(gold)' is neither a letter, an index nor the text of one of the \(choices.count) choices"); continue
                }
                item = GradingItem(gold: String(goldIndex), choices: choices)
            }
            let g = grader.grade(response: response, item: item)
            var out: [String: Any] = ["id": id, "grader": grader.identity.description, "verdict": g.verdict.rawValue]
            out["extracted"] = g.extracted ?? NSNull()
            out["span"] = g.span.map { [$0.lowerBound, $0.upperBound] } ?? NSNull()
            out["canonical"] = g.canonical ?? NSNull()
            out["rule"] = g.rule ?? NSNull()
            out["reason"] = g.reason ?? NSNull()
            if grader is MultipleChoice { out["unparsed"] = g.reason?.hasPrefix("unparsed") == true }
            let bytes = try! JSONSerialization.data(withJSONObject: out, options: [.sortedKeys, .withoutEscapingSlashes])
            outputs.append(String(decoding: bytes, as: UTF8.self))
        }
        return (outputs, problems)
    }

    private static func scalarText(_ v: Any) -> String? {
        if let s = v as? String { return s }
        if let n = v as? NSNumber { return n.stringValue }
        return nil
    }
}

/// Why `teamllm grade` cannot start.
public enum TextGradingError: Error, CustomStringConvertible {
    case unknownGrader(String)
    public var description: String { switch self { case .unknownGrader(let s): s } }
}
