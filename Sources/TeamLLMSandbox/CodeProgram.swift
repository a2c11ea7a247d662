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

/// A function-test problem (HumanEval, MBPP) and the program that runs a solution against its tests.
public enum FunctionTests: Sendable, Equatable {
    /// HumanEval: the prompt (signature and docstring), the test code defining `check`, the entry point.
    case humaneval(prompt: String, test: String, entryPoint: String)
    /// MBPP: imports, assert lines, and the function the asserts call.
    case mbpp(imports: [String], asserts: [String], entryPoint: String?)

    public var entryPoint: String? {
        switch self {
        case let .humaneval(_, _, e): e
        case let .mbpp(_, _, e): e
        }
    }

    /// The program: the solution, then the tests, then a marker with a fresh nonce printed only after every test ran.
    public func program(solution: String, marker: String) -> String {
        switch self {
        case let .humaneval(prompt, test, entryPoint):
            // A whole function stands alone (with the prompt's imports); a body completes the prompt.
            let body = solution.contains("def \(entryPoint)(")
                ? Self.imports(of: prompt) + "\n" + solution
                : prompt + solution
            return body + "\n\n" + test + "\n\ncheck(\(entryPoint))\nprint(\"\(marker)\", flush=True)\n"
        case let .mbpp(imports, asserts, _):
            return imports.joined(separator: "\n") + "\n" + solution + "\n\n" + asserts.joined(separator: "\n") + "\nprint(\"\(marker)\", flush=True)\n"
        }
    }

    /// The top-level import lines of a prompt.
    static func imports(of prompt: String) -> String {
        prompt.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { $0.hasPrefix("import ") || $0.hasPrefix("from ") }.joined(separator: "\n")
    }
}

/// What a program's run under its tests comes to.
public enum CodeVerdict: String, Sendable, Codable, CaseIterable {
    case accepted, wrongAnswer = "wrong_answer", timeLimit = "time_limit", memoryLimit = "memory_limit"
    case runtimeError = "runtime_error", outputLimit = "output_limit", sandboxError = "sandbox_error"
}

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
