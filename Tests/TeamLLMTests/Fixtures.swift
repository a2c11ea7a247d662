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
