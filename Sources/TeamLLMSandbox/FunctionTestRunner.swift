import Foundation
import TeamLLM

extension CodeVerdict {
    /// How a run failed whatever its output says (a cap, a limit, a signal, `MemoryError`); nil when it exited on its own.
    static func failure(of run: SandboxRun) -> CodeVerdict? {
        let memory = String(decoding: run.stderr, as: UTF8.self).contains("MemoryError")
        switch run.end {
        case .outputCap: return .outputLimit
        case .wallClock: return .timeLimit
        case let .signaled(sig) where sig == SIGXCPU || sig == SIGKILL: return memory ? .memoryLimit : .timeLimit
        case .signaled: return memory ? .memoryLimit : .runtimeError
        case .exited: return memory ? .memoryLimit : nil
        }
    }

    /// A run that exited on its own without passing: a failed assert is a wrong answer, anything else a runtime error.
    static func unfinished(_ run: SandboxRun) -> CodeVerdict {
        String(decoding: run.stderr, as: UTF8.self).contains("AssertionError") ? .wrongAnswer : .runtimeError
    }
}

/// Running function tests in the sandbox.
public struct FunctionTestRunner: Sendable {
    public let sandbox: Sandbox
    public var limits: SandboxLimits

    public init(sandbox: Sandbox, limits: SandboxLimits = SandboxLimits()) {
        self.sandbox = sandbox
        self.limits = limits
    }

    /// The verdict of `solution` against `tests`, with the reason and the run.
    public func check(_ solution: String, against tests: FunctionTests, worker: Int = 0) async -> (verdict: CodeVerdict, reason: String, run: SandboxRun?) {
        let marker = "TEAMLLM-ALL-TESTS-RAN-" + UUID().uuidString
        let run: SandboxRun
        do { run = try await sandbox.run(tests.program(solution: solution, marker: marker), worker: worker, limits: limits) } catch {
            return (.sandboxError, "\(error)", nil)
        }
        let verdict = Self.verdict(run, marker: marker)
        return (verdict, verdict == .accepted ? "every test ran (the marker was printed after them)" : Self.reason(run), run)
    }

    /// The verdict of function tests: the marker after exit 0 is the only way to be accepted; a failed assert is a wrong answer.
    static func verdict(_ run: SandboxRun, marker: String) -> CodeVerdict {
        if let failed = CodeVerdict.failure(of: run) { return failed }
        let sawMarker = String(decoding: run.stdout, as: UTF8.self).split(separator: "\n").contains { $0 == marker }
        if case .exited(0) = run.end, sawMarker { return .accepted }
        return CodeVerdict.unfinished(run)
    }

    /// The last line of standard error (the exception), or how the run ended.
    static func reason(_ run: SandboxRun) -> String {
        let last = String(decoding: run.stderr, as: UTF8.self).split(separator: "\n").last.map(String.init)
        switch run.end {
        case .outputCap: return "printed more than the output cap"
        case .wallClock: return "killed at the wall-clock limit"
        case let .signaled(sig): return "killed by signal \(sig)" + (last.map { ": \($0)" } ?? "")
        case let .exited(code): return "exit \(code)" + (last.map { ": \($0)" } ?? (code == 0 ? " before the marker printed after all tests" : ""))
        }
    }
}
