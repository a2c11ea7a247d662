// `make bench`: the speed and memory figures of the substrate, measured end to end in a release build.
import Foundation
import TeamLLM

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
