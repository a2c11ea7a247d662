import Foundation

/// A stdin/stdout problem (code_contests, LiveCodeBench style): input/output pairs and the official limits.
public struct StdioProblem: Sendable, Equatable {
    public struct Case: Sendable, Equatable {
        public let input: String
        public let output: String
        public init(input: String, output: String) { self.input = input; self.output = output }
    }
    public let tests: [Case]
    /// The problem's official time limit (written for C++), seconds.
    public let timeLimitSeconds: Double
    public let memoryLimitMB: Int

    public init(tests: [Case], timeLimitSeconds: Double, memoryLimitMB: Int) {
        self.tests = tests
        self.timeLimitSeconds = timeLimitSeconds
        self.memoryLimitMB = memoryLimitMB
    }
}

/// How one input/output pair went.
public struct StdioOutcome: Sendable, Equatable {
    public let test: Int
    public let verdict: CodeVerdict
    public let wallMs: Int
}

/// Running a program on each input of a stdin/stdout problem, comparing its output token by token.
///
/// Limits: CPU = `multiplier` × the official time limit (default 3×, so correct Python is not failed for being
/// slower than C++), rounded up to whole seconds; wall clock = 2 × that + 1 s; address space = the official memory
/// + `interpreterMB` for CPython itself. Comparison: whitespace-separated tokens, the same number of them; integer
/// tokens exactly, other numbers within `tolerance` (absolute, or relative to the expected value when larger than
/// 1), anything else exactly. The first test that fails decides; tests after it are not run.
public struct StdioRunner: Sendable {
    public let sandbox: Sandbox
    public var multiplier: Double = 3
    public var tolerance: Double = 1e-6
    public var interpreterMB: Int = 128

    public init(sandbox: Sandbox) { self.sandbox = sandbox }

    /// The limits one problem's runs are held to.
    public func limits(for problem: StdioProblem) -> SandboxLimits {
        var l = SandboxLimits()
        l.cpuSeconds = max(1, Int((multiplier * problem.timeLimitSeconds).rounded(.up)))
        l.wallSeconds = Double(2 * l.cpuSeconds + 1)
        l.memoryBytes = (problem.memoryLimitMB + interpreterMB) << 20
        return l
    }

    /// The verdict of `code` on `problem`, why, and each test run so far.
    public func check(_ code: String, on problem: StdioProblem, worker: Int = 0) async -> (verdict: CodeVerdict, reason: String, tests: [StdioOutcome]) {
        let limits = limits(for: problem)
        var outcomes: [StdioOutcome] = []
        for (i, t) in problem.tests.enumerated() {
            let run: SandboxRun
            do { run = try await sandbox.run(code, stdin: Data(t.input.utf8), worker: worker, limits: limits) } catch {
                return (.sandboxError, "\(error)", outcomes)
            }
            let verdict: CodeVerdict
            if let failed = CodeVerdict.failure(of: run) { verdict = failed }
            else if case .exited(0) = run.end {
                verdict = Self.same(String(decoding: run.stdout, as: UTF8.self), t.output, tolerance: tolerance) ? .accepted : .wrongAnswer
            } else { verdict = CodeVerdict.unfinished(run) }
            outcomes.append(StdioOutcome(test: i, verdict: verdict, wallMs: Int(run.wallSeconds * 1000)))
            if verdict != .accepted {
                let why = verdict == .wrongAnswer ? "test \(i): output differs from the expected" : "test \(i): \(FunctionTestRunner.reason(run))"
                return (verdict, why, outcomes)
            }
        }
        return (.accepted, "all \(problem.tests.count) tests passed", outcomes)
    }

    /// Token-by-token comparison (see the type's documentation).
    public static func same(_ actual: String, _ expected: String, tolerance: Double) -> Bool {
        let a = actual.split(whereSeparator: \.isWhitespace), e = expected.split(whereSeparator: \.isWhitespace)
        guard a.count == e.count else { return false }
        for (x, y) in zip(a, e) where x != y {
            // Integers of any size: exactly (a relative tolerance would accept a wrong 20-digit answer).
            if let p = integer(x), let q = integer(y) {
                if p != q { return false }
                continue
            }
            guard let u = Double(x), let v = Double(y), u.isFinite, v.isFinite else { return false }
            if abs(u - v) > tolerance * max(1, abs(v)) { return false }
        }
        return true
    }

    /// An integer token in a canonical text form (sign, no leading zeros), or nil.
    static func integer(_ t: Substring) -> String? {
        var s = t, negative = false
        if let c = s.first, c == "-" || c == "+" { negative = c == "-"; s = s.dropFirst() }
        guard !s.isEmpty, s.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        let digits = s.drop { $0 == "0" }
        return digits.isEmpty ? "0" : (negative ? "-" : "") + digits
    }
}
