import Foundation

/// `teamllm grade`: grades lines `{"id", "response", "gold", "choices"?}` from anywhere, one output line each.
public enum TextGrading {
    /// A grader chosen by `NAME[@VERSION]`; the version, when given, must be the one this build has.
    public static func grader(_ spec: String) throws -> String {
        let parts = spec.split(separator: "@", maxSplits: 1).map(String.init)
        let name = parts.first ?? ""
        let known = GraderCatalog.names + [MultipleChoice().name]
        guard known.contains(name) else {
            throw TextGradingError.unknownGrader("unknown grader '\(name)' (this build has: \(known.joined(separator: ", ")))")
        }
        let version = name == MultipleChoice().name ? MultipleChoice().version : GraderCatalog.grader(named: name)!.version
        if parts.count == 2, parts[1] != version {
            throw TextGradingError.unknownGrader("grader \(name) has version \(version) in this build, not \(parts[1])")
        }
        return name
    }

    /// One output line per well-formed input line, and `file:line: problem` for each malformed one.
    public static func grade(lines data: Data, file: String, grader name: String) -> (outputs: [String], problems: [String]) {
        var outputs: [String] = [], problems: [String] = []
        let catalog = GraderCatalog.grader(named: name)
        for (n, raw) in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            let place = "\(file):\(n + 1)"
            if raw.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) { continue }
            guard let object = (try? JSONSerialization.jsonObject(with: Data(raw))) as? [String: Any] else {
                problems.append("\(place): not a JSON object"); continue
            }
            guard let id = object["id"].flatMap(scalarText) else { problems.append("\(place): field 'id' is missing or not a string or number"); continue }
            guard let response = object["response"] as? String else { problems.append("\(place): field 'response' is missing or not a string"); continue }
            guard let gold = object["gold"].flatMap(scalarText) else { problems.append("\(place): field 'gold' is missing or not a string or number"); continue }
            var out: [String: Any] = ["id": id]
            if let catalog {
                let g = catalog.grade(response: response, gold: gold)
                out["verdict"] = g.verdict.rawValue
                out["extracted"] = g.extracted ?? NSNull()
                out["span"] = g.span.map { [$0.lowerBound, $0.upperBound] } ?? NSNull()
                out["canonical"] = g.canonical ?? NSNull()
                out["rule"] = g.rule ?? NSNull()
                out["reason"] = g.reason ?? NSNull()
            } else {
                guard let choices = object["choices"] as? [String], !choices.isEmpty else {
                    problems.append("\(place): field 'choices' (a list of option texts) is needed by the multiple-choice grader"); continue
                }
                guard let goldIndex = optionIndex(gold, count: choices.count) else {
                    problems.append("\(place): field 'gold' '\(gold)' is neither a letter nor an index of the \(choices.count) choices"); continue
                }
                let g = MultipleChoice().grade(response: response, options: choices, gold: goldIndex)
                out["verdict"] = g.verdict.rawValue
                out["extracted"] = g.choice.map { String(UnicodeScalar(UInt8(65 + $0))) } ?? NSNull()
                out["span"] = NSNull()
                out["canonical"] = g.choice.map { String($0) } ?? NSNull()
                out["rule"] = g.rule ?? NSNull()
                out["reason"] = g.reason ?? NSNull()
                out["unparsed"] = g.unparsed
            }
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

    /// `C` or `2` → 2.
    private static func optionIndex(_ gold: String, count: Int) -> Int? {
        if let i = Int(gold) { return (0..<count).contains(i) ? i : nil }
        guard gold.count == 1, let a = gold.uppercased().first?.asciiValue, (65..<(65 + count)).contains(Int(a)) else { return nil }
        return Int(a) - 65
    }
}

/// Why `teamllm grade` cannot start.
public enum TextGradingError: Error, CustomStringConvertible {
    case unknownGrader(String)
    public var description: String { switch self { case .unknownGrader(let s): s } }
}
