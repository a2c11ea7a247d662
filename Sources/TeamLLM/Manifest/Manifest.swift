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
    /// The price snapshot (`registry/prices/NAME.json`) the sweep is priced with; absent: `models.yaml` prices.
    public var prices: String? = nil
    /// How the sweep runs, not what it measures: written in the manifest, but not part of its hash or of
    /// `manifest.json`, so a resume may change them; each launch and resume records the ones in force.
    public var operations = OperationalSettings(concurrency: 8, budgetUSD: .zero)

    enum CodingKeys: String, CodingKey {
        case name, preregistration, benchmarks, models, sampling, seed, providers, cache, prices
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
    /// Per-model caps on calls in flight, by registry model id (absent: the global `concurrency`).
    public var modelConcurrency: [String: Int] = [:]
    /// After a first Ctrl-C (or SIGTERM), how long calls in flight may run on before they are cancelled.
    public var graceSeconds: Double = 30
    /// Timeouts of one HTTP call, in seconds: connecting, the first byte of the body that is not
    /// keep-alive whitespace, and the whole call.
    public var timeouts = Timeouts()
    /// How HTTP providers are reached: the key file (never the key) and attribution headers.
    public var http = HTTPSettings()

    public init(concurrency: Int, budgetUSD: USD, retries: Int = 3, retryBaseMs: Int = 500) {
        self.concurrency = concurrency
        self.budgetUSD = budgetUSD
        self.retries = retries
        self.retryBaseMs = retryBaseMs
    }

    enum CodingKeys: String, CodingKey {
        case concurrency, retries, timeouts, http
        case budgetUSD = "budget_usd", retryBaseMs = "retry_base_ms", modelConcurrency = "model_concurrency", graceSeconds = "grace_s"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        concurrency = try c.decode(Int.self, forKey: .concurrency)
        budgetUSD = try c.decode(USD.self, forKey: .budgetUSD)
        retries = try c.decodeIfPresent(Int.self, forKey: .retries) ?? 3
        retryBaseMs = try c.decodeIfPresent(Int.self, forKey: .retryBaseMs) ?? 500
        modelConcurrency = try c.decodeIfPresent([String: Int].self, forKey: .modelConcurrency) ?? [:]
        graceSeconds = try c.decodeIfPresent(Double.self, forKey: .graceSeconds) ?? 30
        timeouts = try c.decodeIfPresent(Timeouts.self, forKey: .timeouts) ?? Timeouts()
        http = try c.decodeIfPresent(HTTPSettings.self, forKey: .http) ?? HTTPSettings()
    }
}

/// How HTTP providers are reached; none of it changes what a call returns.
public struct HTTPSettings: Codable, Equatable, Sendable {
    /// A file holding the API key, read when `OPENROUTER_API_KEY` is not set (its path is recorded, the key never).
    public var keyFile: String?
    /// `HTTP-Referer` attribution header.
    public var referer: String?
    /// `X-OpenRouter-Title` attribution header.
    public var title: String?

    public init(keyFile: String? = nil, referer: String? = nil, title: String? = nil) {
        self.keyFile = keyFile
        self.referer = referer
        self.title = title
    }

    enum CodingKeys: String, CodingKey { case referer, title, keyFile = "key_file" }
}

/// Timeouts of one HTTP call, in seconds.
public struct Timeouts: Codable, Equatable, Sendable {
    /// Establishing the connection.
    public var connect: Double = 10
    /// From sending the request to the first byte of the body that is not keep-alive whitespace.
    public var firstByte: Double = 300
    /// The whole call.
    public var total: Double = 600

    public init(connect: Double = 10, firstByte: Double = 300, total: Double = 600) {
        self.connect = connect
        self.firstByte = firstByte
        self.total = total
    }

    enum CodingKeys: String, CodingKey { case connect = "connect_s", firstByte = "first_byte_s", total = "total_s" }
}

/// A benchmark and which of its items to run.
public struct BenchmarkSelection: Codable, Equatable, Sendable {
    public var ref: String
    /// Run only this many items, chosen by `shuffleSeed`.
    public var limit: Int?
    /// Run only these item ids.
    public var subset: [String]?
    public var shuffleSeed: Int
    /// Show a multiple-choice item's options in a seeded order (one per item, `Seeds.choiceOrder`); a scientific setting.
    public var shuffleChoices: Bool? = nil
    /// `name@version` of the grader, pre-registered with the sweep; nil means the registry entry's.
    public var grader: String? = nil

    enum CodingKeys: String, CodingKey { case ref, limit, subset, grader, shuffleSeed = "shuffle_seed", shuffleChoices = "shuffle_choices" }
}

/// A model and the provider that answers for it.
public struct ModelSelection: Codable, Equatable, Sendable {
    public var ref: String
    public var provider: ProviderKind
    /// For `openrouter`: where requests go (any OpenAI-compatible server); absent: OpenRouter itself.
    public var baseURL: String? = nil
    /// For `openrouter`: which upstream providers may serve the model. Part of the hash and of every
    /// request: a different provider is a different measurement.
    public var routing: ProviderRouting? = nil

    public init(ref: String, provider: ProviderKind, baseURL: String? = nil, routing: ProviderRouting? = nil) {
        self.ref = ref
        self.provider = provider
        self.baseURL = baseURL
        self.routing = routing
    }

    enum CodingKeys: String, CodingKey { case ref, provider, routing, baseURL = "base_url" }
}

/// OpenRouter's `provider` object, as the manifest fixes it for one model.
public struct ProviderRouting: Codable, Equatable, Sendable {
    /// Providers to try, in order (slugs such as `deepinfra/turbo`).
    public var order: [String]?
    /// Only these providers.
    public var only: [String]?
    /// Never these providers.
    public var ignore: [String]?
    /// Whether another provider may serve when the ones named fail (OpenRouter's default: true).
    public var allowFallbacks: Bool?
    /// Only providers that support every parameter sent (the seed above all); TeamLLM's default: true.
    public var requireParameters: Bool?
    /// `allow` or `deny`.
    public var dataCollection: String?

    public init(order: [String]? = nil, only: [String]? = nil, ignore: [String]? = nil, allowFallbacks: Bool? = nil,
                requireParameters: Bool? = nil, dataCollection: String? = nil) {
        self.order = order
        self.only = only
        self.ignore = ignore
        self.allowFallbacks = allowFallbacks
        self.requireParameters = requireParameters
        self.dataCollection = dataCollection
    }

    enum CodingKeys: String, CodingKey {
        case order, only, ignore
        case allowFallbacks = "allow_fallbacks", requireParameters = "require_parameters", dataCollection = "data_collection"
    }
}

/// The providers TeamLLM can route a model to.
public enum ProviderKind: String, Codable, Sendable, CaseIterable {
    /// Recorded outputs of real models.
    case replay
    /// A seeded synthetic pool.
    case simulated
    /// OpenRouter over HTTP, or any OpenAI-compatible server at the model's `base_url`.
    case openrouter
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
    /// Larger limits a cell cut off at `max_tokens` (`finish_reason: length`) is asked again at, in turn, each
    /// an attempt of its own; absent: a truncated answer is graded as it is.
    public var reaskMaxTokens: [Int]? = nil

    /// The next limit after `limit` that a truncated answer is asked again at.
    public func reask(after limit: Int) -> Int? { reaskMaxTokens?.first { $0 > limit } }

    enum CodingKeys: String, CodingKey {
        case temperature, samples, stop, maxTokens = "max_tokens", topP = "top_p", reaskMaxTokens = "reask_max_tokens"
    }
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
