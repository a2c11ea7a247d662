import Foundation
import TeamLLM

/// `teamllm grade --grader code`: lines `{"id", "response", "problem": {…}}` graded in the sandbox, two workers.
///
/// A problem is a HumanEval item (`prompt`, `test`, `entry_point`), an MBPP item (`test_list`, and
/// `test_imports`, `entry_point` or `code_header` if it has them), or a stdin/stdout problem (`tests`: a list of
/// `{input, output}`, `time_limit_s`, `memory_limit_mb`).
public enum CodeGrading {
    /// One output line per well-formed input line, and `file:line: problem` for each malformed one.
    public static func grade(lines data: Data, file: String, runner: FunctionTestRunner) async -> (outputs: [String], problems: [String]) {
        var jobs: [(line: Int, id: String, response: String, tests: Problem)] = []
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
                        var out: [String: Any] = ["id": j.id, "grader": "code-execution@1", "unsafe": runner.sandbox.unsafe]
                        let verdict: CodeVerdict, limits: SandboxLimits, code: ExtractedCode
                        switch j.tests {
                        case let .function(tests):
                            code = ExtractedCode.from(j.response, entryPoint: tests.entryPoint)
                            let (v, reason, run) = await runner.check(code.code, against: tests, worker: worker)
                            (verdict, limits) = (v, runner.limits)
                            out["reason"] = reason
                            out["wall_ms"] = run.map { Int($0.wallSeconds * 1000) } ?? NSNull()
                        case let .stdio(problem):
                            code = ExtractedCode.from(j.response)
                            let stdio = StdioRunner(sandbox: runner.sandbox)
                            let (v, reason, tests) = await stdio.check(code.code, on: problem, worker: worker)
                            (verdict, limits) = (v, stdio.limits(for: problem))
                            out["reason"] = reason
                            out["tests"] = tests.map { ["test": $0.test, "verdict": $0.verdict.rawValue, "wall_ms": $0.wallMs] as [String: Any] }
                            out["time_multiplier"] = stdio.multiplier
                        }
                        out["code_verdict"] = verdict.rawValue
                        out["verdict"] = verdict == .accepted ? "correct" : verdict == .sandboxError ? "ungradable" : "incorrect"
                        out["extracted"] = code.code
                        out["span"] = [code.span.lowerBound, code.span.upperBound]
                        out["rule"] = code.rule
                        // The limits as every grade records them (`SandboxLimits`' own coding keys).
                        out["limits"] = (try? CanonicalJSON.encode(limits)).flatMap { try? JSONSerialization.jsonObject(with: $0) } ?? NSNull()
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

    /// What a problem is graded by.
    enum Problem: Sendable {
        case function(FunctionTests)
        case stdio(StdioProblem)
    }

    /// The tests a problem object describes.
    static func tests(_ p: [String: Any]) -> Result<Problem, Why> {
        if let raw = p["tests"] {
            guard let list = raw as? [[String: Any]], !list.isEmpty else { return .failure(Why(text: "field 'tests' is not a non-empty list of {input, output}")) }
            var cases: [StdioProblem.Case] = []
            for (i, t) in list.enumerated() {
                guard let input = t["input"] as? String, let output = t["output"] as? String else {
                    return .failure(Why(text: "field 'tests[\(i)]' needs 'input' and 'output' texts"))
                }
                cases.append(.init(input: input, output: output))
            }
            guard let time = (p["time_limit_s"] as? NSNumber)?.doubleValue, time > 0 else { return .failure(Why(text: "field 'time_limit_s' is missing or not a positive number")) }
            guard let memory = (p["memory_limit_mb"] as? NSNumber)?.intValue, memory > 0 else { return .failure(Why(text: "field 'memory_limit_mb' is missing or not a positive number")) }
            return .success(.stdio(StdioProblem(tests: cases, timeLimitSeconds: time, memoryLimitMB: memory)))
        }
        return functionTests(p).map { .function($0) }
    }

    static func functionTests(_ p: [String: Any]) -> Result<FunctionTests, Why> {
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
        return .failure(Why(text: "is neither a HumanEval problem (prompt, test, entry_point), an MBPP one (test_list) nor a stdin/stdout one (tests)"))
    }
}
