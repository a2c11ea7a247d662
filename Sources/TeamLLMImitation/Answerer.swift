import Foundation
import TeamLLM

/// What a model answers, before the imitation cuts it to `max_tokens` and prices it.
public struct ImitatedAnswer: Sendable {
    public var text: String
    public var promptTokens: Int
    public var completionTokens: Int
    public var reasoningTokens: Int

    public init(text: String, promptTokens: Int, completionTokens: Int, reasoningTokens: Int = 0) {
        self.text = text
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.reasoningTokens = reasoningTokens
    }
}

/// The pool the imitation answers from. `seed` is the seed the serving endpoint honoured: the request's,
/// or a fresh draw where the endpoint drops it.
public protocol ImitationAnswerer: Sendable {
    func answer(model: String, messages: [ChatMessage], seed: Int, maxTokens: Int) async -> ImitatedAnswer?
}

/// A deterministic answer from the hash of (model, messages, seed): `#### N`, for load and fault tests.
public struct GenericAnswerer: ImitationAnswerer {
    public init() {}

    public func answer(model: String, messages: [ChatMessage], seed: Int, maxTokens: Int) async -> ImitatedAnswer? {
        let h = Digest.sha256Bytes(model + "\u{1F}" + messages.map(\.content).joined(separator: "\u{1E}") + "\u{1F}\(seed)")
        let n = h.prefix(4).reduce(0) { $0 << 8 | Int($1) }
        return ImitatedAnswer(text: "Imitated reasoning.\n#### \(n % 1000)", promptTokens: TokenEstimate.prompt(messages), completionTokens: 40 + n % 200)
    }
}

/// Answers as the substrate's simulated pool does for a manifest (its `providers.simulated` accuracies and
/// common-mode rate, the items of its plan), so a sweep over HTTP grades like the offline one would.
public struct SimulatedAnswerer: ImitationAnswerer {
    private let provider: SimulatedProvider
    private let base: [String: String]

    /// Builds the pool from a manifest's plan; every model with a simulated accuracy is answered.
    public init(manifest: Manifest, registry: Registry, dataDir: URL) throws {
        guard var settings = manifest.providers.simulated else {
            throw ImitationSpecError.badValue(entry: manifest.name, expected: "a manifest with providers.simulated (accuracies to imitate)")
        }
        settings.sleepScale = 0 // the imitation's own latency model decides how long a call takes
        let plan = try SweepPlan(manifest: manifest, registry: registry, dataDir: dataDir)
        let models = settings.accuracy.keys.compactMap { registry.models[$0] }
        let pool = SimulatedProvider(settings: settings, prompts: try PromptIndex(plan: plan, registry: registry), models: models, masterSeed: manifest.seed)
        provider = pool
        base = Dictionary(models.map { ($0.slug, pool.baseURL(for: $0)) }, uniquingKeysWith: { a, _ in a })
    }

    public func answer(model: String, messages: [ChatMessage], seed: Int, maxTokens: Int) async -> ImitatedAnswer? {
        guard let url = base[model] else { return nil }
        let request = ProviderRequest(provider: ProviderKind.simulated, baseURL: url, model: model, messages: messages, temperature: 0, maxTokens: maxTokens,
                                      seed: seed, sample: 0)
        guard let r = try? await provider.complete(request) else { return nil }
        return ImitatedAnswer(text: r.answerText, promptTokens: r.usage?.input ?? TokenEstimate.prompt(messages), completionTokens: r.usage?.output ?? 1)
    }
}
