import Foundation
import Testing
@testable import TeamLLM
@testable import TeamLLMSandbox

/// A wrong version of any solution: the entry point's results, negated (equality, truth), so every test that
/// looks at a result fails or errors.
func mutant(of entryPoint: String) -> String {
    """

    class _TeamLLMMutant:
        def __init__(self, value): self.value = value
        def __eq__(self, other): return not (self.value == other)
        def __ne__(self, other): return self.value == other
        def __bool__(self): return not bool(self.value)
        __hash__ = None
    _teamllm_reference = \(entryPoint)
    def \(entryPoint)(*args, **kwargs): return _TeamLLMMutant(_teamllm_reference(*args, **kwargs))

    """
}

/// Runs `jobs` two at a time (one per core), each on its own worker (and so its own sandbox user).
func onTwoWorkers<T: Sendable>(_ count: Int, _ job: @escaping @Sendable (Int, Int) async -> T) async -> [T?] {
    await withTaskGroup(of: (index: Int, worker: Int, result: T).self) { group in
        var results = [T?](repeating: nil, count: count)
        var next = 0
        for worker in 0..<2 where next < count {
            let i = next; next += 1
            group.addTask { (i, worker, await job(i, worker)) }
        }
        // A worker takes the next job only once its last one has returned: never two runs under one user.
        while let done = await group.next() {
            results[done.index] = done.result
            if next < count {
                let j = next, worker = done.worker; next += 1
                group.addTask { (j, worker, await job(j, worker)) }
            }
        }
        return results
    }
}

@Suite("code sandbox: reference solutions pass, wrong ones do not, hostile programs are contained", .serialized)
struct SandboxTests {
    let registry: Registry
    init() throws { registry = try Fixtures.registry() }

    func runner(_ limits: SandboxLimits = SandboxLimits()) throws -> FunctionTestRunner {
        FunctionTestRunner(sandbox: try Sandbox(), limits: limits)
    }

