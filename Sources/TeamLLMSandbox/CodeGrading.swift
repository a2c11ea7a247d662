import Foundation
import TeamLLM

/// `teamllm grade --grader code`: lines `{"id", "response", "problem": {…}}` graded in the sandbox by the same
/// grader sweeps use (`SandboxedCodeGrader`), on every worker it has.
///
/// A problem is a HumanEval item (`prompt`, `test`, `entry_point`), an MBPP item (`test_list`, and
/// `test_imports`, `entry_point` or `code_header` if it has them), or a stdin/stdout problem (`tests`: a list of
/// `{input, output}`, `time_limit_s`, `memory_limit_mb`): see `CodeProblem`.
public enum CodeGrading {
    /// One output line per well-formed input line, and `file:line: problem` for each malformed one.
    public static func grade(lines data: Data, file: String, grader: SandboxedCodeGrader) async -> (outputs: [String], problems: [String]) {
        var jobs: [(id: String, response: String, item: GradingItem)] = []
        var problems: [String] = []
        for (n, raw) in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            let place = "\(file):\(n + 1)"
            if raw.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) { continue }
            guard let object = (try? JSONParser.parse(raw))?.members else { problems.append("\(place): not a JSON object"); continue }
            guard let id = object["id"]?.text else { problems.append("\(place): field 'id' is missing or not a string or number"); continue }
            guard let response = object["response"]?.string else { problems.append("\(place): field 'response' is missing or not a string"); continue }
            guard let problem = object["problem"]?.members else { problems.append("\(place): field 'problem' is missing or not an object"); continue }
            do { _ = try CodeProblem(row: problem) } catch { problems.append("\(place): field 'problem' \(error)"); continue }
            jobs.append((id, response, GradingItem(gold: "", fields: problem)))
        }
        let grades = await grader.grade(jobs.map { ($0.response, $0.item) })
        let outputs = zip(jobs, grades).map { line(id: $0.id, grader: grader.identity, $1) }
        return (outputs, problems)
    }

    /// The output line: the grade as a grade record holds it (verdict, extracted code, span, rule, reason, execution).
    static func line(id: String, grader: GraderIdentity, _ g: Grade) -> String {
        var out: [String: Any] = ["id": id, "grader": grader.description, "verdict": g.verdict.rawValue]
        out["extracted"] = g.extracted ?? NSNull()
        out["span"] = g.span.map { [$0.lowerBound, $0.upperBound] } ?? NSNull()
        out["rule"] = g.rule ?? NSNull()
        out["reason"] = g.reason ?? NSNull()
        out["execution"] = g.execution.flatMap { try? CanonicalJSON.encode($0) }.flatMap { try? JSONSerialization.jsonObject(with: $0) } ?? NSNull()
        let bytes = (try? JSONSerialization.data(withJSONObject: out, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: bytes, as: UTF8.self)
    }
}
