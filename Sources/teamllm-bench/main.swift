// `make bench`: the speed and memory figures of the substrate, measured end to end in a release build.
import Foundation
import Synchronization
import TeamLLM
import TeamLLMAnalysis
import TeamLLMImitation
import TeamLLMOpenRouter
import TeamLLMSandbox
import Subprocess

let args = CommandLine.arguments
func value(_ flag: String) -> String? { args.firstIndex(of: flag).flatMap { args.indices.contains($0 + 1) ? args[$0 + 1] : nil } }
let dataDir = URL(fileURLWithPath: value("--data-dir") ?? ProcessInfo.processInfo.environment["TEAMLLM_DATA_DIR"] ?? "../shared/data")
let registryDir = URL(fileURLWithPath: value("--registry") ?? "registry")
let work = FileManager.default.temporaryDirectory.appendingPathComponent("teamllm-bench-\(getpid())")
try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
defer { if value("--child") == nil { try? FileManager.default.removeItem(at: work) } }

func manifest(name: String, models: String, providers: String, limit: String, samples: Int) -> String {
    """
    name: \(name)
    preregistration: benchmark sweep
    benchmarks:
      - {ref: gsm8k\(limit)}
    models:
    \(models)
    sampling: {temperature: 0, max_tokens: 256, samples: \(samples)}
    seed: 1
    \(providers)
    concurrency: 8
    budget_usd: "100000"
    cache: cache
    """
}

let replay = manifest(name: "bench-replay", models: """
      - {ref: gpt3-6b-finetuning, provider: replay}
      - {ref: gpt3-6b-verification, provider: replay}
      - {ref: gpt3-175b-finetuning, provider: replay}
      - {ref: gpt3-175b-verification, provider: replay}
    """, providers: "", limit: "", samples: 1)

let simulated = manifest(name: "bench-sim100k", models: """
      - {ref: sim-frontier, provider: simulated}
      - {ref: sim-mid, provider: simulated}
      - {ref: sim-small, provider: simulated}
      - {ref: gpt3-6b-finetuning, provider: simulated}
    """, providers: """
    providers:
      simulated:
        common_mode: 0.1
        accuracy: {sim-frontier: 0.9, sim-mid: 0.7, sim-small: 0.4, gpt3-6b-finetuning: 0.2}
    """, limit: ", limit: 1250", samples: 20)

func seconds(_ body: () async throws -> Void) async rethrows -> Double {
    let start = DispatchTime.now()
    try await body()
    return Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
}

func options(_ runs: URL) -> RunOptions { RunOptions(registryDir: registryDir, dataDir: dataDir, runsDir: runs, progress: false) }

if value("--child") == "sim100k" {
    // Runs in its own process so its peak resident memory can be read by the parent.
    let dir = URL(fileURLWithPath: value("--dir")!)
    let url = dir.appendingPathComponent("sim.yaml")
    try simulated.write(to: url, atomically: true, encoding: .utf8)
    let r = try await Sweep.run(manifest: url, options: options(dir.appendingPathComponent("runs")))
    print("\(r.completed) \(r.sweepPhase.rawValue)")
    exit(0)
}

print("TeamLLM benchmarks (release build, \(ProcessInfo.processInfo.activeProcessorCount) cores)")
// `--http-only` / `--graders-only` / `--sandbox-only` / `--analysis-only`: just those figures.
if args.contains("--http-only") {
    try await httpBenchmarks()
} else if args.contains("--graders-only") {
    try await graderBenchmarks()
} else if args.contains("--sandbox-only") {
    try await sandboxBenchmarks()
} else if args.contains("--analysis-only") {
    try await analysisBenchmarks()
} else {
    try await substrateBenchmarks()
    try await graderBenchmarks()
    try await sandboxBenchmarks()
    try await analysisBenchmarks()
    try await httpBenchmarks()
}