    func items(_ id: String) throws -> [Item] {
        try Dataset.load(try #require(registry.benchmarks[id]), dataDir: Fixtures.dataDir, registryDir: Fixtures.registryDir).items
    }

    static func humaneval(_ item: Item) -> FunctionTests {
        .humaneval(prompt: item.row["prompt"]!.string!, test: item.row["test"]!.string!, entryPoint: item.row["entry_point"]!.string!)
    }

    static func mbpp(_ item: Item) -> FunctionTests {
        let header = item.row["code_header"]?.string ?? ""
        let name = header.range(of: #"def\s+(\w+)"#, options: .regularExpression).map { String(header[$0].dropFirst(4)).trimmingCharacters(in: .whitespaces) }
        return .mbpp(imports: item.row["test_imports"]?.items?.compactMap(\.string) ?? [], asserts: item.row["test_list"]!.items!.compactMap(\.string), entryPoint: name)
    }

    /// Runs every item's reference solution and its mutant; returns the references not accepted and the mutants accepted.
    func referencesAndMutants(_ items: [Item], _ tests: @escaping @Sendable (Item) -> FunctionTests) async throws
        -> (failed: [(String, CodeVerdict)], mutantsAccepted: [String]) {
        let runner = try runner()
        let verdicts = await onTwoWorkers(items.count * 2) { i, worker in
            let item = items[i / 2], t = tests(item)
            let solution = item.gold + (i % 2 == 1 ? mutant(of: t.entryPoint!) : "")
            return (await runner.check(ExtractedCode.from(solution, entryPoint: t.entryPoint).code, against: t, worker: worker)).verdict
        }
        return (stride(from: 0, to: verdicts.count, by: 2).filter { verdicts[$0] != .accepted }.map { (items[$0 / 2].id, verdicts[$0]!) },
                stride(from: 1, to: verdicts.count, by: 2).filter { verdicts[$0] == .accepted }.map { items[$0 / 2].id })
    }

    @Test("every HumanEval canonical solution (164) is accepted; each one's mutant is not")
    func humanevalReferences() async throws {
        let items = try items("humaneval")
        #expect(items.count == 164)
        let (failed, mutantsAccepted) = try await referencesAndMutants(items, Self.humaneval)
        #expect(failed.isEmpty, "\(failed.prefix(5))")
        #expect(mutantsAccepted.isEmpty, "\(mutantsAccepted)")
    }

    @Test("every MBPP reference solution (257) is accepted; each one's mutant is not")
    func mbppReferences() async throws {
        let items = try items("mbpp_sanitized")
        #expect(items.count == 257)
        let (failed, mutantsAccepted) = try await referencesAndMutants(items, Self.mbpp)
        #expect(failed.isEmpty, "\(failed.prefix(5))")
        #expect(mutantsAccepted.isEmpty, "\(mutantsAccepted)")
    }

    @Test("code extraction: the block defining the entry point, else the last Python block, else the whole response, with its span")
    func extraction() {
        let r = "Here:\n```python\ndef helper():\n    pass\n```\nand\n```python\ndef f(x):\n    return x\n```\n```text\nnot code\n```\n"
        let e = ExtractedCode.from(r, entryPoint: "helper")
        #expect(e.code == "def helper():\n    pass\n" && e.rule == "fenced_entry_point")
        let scalars = Array(r.unicodeScalars)
        #expect(String(String.UnicodeScalarView(scalars[e.span])) == e.code)
        #expect(ExtractedCode.from(r).code == "def f(x):\n    return x\n")
        #expect(ExtractedCode.from(r).rule == "fenced_last")
        #expect(ExtractedCode.from("    return 1\n").rule == "whole_response")
        #expect(ExtractedCode.from("```py\nprint(1)").code == "print(1)") // an unclosed block runs to the end
    }

    /// A trivial MBPP-style problem to run hostile solutions against.
    static let tests = FunctionTests.mbpp(imports: [], asserts: ["assert f(2) == 4"], entryPoint: "f")
    static let good = "def f(x):\n    return x * 2\n"

    @Test("hostile programs are contained, get their verdict, and the grader keeps working after each")
    func hostile() async throws {
        var limits = SandboxLimits()
        limits.cpuSeconds = 2
        limits.wallSeconds = 5
        limits.memoryBytes = 512 << 20
        limits.fileBytes = 8 << 20
        limits.outputBytes = 1 << 20
        let runner = try runner(limits)
        let secret = "TEAMLLM_TEST_SECRET_\(UUID().uuidString.prefix(8))"
        setenv("OPENROUTER_API_KEY", secret, 1)
        defer { unsetenv("OPENROUTER_API_KEY") }
        let outside = Fixtures.tempDir("outside")
        let planted = outside.appendingPathComponent("secret.txt")
        try Data("do not read".utf8).write(to: planted)
        let listener = try Listener()
        defer { listener.close() }
        let cases: [(name: String, code: String, expected: CodeVerdict)] = [
            ("sys.exit(0) before the tests", "import sys\nsys.exit(0)\n" + Self.good, .runtimeError),
            ("os._exit(0) before the tests", "import os\nos._exit(0)\n" + Self.good, .runtimeError),
            ("infinite loop", "while True:\n    pass\n", .timeLimit),
            ("sleep forever", "import time\ntime.sleep(10**6)\n", .timeLimit),
            ("memory bomb", "x = []\nwhile True:\n    x.append(bytearray(10**7))\n", .memoryLimit),
            ("fork bomb", "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n", .timeLimit),
            ("printing 1 GB", "import sys\nwhile True:\n    sys.stdout.write('x' * 65536)\n", .outputLimit),
            ("writing 10 GB to disk", "f = open('big', 'wb')\nfor _ in range(10**5):\n    f.write(b'x' * 10**5)\n", .runtimeError),
            ("connecting to a listener on loopback", "import socket\nsocket.create_connection(('127.0.0.1', \(listener.port)), timeout=2)\n" + Self.good, .runtimeError),
            ("reading the parent's environment", "import os\nassert 'OPENROUTER_API_KEY' in os.environ, sorted(os.environ)\n" + Self.good, .wrongAnswer),
            ("reading a file outside the sandbox", "open('\(planted.path)').read()\n" + Self.good, .runtimeError),
            ("writing outside the sandbox", "open('/usr/teamllm-escape', 'w').write('x')\n" + Self.good, .runtimeError),
            ("killing its parent", "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n" + Self.good, .accepted),
            ("reading stdin past its end", "import sys\nassert sys.stdin.read() == ''\nassert sys.stdin.read() == ''\n" + Self.good, .accepted),
            ("a background process that outlives the test", "import os, time\nif os.fork() == 0:\n    time.sleep(30)\n    open('/box/late', 'w').write('x')\n    os._exit(0)\n" + Self.good, .accepted),
        ]
        for c in cases {
            let start = DispatchTime.now()
            let (verdict, reason, _) = await runner.check(c.code, against: Self.tests)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
            #expect(verdict == c.expected, "\(c.name): \(verdict) (\(reason))")
            #expect(seconds < limits.wallSeconds + 3, "\(c.name) took \(seconds) s")
            let after = await runner.check(Self.good, against: Self.tests)
            #expect(after.verdict == .accepted, "after \(c.name): \(after.verdict) (\(after.reason))")
        }
        #expect(listener.accepted == 0, "a sandboxed program reached the loopback listener")
        #expect(!FileManager.default.fileExists(atPath: "/usr/teamllm-escape"))
        // The background process and the fork bomb's children were killed with their sandbox: nothing is left
        // running as a sandbox user (zombies, already dead and waiting for their parent to reap them, aside).
        let ps = try await Fixtures.python(["-c", "import os\ndef live(p):\n  try:\n    s = os.stat('/proc/'+p); st = open('/proc/'+p+'/stat').read()\n  except OSError:\n    return False\n  return \(Sandbox.firstUID) <= s.st_uid < \(Sandbox.firstUID + 64) and st[st.rindex(')')+2] != 'Z'\nprint(sum(1 for p in os.listdir('/proc') if p.isdigit() and live(p)))"])
        #expect(ps.output.trimmingCharacters(in: .whitespacesAndNewlines) == "0", "processes left: \(ps.output)")
    }

    @Test("teamllm grade --grader code: HumanEval and MBPP problems graded in the sandbox; a malformed line is named and the rest graded")
    func gradeLines() async throws {
        let he = try items("humaneval")[0], mb = try items("mbpp_sanitized")[0]
        func json(_ o: [String: Any]) throws -> String { String(decoding: try JSONSerialization.data(withJSONObject: o), as: UTF8.self) }
        func problem(_ item: Item) throws -> Any { try JSONSerialization.jsonObject(with: Data(JSONWriter.bytes(.object(item.row)))) }
        let lines = [
            try json(["id": "he", "response": "Sure:\n```python\n" + he.row["prompt"]!.string! + he.gold + "```\n", "problem": try problem(he)]),
            try json(["id": "exit", "response": "import sys\nsys.exit(0)\n", "problem": try problem(he)]),
            try json(["id": "mb", "response": mb.gold, "problem": try problem(mb)]),
            try json(["id": "io", "response": "print(1)", "problem": ["tests": []]]),
            "{not json",
            try json(["id": "sum", "response": "```python\na, b = map(int, input().split())\nprint(a + b)\n```", "problem": try problem(try items("stdio_fixture")[0])]),
        ]
        let (outputs, problems) = await CodeGrading.grade(lines: Data(lines.joined(separator: "\n").utf8), file: "code.jsonl", grader: SandboxedCodeGrader(sandbox: try Sandbox()))
        #expect(problems == ["code.jsonl:4: field 'problem' field 'tests' is not a non-empty list of {input, output}", "code.jsonl:5: not a JSON object"])
        let rows = try outputs.map { try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        #expect(rows.map { $0["id"] as? String } == ["he", "exit", "mb", "sum"])
        #expect(rows.map { $0["verdict"] as? String } == ["correct", "incorrect", "correct", "correct"])
        let runs = rows.map { $0["execution"] as? [String: Any] ?? [:] }
        #expect((runs[3]["tests"] as? [[String: Any]])?.count == 3 && (runs[3]["limits"] as? [String: Any])?["cpu_s"] as? Int == 3)
        #expect(runs[3]["time_multiplier"] as? Int == 3)
        #expect(rows[0]["rule"] as? String == "fenced_entry_point" && runs[1]["code_verdict"] as? String == "runtime_error")
        #expect(runs.prefix(3).allSatisfy { $0["unsafe"] as? Bool == false && ($0["limits"] as? [String: Any])?["cpu_s"] as? Int == 10 })
    }

    @Test("stdout is compared token by token: integers exactly, other numbers within 1e-6, words exactly")
    func comparison() {
        let same: [(String, String)] = [("3\n", "3"), ("1  2\n", "1 2"), ("2.3333333333", "2.333333"), ("0012", "12"), ("-0", "0"), ("1e-7", "0"),
                                         ("1000000.0000005", "1000000")]
        let differ: [(String, String)] = [("2.33", "2.333333"), ("12345678901234567890", "12345678901234567891"), ("YES", "yes"), ("1 2", "1 2 3"),
                                          ("3", "3.5"), ("inf", "1e308"), ("", "0")]
        for (a, e) in differ { #expect(!OutputComparison.same(a, e, tolerance: 1e-6), "\(a) vs \(e)") }
        for (a, e) in same { #expect(OutputComparison.same(a, e, tolerance: 1e-6), "\(a) vs \(e)") }
    }

    @Test("stdin/stdout problems: correct Python passes at 3× the official time, wrong or slow programs do not, each test recorded")
    func stdio() async throws {
        let problems = try items("stdio_fixture").map { item -> StdioProblem in
            StdioProblem(tests: item.row["tests"]!.items!.map { .init(input: $0.members!["input"]!.string!, output: $0.members!["output"]!.string!) },
                         timeLimitSeconds: Double(item.row["time_limit_s"]!.text!)!, memoryLimitMB: Int(item.row["memory_limit_mb"]!.text!)!)
        }
        let runner = StdioRunner(sandbox: try Sandbox())
        let solutions = [
            "a, b = map(int, input().split())\nprint(a + b)\n",
            "print(' '.join(input().split()[::-1]))\n",
            "n = int(input())\ns = bytearray([1]) * (n + 1)\ns[0:2] = b'\\x00\\x00'\nfor i in range(2, int(n ** 0.5) + 1):\n    if s[i]:\n        s[i*i::i] = bytearray(len(s[i*i::i]))\nprint(sum(s))\n",
            "n = int(input())\nxs = list(map(int, input().split()))\nprint(f'{sum(xs) / n:.10f}')\n",
        ]
        for (i, code) in solutions.enumerated() {
            let r = await runner.check(code, on: problems[i])
            #expect(r.verdict == .accepted && r.tests.count == problems[i].tests.count, "problem \(i): \(r.verdict) \(r.reason)")
        }
        let wrong = await runner.check("a, b = map(int, input().split())\nprint(a - b)\n", on: problems[0])
        #expect(wrong.verdict == .wrongAnswer && wrong.tests.map(\.verdict) == [.wrongAnswer] && wrong.reason.hasPrefix("test 0"))
        let imprecise = await runner.check("n = int(input())\nxs = list(map(int, input().split()))\nprint(round(sum(xs) / n, 2))\n", on: problems[3])
        #expect(imprecise.verdict == .wrongAnswer)
        let crash = await runner.check("raise SystemExit(3)\n", on: problems[0])
        #expect(crash.verdict == .runtimeError)
        // 1.5 CPU seconds against an official limit of 1 s: correct at 3×, a time limit at 1×.
        let slow = "import time\nt = time.process_time()\nwhile time.process_time() - t < 1.5:\n    pass\na, b = map(int, input().split())\nprint(a + b)\n"
        let one = StdioProblem(tests: [problems[0].tests[0]], timeLimitSeconds: 1, memoryLimitMB: 256)
        #expect(runner.settings.limits(for: one).cpuSeconds == 3)
        #expect(await runner.check(slow, on: one).verdict == .accepted)
        var strict = runner
        strict.settings.timeMultiplier = 1
        #expect(await strict.check(slow, on: one).verdict == .timeLimit)
    }

    @Test("without the tools the sandbox needs, model-written code is refused with what is missing, unless unsafe is chosen")
    func refusal() throws {
        // Construct the error a missing bubblewrap gives, and check what it tells the researcher.
        let e = SandboxError.missing(tool: "bubblewrap", path: Sandbox.bwrap, install: "apt-get install bubblewrap")
        #expect(e.description.contains("bubblewrap is missing (/usr/bin/bwrap)") && e.description.contains("--unsafe-no-sandbox"))
        let unsafe = try Sandbox(unsafe: true)
        #expect(unsafe.command(box: URL(fileURLWithPath: "/tmp/x"), worker: 0, limits: SandboxLimits()).first == Sandbox.prlimit)
        let safe = try Sandbox()
        let argv = safe.command(box: URL(fileURLWithPath: "/tmp/x"), worker: 1, limits: SandboxLimits())
        #expect(argv.prefix(3) == [Sandbox.setpriv, "--reuid=\(Sandbox.firstUID + 1)", "--regid=\(Sandbox.firstUID + 1)"])
        #expect(argv.contains("--unshare-all") && argv.contains("--die-with-parent") && argv.contains("--new-session") && argv.contains("--clearenv"))
    }
}

/// A TCP listener on loopback that counts connections (a sandboxed program must not reach it).
final class Listener: @unchecked Sendable {
    // Safe: `accepted` is only written by the accept thread and read after `close()` has joined nothing
    // concurrently; tests read it once at the end, and a torn read of an Int cannot happen on this platform.
    let fd: Int32
    let port: UInt16
    private(set) var accepted = 0
    init() throws {
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, len) } }
        listen(s, 8)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(s, $0, &len) } }
        port = UInt16(bigEndian: addr.sin_port)
        fd = s
        let fd = s
        Thread.detachNewThread { [weak self] in
            while true {
                let c = accept(fd, nil, nil)
                if c < 0 { return }
                self?.accepted += 1
                Glibc.close(c)
            }
        }
    }
    func close() { shutdown(fd, Int32(SHUT_RDWR)); Glibc.close(fd) }
}
