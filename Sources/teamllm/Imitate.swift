import ArgumentParser
import Foundation
import TeamLLM
import TeamLLMImitation

struct Imitate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve a loopback imitation of the OpenRouter API on 127.0.0.1 (for tests, demos and dry runs; docs/imitation.md).")
    @Option(help: "Port on 127.0.0.1 (0: any free port, printed).") var port: UInt16 = 18089
    @Option(help: "Seed of every draw (faults, latency, provider choice, dropped seeds).") var seed: UInt64 = 0
    @Option(help: "Faults: NAME=P or NAME@N, comma-separated (e.g. 429=0.05,500=0.02,hang@3).") var faults = ""
    @Option(help: "Latency: fixed:MS or lognormal:MEDIAN_MS:P99_MS, or per model SLUG=SPEC;*=SPEC.") var latency = "fixed:0"
    @Option(help: "Answer as the simulated pool of this manifest would (its providers.simulated accuracies and its items).") var manifest: String?
    @Option(parsing: .singleValue, help: "A key to accept, optionally with a credit limit in USD: KEY or KEY:LIMIT (repeatable; default sk-or-v1-imitation, unlimited).")
    var key: [String] = []
    @Option(help: "A management key (may read /credits).") var managementKey: String?
    @Option(help: "Milliseconds after a completion before /generation answers.") var generationDelayMs = 1000
    @OptionGroup var paths: Paths

    func run() async throws {
        var config = ImitationConfig()
        config.port = port
        config.seed = seed
        do {
            config.faults = try FaultSchedule(spec: faults)
            config.latency = try LatencyModel(spec: latency)
        } catch { throw ValidationError("\(error)") }
        config.generationDelayMs = generationDelayMs
        do {
            let registry = try Registry.load(from: URL(fileURLWithPath: paths.registry))
            config.models = ImitationConfig.models(from: registry)
            if let manifest {
                let m = try Manifest.load(URL(fileURLWithPath: manifest), registry: registry)
                config.answerer = try SimulatedAnswerer(manifest: m, registry: registry, dataDir: try paths.options().dataDir)
            }
        } catch let e as ValidationError { throw e } catch { throw fail(error) }
        var keys: [ImitatedKey] = try key.map { k in
            let parts = k.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { return ImitatedKey(key: k) }
            guard let limit = Decimal(string: parts[1]), limit >= 0 else { throw ValidationError("--key \(parts[0].prefix(6))…: the limit '\(parts[1])' is not a USD amount") }
            return ImitatedKey(key: parts[0], limitUSD: limit)
        }
        if let managementKey { keys.append(ImitatedKey(key: managementKey, label: "management", isManagement: true)) }
        if !keys.isEmpty { config.keys = keys }

        let imitation = Imitation(config: config)
        let bound = try await imitation.start()
        // Written straight to the file descriptor: a script waits for this line through a pipe.
        FileHandle.standardOutput.write(Data("imitation listening on http://127.0.0.1:\(bound)/api/v1\n".utf8))
        // Serve until SIGINT or SIGTERM, then stop.
        let stop = StopSignal()
        let signals = Interrupts.install(stop, quiet: true)
        await stop.wait()
        withExtendedLifetime(signals) {}
        await imitation.stop()
        FileHandle.standardError.write(Data("imitation stopped\n".utf8))
    }
}