/// The analyses of the synthetic common-shock pool, 67 models × 330 items × 3 samples: the co-failure figures
/// (bootstrap of 2,000 included), every policy replay, the pool-size curve at 60 subsets per size, the report.
func analysisBenchmarks() async throws {
    let matrix = SyntheticPool.commonShock(models: 67, items: 330, samples: 3)
    var figures: CoFailure?
    let tFigures = try await seconds {
        let pool = try ScoredPool(matrix, coverage: .complete)
        figures = try CoFailure(pool, pairwise: PairwiseErrors(pool), resamples: 2000)
    }
    print(String(format: "analyze 67×330: co-failure figures (tetrachoric for 2,211 pairs, β_sf, bootstrap 2,000): %.3f s, β %.4f, β_sf %.3g (target < 1 s)",
                 tFigures, figures!.beta, figures!.betaSingleFactor ?? .nan))
    var settings = Analysis.Settings()
    settings.poolCurve = false
    var replays = 0
    let tReplays = try await seconds { replays = try Analysis(matrix, settings: settings).replays.cascades }
    print(String(format: "analyze 67×330×3 without the pool curve (figures + every replay: %d cascade points, leave-one-out): %.3f s", replays, tReplays))
    var curvePoints = 0
    let tCurve = try await seconds {
        let pool = try ScoredPool(matrix, coverage: .complete)
        curvePoints = PoolCurve(pool, pairwise: PairwiseErrors(pool), subsets: 60).points.count
    }
    print(String(format: "pool-size curve 67×330, 60 subsets for each of %d sizes: %.3f s (target < 5 s)", curvePoints, tCurve))
    var bytes = 0
    let tReport = try await seconds { bytes = HTMLReport.html(try Analysis(matrix)).utf8.count }
    print(String(format: "report 67×330×3 (the whole analysis, pool curve included, and its HTML, %d KB): %.3f s (target < 2 s)", bytes / 1024, tReport))
}

/// `teamllm grade`'s work on MATH-500's 500 reference solutions, each against its gold answer.
func graderBenchmarks() async throws {
    var lines: [String] = []
    for (n, line) in try String(contentsOf: dataDir.appendingPathComponent("math500/test.jsonl"), encoding: .utf8).split(separator: "\n").enumerated() {
        let row = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
        let out: [String: Any] = ["id": n, "response": row["solution"]!, "gold": row["answer"]!]
        lines.append(String(decoding: try JSONSerialization.data(withJSONObject: out), as: UTF8.self))
    }
    let input = Data(lines.joined(separator: "\n").utf8)
    var outputs: [String] = []
    let t = try await seconds { outputs = TextGrading.grade(lines: input, file: "math500", grader: BoxedLatex()).outputs }
    let correct = outputs.filter { $0.contains("\"verdict\":\"correct\"") }.count
    print(String(format: "grade (boxed-latex) of MATH-500's %d reference solutions: %.3f s, %d correct (target < 1 s)", outputs.count, t, correct))

    // Regrade at $0: a 100,000-cell MATH-500 sweep on the simulated pool graded by boxed-latex@1 at launch, then every
    // stored answer graded again by boxed-latex@2 (records read, answers read from the cache, graded, appended, fsynced).
    let dir = work.appendingPathComponent("regrade")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let url = dir.appendingPathComponent("math.yaml")
    try """
    name: bench-regrade
    preregistration: regrade benchmark
    benchmarks:
      - {ref: math500, grader: boxed-latex@1}
    models:
      - {ref: sim-frontier, provider: simulated}
      - {ref: sim-mid, provider: simulated}
      - {ref: sim-small, provider: simulated}
      - {ref: gpt3-6b-finetuning, provider: simulated}
    sampling: {temperature: 0.7, max_tokens: 512, samples: 50}
    seed: 5
    providers:
      simulated:
        common_mode: 0.1
        accuracy: {sim-frontier: 0.9, sim-mid: 0.7, sim-small: 0.4, gpt3-6b-finetuning: 0.2}
    concurrency: 8
    budget_usd: "100000"
    cache: cache
    """.write(to: url, atomically: true, encoding: .utf8)
    var sweep: SweepReport?
    let tSweep = try await seconds { sweep = try await Sweep.run(manifest: url, options: options(dir.appendingPathComponent("runs"))) }
    let folder = sweep!.folder
    // Two of a regrade's parts measured apart: reading the answers from the cache (one thread), grading them (every core).
    let state = try RunState.read(folder)
    let keys = state.attempts.values.compactMap { $0.last?.request }
    let cache = try ResponseCache(root: dir.appendingPathComponent("runs/cache"), readOnly: true)
    var texts: [String] = []
    let tFetch = try await seconds { texts = Array(try cache.answers(keys).values) }
    let answerOf = try cache.answers(keys)
    texts = keys.map { answerOf[$0]! }
    let golds = state.attempts.values.compactMap { $0.last.flatMap { state.grades[$0.attempt]?.first?.gold } }
    let v2 = BoxedLatex(version: .v2)
    let answers = texts
    let tGrade = await seconds {
        DispatchQueue.concurrentPerform(iterations: 8) { part in
            for i in stride(from: part, to: min(answers.count, golds.count), by: 8) { _ = v2.grade(response: answers[i], gold: golds[i]) }
        }
    }
    print(String(format: "  parts measured apart: the answers read from the cache %.2f s, %d answers graded on every core %.2f s",
                 tFetch, texts.count, tGrade))
    var report: RegradeReport?
    let tRegrade = try await seconds { report = try await Regrade.run(folder, grader: .text(BoxedLatex(version: .v2))) }
    print(String(format: "regrade of %d stored MATH-500 answers with boxed-latex@2: %.2f s (target < 10 s); %d flipped; the sweep that made them took %.1f s",
                 report!.counts.added, tRegrade, report!.flips.count, tSweep))
}

