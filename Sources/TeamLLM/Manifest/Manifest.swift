import Foundation

/// A pre-registered sweep: what to run, frozen and hashed at launch.
public struct Manifest: Codable, Equatable, Sendable {
    public var name: String
    /// Free-text pre-registration: hypotheses, analyses planned, stopping rules.
    public var preregistration: String
    public var benchmarks: [BenchmarkSelection]
    public var models: [ModelSelection]
    public var sampling: Sampling
    /// Master seed; every cell seed, subset and work order derives from it.
    public var seed: Int
    public var providers: ProviderSettings
    /// Cache folder; a relative path is taken from the runs directory.
    public var cache: String
    /// How the sweep runs, not what it measures: written in the manifest, but not part of its hash or of
    /// `manifest.json`, so a resume may change them; each launch and resume records the ones in force.
    public var operations = OperationalSettings(concurrency: 8, budgetUSD: .zero)

    enum CodingKeys: String, CodingKey {
        case name, preregistration, benchmarks, models, sampling, seed, providers, cache
    }

    /// sha256 of the canonical JSON form (operational settings left out): the manifest hash.
    public func hash() throws -> String { try CanonicalJSON.hash(self) }

    /// Run id: the name and the first 12 hex characters of the manifest hash.
    public func runID() throws -> String { "\(name)-\(try hash().prefix(12))" }
}

/// Settings that may change between sessions of one run without changing what it measures.
public struct OperationalSettings: Codable, Equatable, Sendable {
    /// Provider calls in flight at once (local work is not limited by it).
    public var concurrency: Int
    /// Spend ceiling for the whole run, across sessions.
    public var budgetUSD: USD
    /// Retries of a call whose failure is retryable (rate limit, timeout, 5xx, a malformed body), each an
    /// attempt of its own with the same request and seed.
    public var retries: Int = 3
    /// First backoff before a retry, doubled each time (capped at 30 s, with jitter; a provider's
    /// Retry-After wins when longer).
    public var retryBaseMs: Int = 500

    public init(concurrency: Int, budgetUSD: USD, retries: Int = 3, retryBaseMs: Int = 500) {
        self.concurrency = concurrency
        self.budgetUSD = budgetUSD
        self.retries = retries
        self.retryBaseMs = retryBaseMs
    }

    enum CodingKeys: String, CodingKey { case concurrency, retries, budgetUSD = "budget_usd", retryBaseMs = "retry_base_ms" }
}

/// A benchmark and which of its items to run.
public struct BenchmarkSelection: Codable, Equatable, Sendable {
    public var ref: String
    /// Run only this many items, chosen by `shuffleSeed`.
    public var limit: Int?
    /// Run only these item ids.
    public var subset: [String]?
    public var shuffleSeed: Int

    enum CodingKeys: String, CodingKey { case ref, limit, subset, shuffleSeed = "shuffle_seed" }
}

/// A model and the provider that answers for it.
public struct ModelSelection: Codable, Equatable, Sendable {
    public var ref: String
    public var provider: ProviderKind
}

/// The providers TeamLLM can route a model to.
public enum ProviderKind: String, Codable, Sendable, CaseIterable {
    /// Recorded outputs of real models.
    case replay
    /// A seeded synthetic pool.
    case simulated
}

/// Sampling parameters sent with every request.
public struct Sampling: Codable, Equatable, Sendable {
    public var temperature: Double
    public var maxTokens: Int
    /// Seeded samples per (benchmark, item, model).
    public var samples: Int
    /// Nucleus sampling, (0, 1]; absent: the provider's default.
    public var topP: Double?
    /// Up to four stop sequences; absent: none.
    public var stop: [String]?
    enum CodingKeys: String, CodingKey { case temperature, samples, stop, maxTokens = "max_tokens", topP = "top_p" }
}

/// Provider-specific settings.
public struct ProviderSettings: Codable, Equatable, Sendable {
    public var simulated: SimulatedSettings?
}

/// Parameters of the simulated pool; copied into every simulated response body.
public struct SimulatedSettings: Codable, Equatable, Sendable {
    /// Probability that an item is one every simulated model fails (co-failure).
    public var commonMode: Double
    /// Multiplier on simulated latency actually slept (0 = do not sleep).
    public var sleepScale: Double
    /// Per-model accuracy on items outside the common-mode failures.
    public var accuracy: [String: Double]
    enum CodingKeys: String, CodingKey { case accuracy, commonMode = "common_mode", sleepScale = "sleep_scale" }
}
