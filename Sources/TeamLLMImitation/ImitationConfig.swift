import Foundation
import TeamLLM

/// A key the imitation accepts, with its credit limit (nil: unlimited).
public struct ImitatedKey: Sendable {
    public var key: String
    public var label: String
    public var limitUSD: Decimal?
    /// Management keys may read `/credits`.
    public var isManagement: Bool

    public init(key: String, label: String = "imitation", limitUSD: Decimal? = nil, isManagement: Bool = false) {
        self.key = key
        self.label = label
        self.limitUSD = limitUSD
        self.isManagement = isManagement
    }
}

/// One upstream provider serving a model: OpenRouter's "endpoint".
public struct ImitatedEndpoint: Sendable {
    /// Display name, as bodies report it ("Alpha").
    public var providerName: String
    /// Routing slug, as `provider.order` names it ("alpha").
    public var slug: String
    /// USD per token, as the API's decimal strings.
    public var promptPrice: String
    public var completionPrice: String
    public var supportedParameters: Set<String>
    /// Null for providers that give none.
    public var systemFingerprint: String?

    public init(providerName: String, slug: String, promptPrice: String, completionPrice: String, supportedParameters: Set<String>,
                systemFingerprint: String?) {
        self.providerName = providerName
        self.slug = slug
        self.promptPrice = promptPrice
        self.completionPrice = completionPrice
        self.supportedParameters = supportedParameters
        self.systemFingerprint = systemFingerprint
    }
}

/// A model the imitation serves.
public struct ImitatedModel: Sendable {
    public var id: String
    public var name: String
    public var contextLength: Int
    public var maxCompletionTokens: Int
    public var endpoints: [ImitatedEndpoint]
}

/// Everything an imitation run is: what it serves, to whom, how slowly and how badly.
public struct ImitationConfig: Sendable {
    /// 0: an ephemeral port (read it from `Imitation.start`).
    public var port: UInt16 = 0
    public var seed: UInt64 = 0
    public var faults = FaultSchedule()
    public var latency = LatencyModel()
    public var keys: [ImitatedKey] = [ImitatedKey(key: "sk-or-v1-imitation")]
    public var models: [ImitatedModel] = []
    /// How long after a completion `/generation` starts to answer (404 until then).
    public var generationDelayMs = 200
    /// Costs below 1e-4 written in exponent notation (`7.35e-06`), as some real bodies are: clients must read them as text.
    public var exponentCosts = true
    public var answerer: any ImitationAnswerer = GenericAnswerer()

    public init() {}

    /// Parameters every default endpoint accepts; `beta` lacks `seed`, so unpinned runs can be caught re-sampling.
    static let parameters: Set<String> = ["temperature", "top_p", "stop", "max_tokens", "seed"]

    /// The registry's models, each with two endpoints at its price: `alpha` (honours the seed, has a
    /// fingerprint) and `beta` (drops the seed, no fingerprint).
    public static func models(from registry: Registry) -> [ImitatedModel] {
        registry.models.values.sorted { $0.slug < $1.slug }.map { m in
            let prompt = perToken(m.inputPerMTok), completion = perToken(m.outputPerMTok)
            return ImitatedModel(id: m.slug, name: m.id, contextLength: 131_072, maxCompletionTokens: 16_384, endpoints: [
                ImitatedEndpoint(providerName: "Alpha", slug: "alpha", promptPrice: prompt, completionPrice: completion,
                                 supportedParameters: parameters, systemFingerprint: "fp_alpha_\(m.id.prefix(8))"),
                ImitatedEndpoint(providerName: "Beta", slug: "beta", promptPrice: prompt, completionPrice: completion,
                                 supportedParameters: parameters.subtracting(["seed"]), systemFingerprint: nil),
            ])
        }
    }

    /// A per-million price as a per-token decimal string, exactly.
    static func perToken(_ perMillion: USD) -> String { perMillion.perToken.description }
}