// MARK: The code sandbox (issue #9)

func sandboxBenchmarks() async throws {
    let registry = try Registry.load(from: registryDir)
    let humaneval = try Dataset.load(registry.benchmarks["humaneval"]!, dataDir: dataDir, registryDir: registryDir).items
    let runner = FunctionTestRunner(sandbox: try Sandbox())
    // All 164 canonical solutions, one worker per core (worker w takes items w, w + 2, …).
    var accepted = 0
    let tAll = await seconds {
        accepted = await withTaskGroup(of: Int.self) { group in
            for worker in 0..<2 {
                group.addTask {
                    var ok = 0
                    for item in stride(from: worker, to: humaneval.count, by: 2).map({ humaneval[$0] }) {
                        let tests = FunctionTests.humaneval(prompt: item.row["prompt"]!.string!, test: item.row["test"]!.string!,
                                                            entryPoint: item.row["entry_point"]!.string!)
                        if await runner.check(item.gold, against: tests, worker: worker).verdict == .accepted { ok += 1 }
                    }
                    return ok
                }
            }
            return await group.reduce(0, +)
        }
    }
    print(String(format: "sandbox: all %d HumanEval canonical solutions graded on 2 workers in %.2f s, %d accepted (target < 30 s)",
                 humaneval.count, tAll, accepted))
    // Per test: the same program (HumanEval/0's solution and tests), one run after another, sandboxed and as plain python3.
    let item = humaneval[0]
    let tests = FunctionTests.humaneval(prompt: item.row["prompt"]!.string!, test: item.row["test"]!.string!, entryPoint: item.row["entry_point"]!.string!)
    let program = tests.program(solution: item.gold, marker: "done")
    let dir = work.appendingPathComponent("plain")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    try program.write(to: dir.appendingPathComponent("program.py"), atomically: true, encoding: .utf8)
    let n = 40
    let tSandboxed = await seconds { for _ in 0..<n { _ = await runner.check(item.gold, against: tests) } }
    let tPlain = try await seconds {
        for _ in 0..<n {
            _ = try await Subprocess.run(.path("/usr/bin/python3"), arguments: ["-I", "-B", "program.py"], workingDirectory: .init(dir.path), output: .discarded)
        }
    }
    print(String(format: "sandbox: one HumanEval test program, %d runs each: %.1f ms sandboxed, %.1f ms as plain python3 = %.2f× (target ≤ 1.3×)",
                 n, tSandboxed / Double(n) * 1000, tPlain / Double(n) * 1000, tSandboxed / tPlain))

    // A code sweep: all of HumanEval × two simulated models, every answer graded in the sandbox lane (one grade per core).
    let manifest = """
    name: bench-code
    preregistration: code sweep benchmark
    benchmarks:
      - {ref: humaneval}
    models:
      - {ref: sim-frontier, provider: simulated}
      - {ref: sim-small, provider: simulated}
    sampling: {temperature: 0.7, max_tokens: 512, samples: 1}
    seed: 9
    providers:
      simulated: {common_mode: 0, sleep_scale: 0, accuracy: {sim-frontier: 1, sim-small: 0.5}}
    concurrency: 8
    budget_usd: "5"
    cache: cache
    """
    let codeDir = work.appendingPathComponent("code-sweep")
    try FileManager.default.createDirectory(at: codeDir, withIntermediateDirectories: true)
    let url = codeDir.appendingPathComponent("code.yaml")
    try manifest.write(to: url, atomically: true, encoding: .utf8)
    var options = RunOptions(registryDir: registryDir, dataDir: dataDir, runsDir: codeDir.appendingPathComponent("runs"), progress: false)
    let sandbox = try Sandbox()
    options.programGraders[CodeExecution().name] = { SandboxedCodeGrader(sandbox: sandbox) }
    var sweep: SweepReport?
    let tSweep = try await seconds { sweep = try await Sweep.run(manifest: url, options: options) }
    let correct = try Matrix.build(sweep!.folder).cells.filter { $0.verdict == .correct }.count
    print(String(format: "sandbox: code sweep of %d cells (HumanEval × 2 simulated models), each answer graded in the sandbox at VERIFYING on %d workers: %.2f s, %.0f cells/s, %d correct",
                 sweep!.completed, ProcessInfo.processInfo.activeProcessorCount, tSweep, Double(sweep!.completed) / tSweep, correct))
}

