import Foundation

/// Exactly what is sent for one call; its canonical JSON's sha256 is the cache key.
///
/// Two samples of one prompt differ in `sample` (and `seed`), so they are two cache entries.
public struct ProviderRequest: Codable, Equatable, Sendable {
    public let provider: ProviderKind
    /// Where the request goes; for offline providers, a URI naming the recording or generator settings.
    public let baseURL: String
    /// Provider-side model slug.
    public let model: String
    public let messages: [ChatMessage]
    public let temperature: Double
    public let maxTokens: Int
    public let seed: Int
    public let sample: Int
    /// Optional fields are left out of the canonical form when absent, so a field added later never
    /// changes the key of a request that does not use it.
    public var topP: Double? = nil
    public var stop: [String]? = nil
    /// OpenRouter provider routing (order, only, ignore, fallbacks, required parameters, data collection).
    public var routing: ProviderRouting? = nil

    enum CodingKeys: String, CodingKey {
        case provider, model, messages, temperature, seed, sample, stop, routing
        case baseURL = "base_url", maxTokens = "max_tokens", topP = "top_p"
    }

    public init(provider: ProviderKind, baseURL: String, model: String, messages: [ChatMessage], temperature: Double, maxTokens: Int, seed: Int,
                sample: Int, topP: Double? = nil, stop: [String]? = nil, routing: ProviderRouting? = nil) {
        self.provider = provider
        self.baseURL = baseURL
        self.model = model
        self.messages = messages
        self.temperature = temperature
        self.maxTokens = maxTokens
        self.seed = seed
        self.sample = sample
        self.topP = topP
        self.stop = stop
        self.routing = routing
    }

    /// Canonical bytes (stored in the cache as the raw request).
    public func canonical() throws -> Data { try CanonicalJSON.encode(self) }
}

/// What a provider returns for one call.
public struct ProviderResponse: Sendable {
    /// The response body exactly as received; stored content-addressed in the cache.
    public let body: Data
    /// The assistant's text, parsed from `body`.
    public let answerText: String
    public let usage: TokenUsage?
    public let cost: USD
    /// `metered`, `registry_price` or `recorded`.
    public let costSource: String
    public let modelUsed: String
    public let providerUsed: String
    /// Wall time of the call; nil when the provider measures none (a replay).
    public let latencyMs: Int?
    /// What an HTTP call said about itself; nil for offline providers.
    public var call: CallDetails? = nil

    public init(body: Data, answerText: String, usage: TokenUsage?, cost: USD, costSource: String, modelUsed: String, providerUsed: String,
                latencyMs: Int?, call: CallDetails? = nil) {
        self.body = body
        self.answerText = answerText
        self.usage = usage
        self.cost = cost
        self.costSource = costSource
        self.modelUsed = modelUsed
        self.providerUsed = providerUsed
        self.latencyMs = latencyMs
        self.call = call
    }
}

/// The seam every model source plugs into: replay, simulated, and (next) OpenRouter over HTTP.
public protocol Provider: Sendable {
    var kind: ProviderKind { get }
    /// True when a call is metered as spend (simulated prices now, OpenRouter next): its response is stored
    /// in the cache the moment it returns, so a crash never loses a response that was paid for. Free calls
    /// (replay) are stored with their batch, in one transaction.
    var callsArePaid: Bool { get }
    /// True when the provider answers from memory without waiting (replay): its calls are made during
    /// admission, many at a time, and take no call slot.
    var answersInline: Bool { get }
    /// The base URL recorded in every request this provider makes, for a given model.
    func baseURL(for model: ModelEntry) -> String
    /// Makes one call, knowing only the request (never the item's gold answer). Cancellation of the calling
    /// task must end it promptly with `cancelled`.
    func complete(_ request: ProviderRequest) async throws(AttemptFailure) -> ProviderResponse
    /// Checks, before any cell starts, that the provider can be used at all (a key that is accepted, say);
    /// a failure stops the sweep with nothing started.
    func preflight() async throws(AttemptFailure)
}

extension Provider {
    public var answersInline: Bool { false }
    public func preflight() async throws(AttemptFailure) {}
}

/// What a provider built for a sweep may read: the plan, the registry, this session's operational settings.
public struct ProviderContext: Sendable {
    public let plan: SweepPlan
    public let registry: Registry
    public let settings: OperationalSettings
}

extension AttemptFailure {
    /// The failure of a call whose task was cancelled.
    public static func cancelled() -> AttemptFailure { AttemptFailure(kind: .cancelled, message: "the call was cancelled") }
}
