import Foundation
import Synchronization
import Testing
@testable import TeamLLM
import TeamLLMSandbox

/// Counts the grades a program grader runs at once and the workers it is given, around the real sandboxed grader.
final class CountingGrader: ProgramGrader {
    let inner: SandboxedCodeGrader
    let state = Mutex((now: 0, most: 0, workers: Set<Int>(), graded: 0))
    init(inner: SandboxedCodeGrader) { self.inner = inner }
    var name: String { inner.name }
    var version: String { inner.version }
    var configuration: [String: String] { inner.configuration }
    var workers: Int { inner.workers }

    func grade(response: String, item: GradingItem, worker: Int) async -> Grade {
        state.withLock { s in s.now += 1; s.most = max(s.most, s.now); s.workers.insert(worker); s.graded += 1 }
        defer { state.withLock { $0.now -= 1 } }
        return await inner.grade(response: response, item: item, worker: worker)
    }
}

/// A program grader that grades nothing until every cell's attempt is on disk: if grading held up the calls or
/// their records, it would wait for ever (and give up, ungradable, after 30 s).
struct WaitingGrader: ProgramGrader {
    let inner: SandboxedCodeGrader
    let runs: URL
    let cells: Int
    var name: String { inner.name }
    var version: String { inner.version }
    var configuration: [String: String] { inner.configuration }
    var workers: Int { 1 }

    func grade(response: String, item: GradingItem, worker: Int) async -> Grade {
        for _ in 0..<300 {
            let files = (try? FileManager.default.subpathsOfDirectory(atPath: runs.path)) ?? []
            let lines = files.filter { $0.hasSuffix("/attempts.jsonl") }.compactMap { try? String(contentsOf: runs.appendingPathComponent($0), encoding: .utf8) }
                .map { $0.split(separator: "\n").count }.reduce(0, +)
            if lines >= cells { return await inner.grade(response: response, item: item, worker: worker) }
            try? await Task.sleep(nanoseconds: 100_000_000)
        }
        return Grade(verdict: .ungradable, extracted: nil, span: nil, rule: nil, reason: "gave up waiting for the calls")
    }
}

@Suite("code benchmarks through the substrate: graded in the sandbox at VERIFYING, regraded in shards, merged")
struct CodeSweepTests {
    /// HumanEval and MBPP items on the simulated pool: sim-frontier answers with the reference solution, sim-small with a broken program.
    static func manifest(grader: String? = nil) -> String {
        """
        name: code-sweep
        preregistration: code sweep test
        benchmarks:
          - {ref: humaneval, limit: 6, shuffle_seed: 1\(grader.map { ", grader: \($0)" } ?? "")}
          - {ref: mbpp_sanitized, limit: 6, shuffle_seed: 1\(grader.map { ", grader: \($0)" } ?? "")}
        models:
          - {ref: sim-frontier, provider: simulated}
          - {ref: sim-small, provider: simulated}
        sampling: {temperature: 0.7, max_tokens: 512, samples: 1}
        seed: 5
        providers:
          simulated:
            common_mode: 0
            sleep_scale: 0
            accuracy: {sim-frontier: 1, sim-small: 0}
        concurrency: 4
        budget_usd: "5"
        cache: cache
        """
    }

    func options(_ dir: URL, _ grader: CountingGrader) -> RunOptions {
        var o = Fixtures.options(runsDir: dir.appendingPathComponent("runs"))
        o.programGraders[grader.name] = { grader }
        return o
    }