func substrateBenchmarks() async throws {
let replayURL = work.appendingPathComponent("replay.yaml")
try replay.write(to: replayURL, atomically: true, encoding: .utf8)
var report: SweepReport?
let t1 = try await seconds { report = try await Sweep.run(manifest: replayURL, options: options(work.appendingPathComponent("runs"))) }
let cells = report!.completed
print(String(format: "replay sweep, empty cache: %d cells in %.2f s = %.0f cells/s (target ≥ 5000)", cells, t1, Double(cells) / t1))
let t2 = try await seconds { report = try await Sweep.run(manifest: replayURL, options: options(work.appendingPathComponent("runs"))) }
print(String(format: "resume of the completed run: %.3f s (target < 1 s)", t2))
var bytes = 0
let t3 = try await seconds { bytes = try Matrix.build(report!.folder).jsonl().count }
print(String(format: "matrix rebuild from records (%d cells, %d bytes of JSONL): %.3f s (target < 1 s)", cells, bytes, t3))
let t4 = try await seconds {
    let cache = try ResponseCache(root: work.appendingPathComponent("runs/cache"))
    let problems = try Verifier.verify(report!.folder, cache: cache).problems
    precondition(problems.isEmpty, "verify failed: \(problems.first!)")
}
print(String(format: "verify of the whole run: %.3f s", t4))

let child = Process()
child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
child.arguments = ["--child", "sim100k", "--dir", work.path, "--data-dir", dataDir.path, "--registry", registryDir.path]
let pipe = Pipe()
child.standardOutput = pipe
let t5Start = DispatchTime.now()
try child.run()
child.waitUntilExit()
let t5 = Double(DispatchTime.now().uptimeNanoseconds - t5Start.uptimeNanoseconds) / 1e9
var usage = rusage()
getrusage(RUSAGE_CHILDREN.rawValue, &usage)
let childOut = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
let simCells = childOut.split(separator: " ").first.flatMap { Int($0) } ?? 0
print("simulated sweep: \(childOut)" + String(format: " cells in %.1f s = %.0f cells/s; peak resident memory %.0f MB (target < 300 MB)",
                                                t5, Double(simCells) / t5, Double(usage.ru_maxrss) / 1024))

// Every run's start walks the packs for responses a crash left unindexed: its cost on the whole cache
// (the replay run's and the 100,000-cell sweep's responses), with nothing to recover.
let bigCache = try ResponseCache(root: work.appendingPathComponent("runs/cache"))
var recovered: [String] = []
let t6 = try await seconds { recovered = try bigCache.recoverUnindexed() }
print(String(format: "pack walk at start-up over %d stored responses (%d recovered): %.3f s", try bigCache.responseCount(), recovered.count, t6))
}

