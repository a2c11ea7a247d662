import Foundation
import TeamLLM

/// `teamllm grade --grader code`: lines `{"id", "response", "problem": {…}}` graded in the sandbox, two workers.
///
/// A problem is a HumanEval item (`prompt`, `test`, `entry_point`) or an MBPP item (`test_list`, and
/// `test_imports`, `entry_point` or `code_header` if it has them). Stdin/stdout problems are refused by line
/// until their tests are built.
public enum CodeGrading {
    /// One output line per well-formed input line, and `file:line: problem` for each malformed one.
    public static func grade(lines data: Data, file: String, runner: FunctionTestRunner) async -> (outputs: [String], problems: [String]) {
        var jobs: [(line: Int, id: String, response: String, tests: FunctionTests)] = []
        var problems: [String] = []
        for (n, raw) in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            let place = "\(file):\(n + 1)"
            if raw.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) { continue }
            guard let object = (try? JSONSerialization.jsonObject(with: Data(raw))) as? [String: Any] else { problems.append("\(place): not a JSON object"); continue }
            guard let id = (object["id"] as? String) ?? (object["id"] as? NSNumber)?.stringValue else { problems.append("\(place): field 'id' is missing or not a string or number"); continue }
            guard let response = object["response"] as? String else { problems.append("\(place): field 'response' is missing or not a string"); continue }
            guard let problem = object["problem"] as? [String: Any] else { problems.append("\(place): field 'problem' is missing or not an object"); continue }
            switch tests(problem) {
            case let .success(t): jobs.append((n + 1, id, response, t))
            case let .failure(why): problems.append("\(place): field 'problem' \(why.text)")
            }
        }
        let work = jobs
        var outputs = [String?](repeating: nil, count: work.count)
        await withTaskGroup(of: [(Int, String)].self) { group in
            for worker in 0..<2 {
                group.addTask {
                    var done: [(Int, String)] = []
                    for k in stride(from: worker, to: work.count, by: 2) {
                        let j = work[k]
                        let code = ExtractedCode.from(j.response, entryPoint: j.tests.entryPoint)
                        let (verdict, reason, run) = await runner.check(code.code, against: j.tests, worker: worker)
                        var out: [String: Any] = ["id": j.id, "grader": "code-execution@1", "code_verdict": verdict.rawValue,
                                                  "verdict": verdict == .accepted ? "correct" : verdict == .sandboxError ? "ungradable" : "incorrect",
                                                  "extracted": code.code, "span": [code.span.lowerBound, code.span.upperBound], "rule": code.rule,
                                                  "reason": reason, "unsafe": runner.sandbox.unsafe,
                                                  "limits": ["cpu_s": runner.limits.cpuSeconds, "wall_s": runner.limits.wallSeconds,
                                                             "memory_bytes": runner.limits.memoryBytes, "output_bytes": runner.limits.outputBytes]]
                        out["wall_ms"] = run.map { Int($0.wallSeconds * 1000) } ?? NSNull()
                        let bytes = (try? JSONSerialization.data(withJSONObject: out, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
                        done.append((k, String(decoding: bytes, as: UTF8.self)))
                    }
                    return done
                }
            }
            for await batch in group { for (k, line) in batch { outputs[k] = line } }
        }
        return (outputs.compactMap { $0 }, problems)
    }

    struct Why: Error { let text: String }

    /// The function tests a problem object describes.
    static func tests(_ p: [String: Any]) -> Result<FunctionTests, Why> {
        if let prompt = p["prompt"] as? String, let test = p["test"] as? String {
            guard let entry = p["entry_point"] as? String else { return .failure(Why(text: "has a HumanEval 'test' but no 'entry_point' text")) }
            return .success(.humaneval(prompt: prompt, test: test, entryPoint: entry))
        }
        if let list = p["test_list"] {
            guard let asserts = list as? [String], !asserts.isEmpty else { return .failure(Why(text: "field 'test_list' is not a non-empty list of texts")) }
            let imports = (p["test_imports"] as? [String]) ?? []
            var entry = p["entry_point"] as? String
            if entry == nil, let header = p["code_header"] as? String, let r = header.range(of: #"def\s+\w+"#, options: .regularExpression) {
                entry = String(header[r].dropFirst(3)).trimmingCharacters(in: .whitespaces)
            }
            return .success(.mbpp(imports: imports, asserts: asserts, entryPoint: entry))
        }
        if p["tests"] != nil { return .failure(Why(text: "is a stdin/stdout problem, which this build does not grade yet")) }
        return .failure(Why(text: "is neither a HumanEval problem (prompt, test, entry_point) nor an MBPP one (test_list)"))
    }
}