    @Test("a code sweep grades every answer in the sandbox, at most one run per worker, each grade with its run; verify passes")
    func sweep() async throws {
        let dir = Fixtures.tempDir("code-sweep")
        let url = try Fixtures.write(Self.manifest(), to: dir)
        // Without a sandbox the sweep refuses before any cell runs, naming the grader.
        let refused = await #expect(throws: RunError.self) {
            try await Sweep.run(manifest: url, options: Fixtures.options(runsDir: dir.appendingPathComponent("runs")))
        }
        #expect("\(refused.map { "\($0)" } ?? "")".contains("graded by code-execution@1, which runs model-written code, but no sandbox was given"))
        let grader = CountingGrader(inner: SandboxedCodeGrader(sandbox: try Sandbox(), workers: 2))
        let r = try await Sweep.run(manifest: url, options: options(dir, grader))
        #expect(r.sweepPhase == .completed && r.completed == 24)
        let s = grader.state.withLock { $0 }
        #expect(s.graded == 24 && s.most <= 2 && s.workers.isSubset(of: [0, 1]))
        let grades = try RunRecords.read(r.folder).grades.map(\.payload)
        #expect(grades.count == 24 && grades.allSatisfy { $0.identity == "code-execution@1" && $0.execution?.unsafe == false })
        #expect(grades.filter { $0.cell.model == "sim-frontier" }.allSatisfy { $0.verdict == .correct && $0.execution?.verdict == .accepted })
        #expect(grades.filter { $0.cell.model == "sim-small" }.allSatisfy { $0.verdict == .incorrect })
        #expect(grades.allSatisfy { $0.execution?.limits.cpuSeconds == 10 })
        // Every cell went EXECUTING → VERIFYING → COMPLETED, the grade written before COMPLETED.
        let events = try RunRecords.read(r.folder).events.map(\.payload).filter { $0.scope == "cell" }
        #expect(events.filter { $0.to == .verifying }.count == 24 && events.filter { $0.to == .completed }.count == 24)
        let report = try Verifier.verify(r.folder)
        #expect(report.problems.isEmpty, "\(report.problems.prefix(3))")
        let m = try Matrix.build(r.folder)
        #expect(m.cells.filter { $0.verdict == .correct }.count == 12)
        // Code grades match docs/schemas (the execution report included).
        let (status, text) = try await Fixtures.python([Fixtures.repo.appendingPathComponent("docs/schemas/check.py").path, r.folder.url.path])
        #expect(status == 0 && text.contains("records valid"), "\(text)")
    }

    @Test("grading that is stuck does not hold up the calls: every attempt is recorded while no grade is made")
    func gradingDoesNotHoldCalls() async throws {
        let dir = Fixtures.tempDir("code-lane")
        // Simulated latency, so calls run as tasks of their own (not inline at admission).
        let url = try Fixtures.write(Self.manifest().replacingOccurrences(of: "sleep_scale: 0", with: "sleep_scale: 0.01"), to: dir)
        let runs = dir.appendingPathComponent("runs")
        let grader = WaitingGrader(inner: SandboxedCodeGrader(sandbox: try Sandbox(), workers: 1), runs: runs, cells: 24)
        var o = Fixtures.options(runsDir: runs)
        o.programGraders[grader.name] = { grader }
        let r = try await Sweep.run(manifest: url, options: o)
        #expect(r.completed == 24)
        let grades = try RunRecords.read(r.folder).grades.map(\.payload)
        #expect(grades.count == 24 && !grades.contains { $0.reason == "gave up waiting for the calls" })
        #expect(grades.filter { $0.verdict == .correct }.count == 12)
    }

    @Test("a code regrade in two shards, merged, grades every answer once, equal to the sandbox's verdicts; verify passes")
    func shards() async throws {
        let dir = Fixtures.tempDir("code-shards")
        // Graded first by a text grader that cannot read programs, so code-execution has everything to regrade.
        let url = try Fixtures.write(Self.manifest(grader: "numeric-exact@1"), to: dir)
        let grader = CountingGrader(inner: SandboxedCodeGrader(sandbox: try Sandbox(), workers: 2))
        let r = try await Sweep.run(manifest: url, options: options(dir, grader))
        #expect(r.completed == 24 && grader.state.withLock { $0.graded } == 0)
        let program = RegradeGrader.program(grader, dataDir: Fixtures.dataDir, registryDir: Fixtures.registryDir)
        let both: Set<String> = ["humaneval", "mbpp_sanitized"]
        let s0 = try RegradeShard(spec: "0/2"), s1 = try RegradeShard(spec: "1/2")
        #expect(throws: RegradeShardError.badSpec("2/2")) { try RegradeShard(spec: "2/2") }
        let a = try await Regrade.run(r.folder, grader: program, benchmarks: both, shard: s0)
        let b = try await Regrade.run(r.folder, grader: program, benchmarks: both, shard: s1)
        #expect(a.counts.added + b.counts.added == 24 && a.counts.added > 0 && b.counts.added > 0)
        // Nothing is in the run yet; the shard files are.
        #expect(try RunRecords.read(r.folder).grades.count == 24)
        let files = [s0, s1].map { $0.file(in: r.folder, grader: CodeExecution().identity) }
        let merged = try await Regrade.merge(r.folder, shards: files)
        #expect(merged.counts.added == 24 && merged.counts.left == 0)
        // Merging again adds nothing.
        let again = try await Regrade.merge(r.folder, shards: files)
        #expect(again.counts.added == 0 && again.counts.already == 24)
        let m = try Matrix.build(r.folder)
        #expect(m.cells.filter { $0.verdict == .correct }.map(\.model).sorted() == Array(repeating: "sim-frontier", count: 12))
        let report = try Verifier.verify(r.folder)
        #expect(report.problems.isEmpty, "\(report.problems.prefix(3))")
        // A shard file of another run is refused, naming it.
        let other = Fixtures.tempDir("code-shards-other")
        let r2 = try await Sweep.run(manifest: try Fixtures.write(Self.manifest(grader: "numeric-exact@1"), to: other), options: options(other, grader))
        await #expect(throws: RunError.self) { try await Regrade.merge(r2.folder, shards: files) }
    }
}