// MARK: Over HTTP, against the imitation on loopback (client and imitation in this one process, on the same cores)

/// CPU seconds (user + system) this process has used.
func cpuSeconds() -> Double {
    var u = rusage()
    getrusage(RUSAGE_SELF.rawValue, &u)
    return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6
}

struct HTTPFigures {
    let cells: Int
    let seconds: Double
    let cpu: Double
    let meanInFlight: Double?
    let meanLatencyMs: Double
    /// Per model: cells and seconds from the sweep's start to its last answer.
    let perModel: [(model: String, cells: Int, seconds: Double)]
    /// From the first call's start to the last call's end, read from the attempt records (`at` minus `latency_ms`):
    /// the sweep without its launch (registry, datasets, plan, cache) and its closing checks.
    let callWindow: Double
    /// From the first call's start to the last call's start (while cells waited for a slot), and the calls that
    /// ended in that span: the sweep without its drain, when the last calls run alone down the latency tail.
    let untilLastStart: Double
    let endedBeforeLastStart: Int
}

func httpSweep(_ name: String, items: Int, samples: Int = 1, models: [String], latency: String, concurrency: Int = 64,
               modelCaps: [String: Int] = [:]) async throws -> HTTPFigures {
    let dir = work.appendingPathComponent(name)
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let key = "sk-or-v1-bench"
    try key.write(to: dir.appendingPathComponent("key"), atomically: true, encoding: .utf8)
    let registry = try Registry.load(from: registryDir)
    var config = ImitationConfig()
    config.latency = try LatencyModel(spec: latency)
    config.keys = [ImitatedKey(key: key)]
    config.models = ImitationConfig.models(from: registry)
    let imitation = Imitation(config: config)
    let port = try await imitation.start()
    let base = "http://127.0.0.1:\(port)/api/v1"
    let caps = modelCaps.isEmpty ? "" : "model_concurrency: {" + modelCaps.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "}"
    let text = """
    name: \(name)
    preregistration: HTTP benchmark
    benchmarks:
      - {ref: gsm8k, limit: \(items), shuffle_seed: 1}
    models:
    \(models.map { "  - {ref: \($0), provider: openrouter, base_url: \"\(base)\", pin: alpha}" }.joined(separator: "\n"))
    sampling: {temperature: 0, max_tokens: 256, samples: \(samples)}
    seed: 1
    concurrency: \(concurrency)
    \(caps)
    budget_usd: "100000"
    http: {key_file: "\(dir.appendingPathComponent("key").path)"}
    cache: cache
    """
    let url = dir.appendingPathComponent("m.yaml")
    try text.write(to: url, atomically: true, encoding: .utf8)
    var o = options(dir.appendingPathComponent("runs"))
    o.providerFactories[.openrouter] = OpenRouterProvider.make
    let cpu0 = cpuSeconds()
    let start = Date()
    var report: SweepReport?
    let t = try await seconds { report = try await Sweep.run(manifest: url, options: o) }
    let cpu = cpuSeconds() - cpu0
    await imitation.stop()
    // Latency and per-model pace come from the attempt records, so each figure can be traced to them.
    let attempts = try RunRecords.read(report!.folder).attempts.map(\.payload)
    let iso = ISO8601DateFormatter()
    iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    let latencies = attempts.compactMap(\.latencyMs)
    var perModel: [(String, Int, Double)] = []
    for m in models {
        let mine = attempts.filter { $0.model == m && $0.status == .ok }
        let last = mine.compactMap { iso.date(from: $0.at) }.max() ?? start
        perModel.append((m, mine.count, last.timeIntervalSince(start)))
    }
    let ends = attempts.compactMap { a in iso.date(from: a.at).map { ($0, Double(a.latencyMs ?? 0) / 1000) } }
    let starts = ends.map { $0.0.addingTimeInterval(-$0.1) }
    let first = starts.min() ?? start, lastStart = starts.max() ?? start
    let window = (ends.map(\.0).max() ?? start).timeIntervalSince(first)
    return HTTPFigures(cells: report!.completed, seconds: t, cpu: cpu, meanInFlight: o.gauges.meanInFlightWhileQueued,
                       meanLatencyMs: Double(latencies.reduce(0, +)) / Double(max(latencies.count, 1)), perModel: perModel, callWindow: window,
                       untilLastStart: lastStart.timeIntervalSince(first), endedBeforeLastStart: ends.filter { $0.0 <= lastStart }.count)
}

