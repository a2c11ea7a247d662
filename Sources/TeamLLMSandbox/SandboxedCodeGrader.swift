import Foundation
import TeamLLM

/// `code-execution@1` (`CodeExecution`) run in the sandbox: the production `ProgramGrader`.
///
/// The problem comes from the item's fields (`CodeProblem`); the code from the response (`ExtractedCode`, preferring
/// the block that defines the entry point). Each grade carries an `ExecutionReport` with the limits actually used
/// and whether the sandbox was bypassed. One worker per core by default, each its own unprivileged user.
public struct SandboxedCodeGrader: ProgramGrader {
    public let sandbox: Sandbox
    public let definition = CodeExecution()
    public let workers: Int

    public var name: String { definition.name }
    public var version: String { definition.version }
    public var configuration: [String: String] { definition.configuration }

    public init(sandbox: Sandbox, workers: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.sandbox = sandbox
        self.workers = max(1, workers)
    }

    public func grade(response: String, item: GradingItem, worker: Int) async -> Grade {
        let settings = definition.settings
        let problem: CodeProblem
        do { problem = try CodeProblem(row: item.fields) } catch {
            let code = ExtractedCode.from(response)
            return grade(code, .sandboxError, reason: "the item is not a code problem: \(error)",
                         ExecutionReport(verdict: .sandboxError, limits: settings.functionLimits, unsafe: sandbox.unsafe))
        }
        let code = ExtractedCode.from(response, entryPoint: problem.entryPoint)
        switch problem {
        case let .function(tests):
            let runner = FunctionTestRunner(sandbox: sandbox, limits: settings.functionLimits)
            let (verdict, reason, run) = await runner.check(code.code, against: tests, worker: worker)
            return grade(code, verdict, reason: reason, ExecutionReport(verdict: verdict, wallMs: run.map { Int($0.wallSeconds * 1000) },
                                                                        limits: runner.limits, unsafe: sandbox.unsafe))
        case let .stdio(p):
            let runner = StdioRunner(sandbox: sandbox, settings: settings)
            let (verdict, reason, tests) = await runner.check(code.code, on: p, worker: worker)
            return grade(code, verdict, reason: reason, ExecutionReport(verdict: verdict, tests: tests, wallMs: tests.last?.wallMs,
                                                                        limits: settings.limits(for: p), timeMultiplier: settings.timeMultiplier,
                                                                        unsafe: sandbox.unsafe))
        }
    }

    private func grade(_ code: ExtractedCode, _ verdict: CodeVerdict, reason: String, _ report: ExecutionReport) -> Grade {
        Grade(verdict: verdict.verdict, extracted: code.code, span: code.span, rule: code.rule, reason: reason, canonical: nil, execution: report)
    }
}
