import Foundation

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

/// What a code problem is tested by, read from its dataset row (or a `teamllm grade` line's `problem`).
public enum CodeProblem: Sendable, Equatable {
    case function(FunctionTests)
    case stdio(StdioProblem)

    /// The entry point whose definition the extraction prefers (function tests only).
    public var entryPoint: String? {
        if case let .function(t) = self { return t.entryPoint }
        return nil
    }

    /// A field of a problem that is missing or has the wrong type, and why.
    public struct FieldError: Error, Equatable, CustomStringConvertible {
        public let field: String
        public let why: String
        public var description: String { "field '\(field)' \(why)" }
    }

    /// The problem a row describes: a HumanEval item (`prompt`, `test`, `entry_point`), an MBPP item (`test_list`,
    /// and `test_imports`, `entry_point` or `code_header` if it has them), or a stdin/stdout problem (`tests`: a list
    /// of `{input, output}`, `time_limit_s`, `memory_limit_mb`).
    public init(row p: [String: JSONNode]) throws(FieldError) {
        if let raw = p["tests"] {
            guard let list = raw.items, !list.isEmpty else { throw FieldError(field: "tests", why: "is not a non-empty list of {input, output}") }
            var cases: [StdioProblem.Case] = []
            for (i, t) in list.enumerated() {
                guard let input = t.members?["input"]?.string else { throw FieldError(field: "tests[\(i)].input", why: "is missing or not text") }
                guard let output = t.members?["output"]?.string else { throw FieldError(field: "tests[\(i)].output", why: "is missing or not text") }
                cases.append(.init(input: input, output: output))
            }
            guard let time = p["time_limit_s"]?.text.flatMap(Double.init), time > 0, time.isFinite else {
                throw FieldError(field: "time_limit_s", why: "is missing or not a positive number")
            }
            guard let memory = p["memory_limit_mb"]?.text.flatMap(Double.init), memory > 0, memory.isFinite else {
                throw FieldError(field: "memory_limit_mb", why: "is missing or not a positive number")
            }
            self = .stdio(StdioProblem(tests: cases, timeLimitSeconds: time, memoryLimitMB: Int(memory.rounded(.up))))
            return
        }
        if let test = p["test"] {
            guard let test = test.string else { throw FieldError(field: "test", why: "is not text") }
            guard let prompt = p["prompt"]?.string else { throw FieldError(field: "prompt", why: "is missing or not text") }
            guard let entry = p["entry_point"]?.string else { throw FieldError(field: "entry_point", why: "is missing or not text") }
            self = .function(.humaneval(prompt: prompt, test: test, entryPoint: entry))
            return
        }
        if let list = p["test_list"] {
            guard let items = list.items, !items.isEmpty, case let asserts = items.compactMap(\.string), asserts.count == items.count else {
                throw FieldError(field: "test_list", why: "is not a non-empty list of texts")
            }
            var imports: [String] = []
            if let node = p["test_imports"] {
                guard let listed = node.items, case let texts = listed.compactMap(\.string), texts.count == listed.count else {
                    throw FieldError(field: "test_imports", why: "is not a list of texts")
                }
                imports = texts
            }
            var entry = p["entry_point"]?.string
            if entry == nil, let header = p["code_header"]?.string, let r = header.range(of: #"def\s+\w+"#, options: .regularExpression) {
                entry = String(header[r].dropFirst(3)).trimmingCharacters(in: .whitespaces)
            }
            self = .function(.mbpp(imports: imports, asserts: asserts, entryPoint: entry))
            return
        }
        throw FieldError(field: "tests", why: "is missing: the problem is neither HumanEval (prompt, test, entry_point), MBPP (test_list) nor stdin/stdout (tests)")
    }
}