func httpBenchmarks() async throws {
    let four = ["sim-frontier", "sim-mid", "sim-small", "gpt3-6b-finetuning"]
    let zero = try await httpSweep("http-zero", items: 625, models: four, latency: "fixed:0")
    print(String(format: "HTTP, zero added latency, 64 in flight: %d cells in %.2f s = %.0f cells/s (target ≥ 1500); %.2f CPU s per 1,000 cells (client + imitation); mean call %.1f ms; calls' window %.2f s = %.0f cells/s",
                 zero.cells, zero.seconds, Double(zero.cells) / zero.seconds, zero.cpu / Double(zero.cells) * 1000, zero.meanLatencyMs,
                 zero.callWindow, Double(zero.cells) / zero.callWindow))
    // 512 items × 4 models = 2,048 cells = 32 whole rounds of 64 calls: with 2,000 cells the last round would run
    // 16 calls in 64 slots, and no pipeline could pass 97.7% of the ideal.
    let fixed = try await httpSweep("http-fixed", items: 512, models: four, latency: "fixed:200")
    let fixedRate = Double(fixed.cells) / fixed.seconds
    print(String(format: "HTTP, fixed 200 ms, 64 in flight: %d cells in %.2f s = %.0f cells/s = %.1f%% of the ideal 320 (target ≥ 95%%); mean call %.0f ms as the client measured it, mean in flight %.1f; "
                 + "calls' window (first call's start to last call's end) %.2f s = %.1f%% of the ideal",
                 fixed.cells, fixed.seconds, fixedRate, fixedRate / 320 * 100, fixed.meanLatencyMs, fixed.meanInFlight ?? 0,
                 fixed.callWindow, Double(fixed.cells) / fixed.callWindow / 320 * 100))
    let tail = try await httpSweep("http-lognormal", items: 1250, models: four, latency: "lognormal:200:3000")
    let tailRate = Double(tail.cells) / tail.seconds
    let ideal = 64 / (tail.meanLatencyMs / 1000)
    print(String(format: "HTTP, log-normal (median 200 ms, p99 3 s), 64 in flight: %d cells in %.1f s = %.0f cells/s; mean latency %.0f ms; "
                 + "mean in flight while cells waited %.1f (%.1f%% of 64, target ≥ 90%%); %.1f%% of the Little's-law ideal %.0f cells/s (target ≥ 85%%)",
                 tail.cells, tail.seconds, tailRate, tail.meanLatencyMs, tail.meanInFlight ?? 0, (tail.meanInFlight ?? 0) / 64 * 100, tailRate / ideal * 100, ideal)
          + String(format: "; until the last call started (%.1f s, %d calls ended): %.1f%% of the ideal; the drain after it %.1f s",
                   tail.untilLastStart, tail.endedBeforeLastStart, Double(tail.endedBeforeLastStart) / tail.untilLastStart / ideal * 100,
                   tail.callWindow - tail.untilLastStart))
    let caps = Dictionary(uniqueKeysWithValues: four.map { ($0, 16) })
    let slow = try await httpSweep("http-slow", items: 250, models: four, latency: "openai/gpt-3-6b-finetuned=fixed:1000;*=fixed:100", modelCaps: caps)
    print("HTTP, one model 10× slower (1 s vs 100 ms), per-model caps 16, 64 in flight: " + slow.perModel.map {
        String(format: "%@ %d cells in %.1f s = %.0f cells/s", $0.model, $0.cells, $0.seconds, Double($0.cells) / max($0.seconds, 0.001))
    }.joined(separator: "; ") + String(format: " (ideal: 160 cells/s for each fast model, 16 for the slow one)"))
}
