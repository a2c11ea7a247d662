import Foundation
import TeamLLM

/// Running a program on each input of a stdin/stdout problem, comparing its output token by token, under the
/// limits `CodeExecutionSettings.limits(for:)` gives (3× the official time by default). The first test that
/// fails decides; tests after it are not run.
public struct StdioRunner: Sendable {
    public let sandbox: Sandbox
    public var settings: CodeExecutionSettings

    public init(sandbox: Sandbox, settings: CodeExecutionSettings = CodeExecutionSettings()) {
        self.sandbox = sandbox
        self.settings = settings
    }

    /// The verdict of `code` on `problem`, why, and each test run so far.
    public func check(_ code: String, on problem: StdioProblem, worker: Int = 0) async -> (verdict: CodeVerdict, reason: String, tests: [TestRun]) {
        let limits = settings.limits(for: problem)
        var outcomes: [TestRun] = []
        for (i, t) in problem.tests.enumerated() {
            let run: SandboxRun
            do { run = try await sandbox.run(code, stdin: Data(t.input.utf8), worker: worker, limits: limits) } catch {
                return (.sandboxError, "\(error)", outcomes)
            }
            let verdict: CodeVerdict
            if let failed = CodeVerdict.failure(of: run) { verdict = failed }
            else if case .exited(0) = run.end {
                verdict = OutputComparison.same(String(decoding: run.stdout, as: UTF8.self), t.output, tolerance: settings.tolerance) ? .accepted : .wrongAnswer
            } else { verdict = CodeVerdict.unfinished(run) }
            outcomes.append(TestRun(test: i, verdict: verdict, wallMs: Int(run.wallSeconds * 1000)))
            if verdict != .accepted {
                let why = verdict == .wrongAnswer ? "test \(i): output differs from the expected" : "test \(i): \(FunctionTestRunner.reason(run))"
                return (verdict, why, outcomes)
            }
        }
        return (.accepted, "all \(problem.tests.count) tests passed", outcomes)
    }
}
