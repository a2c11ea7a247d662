import Foundation

/// What a program's run under its tests comes to.
public enum CodeVerdict: String, Sendable, Codable, CaseIterable {
    case accepted, wrongAnswer = "wrong_answer", timeLimit = "time_limit", memoryLimit = "memory_limit"
    case runtimeError = "runtime_error", outputLimit = "output_limit", sandboxError = "sandbox_error"

    /// The matrix's verdict: a sandbox failure says nothing of the program, so it is never counted wrong.
    public var verdict: Verdict {
        switch self {
        case .accepted: .correct
        case .sandboxError: .ungradable
        default: .incorrect
        }
    }
}

/// The limits one sandboxed run is held to; every grade records the ones actually used.
public struct SandboxLimits: Sendable, Equatable, Codable {
    /// CPU seconds (`RLIMIT_CPU`; SIGXCPU at this, SIGKILL one second later).
    public var cpuSeconds: Int = 10
    /// Wall clock, enforced by killing the whole process group.
    public var wallSeconds: Double = 20
    /// Address space (`RLIMIT_AS`), bytes.
    public var memoryBytes: Int = 1 << 30
    /// Largest file the program may write (`RLIMIT_FSIZE`), bytes.
    public var fileBytes: Int = 64 << 20
    public var openFiles: Int = 64
    /// Processes of the sandbox's user (`RLIMIT_NPROC`; holds because the user is unprivileged and one per worker).
    public var processes: Int = 32
    /// Standard output kept; a program that prints more gets `outputLimit`.
    public var outputBytes: Int = 1 << 20

    public init() {}

    enum CodingKeys: String, CodingKey {
        case cpuSeconds = "cpu_s", wallSeconds = "wall_s", memoryBytes = "memory_bytes", fileBytes = "file_bytes"
        case openFiles = "open_files", processes, outputBytes = "output_bytes"
    }
}

/// How one test of a stdin/stdout problem went.
public struct TestRun: Sendable, Equatable, Codable {
    public let test: Int
    public let verdict: CodeVerdict
    public let wallMs: Int

    public init(test: Int, verdict: CodeVerdict, wallMs: Int) {
        self.test = test
        self.verdict = verdict
        self.wallMs = wallMs
    }

    enum CodingKeys: String, CodingKey { case test, verdict, wallMs = "wall_ms" }
}

/// What running a response's program found, as its grade record keeps it: the verdict in full, each test
/// (stdin/stdout problems), the time, the limits actually used, and whether the sandbox was bypassed.
public struct ExecutionReport: Sendable, Equatable, Codable {
    public let verdict: CodeVerdict
    /// Per test, in order, up to the first that failed (stdin/stdout problems); nil for function tests (one run).
    public var tests: [TestRun]? = nil
    /// Wall time of the (last) run, milliseconds; nil when nothing ran.
    public var wallMs: Int? = nil
    public let limits: SandboxLimits
    /// CPU limit as a multiple of the problem's official time limit (stdin/stdout problems).
    public var timeMultiplier: Double? = nil
    /// True when the code ran without bubblewrap or a user switch (`--unsafe-no-sandbox`).
    public let unsafe: Bool

    public init(verdict: CodeVerdict, tests: [TestRun]? = nil, wallMs: Int? = nil, limits: SandboxLimits, timeMultiplier: Double? = nil, unsafe: Bool) {
        self.verdict = verdict
        self.tests = tests
        self.wallMs = wallMs
        self.limits = limits
        self.timeMultiplier = timeMultiplier
        self.unsafe = unsafe
    }

    enum CodingKeys: String, CodingKey {
        case verdict = "code_verdict", tests, limits, unsafe, wallMs = "wall_ms", timeMultiplier = "time_multiplier"
    }
}

/// Every setting of the code grader that can change a verdict; hashed into its identity.
///
/// Function tests (HumanEval, MBPP) run once under `functionLimits`. A stdin/stdout problem's CPU limit is
/// `timeMultiplier` × its official time limit, rounded up (3×, so correct Python is not failed for being slower
/// than the C++ the limit was set for); its wall clock 2 × that + 1 s; its address space the official memory +
/// `interpreterMB` for CPython. Outputs compare token by token, numbers within `tolerance`.
public struct CodeExecutionSettings: Sendable, Equatable {
    public var functionLimits = SandboxLimits()
    public var timeMultiplier: Double = 3
    public var tolerance: Double = 1e-6
    public var interpreterMB: Int = 128

    public init() {}

    /// The limits one stdin/stdout problem's runs are held to.
    public func limits(for problem: StdioProblem) -> SandboxLimits {
        var l = functionLimits
        l.cpuSeconds = max(1, Int((timeMultiplier * problem.timeLimitSeconds).rounded(.up)))
        l.wallSeconds = Double(2 * l.cpuSeconds + 1)
        l.memoryBytes = (problem.memoryLimitMB + interpreterMB) << 20
        return l
    }

    /// As text, for the identity's hash (limits as their canonical JSON).
    var configuration: [String: String] {
        [
            "function_limits": (try? CanonicalJSON.encode(functionLimits)).map { String(decoding: $0, as: UTF8.self) } ?? "",
            "time_multiplier": "\(timeMultiplier)", "tolerance": "\(tolerance)", "interpreter_mb": "\(interpreterMB)",
            "extraction": "fenced block defining the entry point, else the last python block, else the whole response",
            "pass": "exit 0 and a fresh nonce marker printed after every test; stdin/stdout: every test's tokens equal",
        ]
    }
}

/// Comparing a program's output with the expected output.
public enum OutputComparison {
    /// Whitespace-separated tokens, the same number of them; integer tokens exactly, other numbers within `tolerance`
    /// (absolute, or relative to the expected value when larger than 1), anything else exactly.
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
