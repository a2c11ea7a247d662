import Foundation
@testable import TeamLLM

/// Paths and small builders shared by the tests.
enum Fixtures {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let registryDir = repo.appendingPathComponent("registry")
    static var dataDir: URL {
        if let d = ProcessInfo.processInfo.environment["TEAMLLM_DATA_DIR"] { return URL(fileURLWithPath: d) }
        return repo.deletingLastPathComponent().appendingPathComponent("shared/data")
    }
    static let binary = repo.appendingPathComponent(".build/debug/teamllm")
    static func registry() throws -> Registry { try Registry.load(from: registryDir) }

    /// A fresh temporary folder.
    static func tempDir(_ name: String = "t") -> URL {
        let u = FileManager.default.temporaryDirectory.appendingPathComponent("teamllm-tests-\(name)-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
        return u
    }

    /// A small GSM8K manifest: `items` items × the four replayed models (+ two simulated ones).
    static func manifest(name: String = "small", items: Int = 30, seed: Int = 7, simulated: Bool = true, sleepScale: Double = 0,
                         budget: String = "5.00", samples: Int = 1, concurrency: Int = 4, extra: String = "") -> String {
        var models = """
          - {ref: gpt3-6b-finetuning, provider: replay}
          - {ref: gpt3-6b-verification, provider: replay}
          - {ref: gpt3-175b-finetuning, provider: replay}
          - {ref: gpt3-175b-verification, provider: replay}
        """
        var providers = ""
        if simulated {
            models += "\n  - {ref: sim-frontier, provider: simulated}\n  - {ref: sim-small, provider: simulated}"
            providers = """
            providers:
              simulated:
                common_mode: 0.2
                sleep_scale: \(sleepScale)
                accuracy: {sim-frontier: 0.9, sim-small: 0.4}
            """
        }
        return """
        name: \(name)
        preregistration: test sweep
        benchmarks:
          - {ref: gsm8k, limit: \(items), shuffle_seed: 3}
        models:
        \(models)
        sampling: {temperature: 0, max_tokens: 256, samples: \(samples)}
        seed: \(seed)
        \(providers)
        concurrency: \(concurrency)
        budget_usd: "\(budget)"
        cache: cache
        \(extra)
        """
    }

    /// Writes a manifest into `dir` and returns its URL.
    static func write(_ text: String, to dir: URL, as name: String = "manifest.yaml") throws -> URL {
        let u = dir.appendingPathComponent(name)
        try text.write(to: u, atomically: true, encoding: .utf8)
        return u
    }

    static func options(runsDir: URL, stopAfter: Int? = nil, runID: String? = nil) -> RunOptions {
        RunOptions(registryDir: registryDir, dataDir: dataDir, runsDir: runsDir, progress: false, stopAfter: stopAfter, runID: runID)
    }
}

extension Fixtures {
    /// Runs the real `teamllm` binary to completion: exit status, stdout and stderr.
    static func cli(_ arguments: [String], in cwd: URL? = nil, environment: [String: String] = [:]) async throws -> (status: Int32, out: String, err: String) {
        try await offPool { try cliBlocking(arguments, in: cwd, environment: environment) }
    }

    /// Runs blocking work (a child process, its pipes) on a Dispatch thread, never on the cooperative pool:
    /// tests run side by side, and two blocked cooperative threads would stall every in-process server.
    static func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { c in DispatchQueue.global().async { c.resume(with: Result { try work() }) } }
    }

    /// Waits for a child process to end without holding a cooperative thread.
    static func exit(_ p: Process) async {
        while p.isRunning { try? await Task.sleep(nanoseconds: 10_000_000) }
        p.waitUntilExit()
    }

    private static func cliBlocking(_ arguments: [String], in cwd: URL?, environment: [String: String]) throws -> (status: Int32, out: String, err: String) {
        let p = Process()
        p.executableURL = binary
        p.arguments = arguments
        if let cwd { p.currentDirectoryURL = cwd }
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        // Read both pipes before waiting, so a chatty child never blocks on a full pipe.
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    /// The common CLI paths for a runs folder.
    static func paths(_ runs: URL) -> [String] {
        ["--registry", registryDir.path, "--data-dir", dataDir.path, "--runs-dir", runs.path]
    }

    /// A manifest of simulated models only: every call is paid, and stored as it returns.
    static func simulatedManifest(name: String, items: Int, sleepScale: Double = 0, concurrency: Int = 4, cache: String = "cache") -> String {
        """
        name: \(name)
        preregistration: simulated only
        benchmarks:
          - {ref: gsm8k, limit: \(items), shuffle_seed: 3}
        models:
          - {ref: sim-frontier, provider: simulated}
          - {ref: sim-small, provider: simulated}
        sampling: {temperature: 0, max_tokens: 256, samples: 1}
        seed: 7
        providers:
          simulated:
            common_mode: 0.2
            sleep_scale: \(sleepScale)
            accuracy: {sim-frontier: 0.9, sim-small: 0.4}
        concurrency: \(concurrency)
        budget_usd: "5.00"
        cache: \(cache)
        """
    }

    /// Lines of a stream file, without their newlines.
    static func lines(_ url: URL) throws -> [Substring] {
        try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
    }

    /// Keeps the first `n` lines of a stream file.
    static func keep(_ n: Int, of url: URL) throws {
        let kept = try lines(url).prefix(n)
        try (kept.joined(separator: "\n") + (kept.isEmpty ? "" : "\n")).write(to: url, atomically: false, encoding: .utf8)
    }

    /// Runs `python3` with these arguments (and `input` as its standard input): exit status and stdout and stderr together.
    static func python(_ arguments: [String], input: URL? = nil) async throws -> (status: Int32, output: String) {
        try await offPool { try pythonBlocking(arguments, input: input) }
    }

    private static func pythonBlocking(_ arguments: [String], input: URL?) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3"] + arguments
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        if let input { p.standardInput = try FileHandle(forReadingFrom: input) }
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return (p.terminationStatus, text)
    }
}
