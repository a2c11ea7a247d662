import Foundation
@testable import TeamLLM
import TeamLLMImitation
import TeamLLMOpenRouter

/// A sweep over real HTTP: an in-process imitation on an ephemeral loopback port, and a manifest whose
/// models go to it through the OpenRouter provider.
struct HTTPBench {
    static let key = "sk-or-v1-test-9f8e7d6c5b4a39281706f5e4d3c2b1a0"
    /// The manifest name (lowercase letters).
    let name: String
    let imitation: Imitation
    let port: UInt16
    let dir: URL
    var runs: URL { dir.appendingPathComponent("runs") }

    /// Starts an imitation answering as the simulated pool of `manifest(…)` would.
    static func start(_ name: String, faults: String = "", latency: String = "fixed:0", limitUSD: Decimal? = nil, seed: UInt64 = 1,
                      items: Int = 10) async throws -> HTTPBench {
        let dir = Fixtures.tempDir(name)
        try key.write(to: dir.appendingPathComponent("key"), atomically: true, encoding: .utf8)
        let registry = try Fixtures.registry()
        var config = ImitationConfig()
        config.seed = seed
        config.faults = try FaultSchedule(spec: faults)
        config.latency = try LatencyModel(spec: latency)
        config.keys = [ImitatedKey(key: key, limitUSD: limitUSD)]
        config.models = ImitationConfig.models(from: registry)
        config.generationDelayMs = 50
        // The pool only needs the items and accuracies, which do not depend on the port.
        let text = manifestText(name: name, dir: dir, port: 1, items: items)
        config.answerer = try SimulatedAnswerer(manifest: Manifest.parse(text, file: "pool", registry: registry), registry: registry, dataDir: Fixtures.dataDir)
        let imitation = Imitation(config: config)
        let port = try await imitation.start()
        return HTTPBench(name: name, imitation: imitation, port: port, dir: dir)
    }

    static func manifestText(name: String, dir: URL, port: UInt16, items: Int, concurrency: Int = 8, retries: Int = 6, budget: String = "5.00",
                             models: String? = nil, extra: String = "") -> String {
        let base = "http://127.0.0.1:\(port)/api/v1"
        return """
        name: \(name)
        preregistration: sweep over HTTP against the imitation
        benchmarks:
          - {ref: gsm8k, limit: \(items), shuffle_seed: 3}
        models:
        \(models ?? "  - {ref: sim-frontier, provider: openrouter, base_url: \"\(base)\", pin: alpha}\n  - {ref: sim-small, provider: openrouter, base_url: \"\(base)\", pin: alpha}")
        sampling: {temperature: 0, max_tokens: 256, samples: 1}
        seed: 7
        providers:
          simulated:
            common_mode: 0.2
            accuracy: {sim-frontier: 0.9, sim-small: 0.4}
        concurrency: \(concurrency)
        retries: \(retries)
        retry_base_ms: 10
        budget_usd: "\(budget)"
        http: {key_file: "\(dir.appendingPathComponent("key").path)", referer: "https://example.org/teamllm-tests", title: "TeamLLM tests"}
        cache: cache
        \(extra)
        """
    }

    func manifest(items: Int = 10, concurrency: Int = 8, retries: Int = 6, budget: String = "5.00", models: String? = nil, extra: String = "") throws -> URL {
        try Fixtures.write(Self.manifestText(name: name, dir: dir, port: port, items: items,
                                             concurrency: concurrency, retries: retries, budget: budget, models: models, extra: extra), to: dir)
    }

    func options() -> RunOptions {
        var o = Fixtures.options(runsDir: runs)
        o.providerFactories[.openrouter] = OpenRouterProvider.make
        return o
    }

    func run(_ manifest: URL) async throws -> SweepReport { try await Sweep.run(manifest: manifest, options: options()) }

    /// The whole run folder and cache, byte for byte, with every file's path.
    func everyFile() throws -> [(String, Data)] {
        var out: [(String, Data)] = []
        let e = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: [.isRegularFileKey])
        while let u = e?.nextObject() as? URL {
            if u.lastPathComponent == "key" { continue }
            if (try? u.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true { out.append((u.path, try Data(contentsOf: u))) }
        }
        return out
    }
}
