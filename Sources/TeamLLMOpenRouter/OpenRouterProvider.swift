import Foundation
import TeamLLM

/// OpenRouter over HTTP, or any OpenAI-compatible server (vLLM, Ollama, llama.cpp) at a model's `base_url`.
///
/// One request per call, non-streaming: POST `<base>/chat/completions` with the model, the messages, the
/// sampling parameters, the seed, always `max_tokens`, and the manifest's provider routing. The response
/// cache header is never sent (a cached reply would be the same text whatever the seed). Every call is paid:
/// its response is stored the moment it returns.
public struct OpenRouterProvider: Provider {
    public let kind = ProviderKind.openrouter
    public let callsArePaid = true
    /// OpenRouter's API, where a model names no `base_url`.
    public static let defaultBaseURL = "https://openrouter.ai/api/v1"
    private let key: APIKey
    /// Why there is no usable key, if there is none: raised before any cell starts (plans need no key).
    private let keyProblem: AttemptFailure?
    private let transport: HTTPTransport
    private let http: HTTPSettings
    /// Registry model id → the manifest's selection; slug → registry entry (for fallback prices).
    private let selections: [String: ModelSelection]
    private let models: [String: ModelEntry]

    public init(key: APIKey, manifest: Manifest, models: [ModelEntry], settings: OperationalSettings, keyProblem: AttemptFailure? = nil) {
        self.key = key
        self.keyProblem = keyProblem
        http = settings.http
        transport = HTTPTransport(timeouts: settings.timeouts)
        selections = Dictionary(manifest.models.filter { $0.provider == .openrouter }.map { ($0.ref, $0) }, uniquingKeysWith: { a, _ in a })
        self.models = Dictionary(models.map { ($0.slug, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// Builds the provider for a sweep (the command line hands this to `RunOptions.providerFactories`).
    @Sendable public static func make(_ context: ProviderContext) throws -> any Provider {
        do {
            return OpenRouterProvider(key: try APIKey.load(settings: context.settings.http), manifest: context.plan.manifest,
                                      models: context.plan.models, settings: context.settings)
        } catch {
            return OpenRouterProvider(key: APIKey(value: ""), manifest: context.plan.manifest, models: context.plan.models,
                                      settings: context.settings, keyProblem: error)
        }
    }

    public func baseURL(for model: ModelEntry) -> String { selections[model.id]?.baseURL ?? Self.defaultBaseURL }

    /// Checks the key against `GET /key` on every base URL before any cell starts: a missing or rejected key,
    /// or a key with nothing left to spend, stops the sweep with nothing started. A server with no `/key`
    /// (404: not OpenRouter) passes.
    public func preflight() async throws(AttemptFailure) {
        if let keyProblem { throw keyProblem }
        for base in Set(selections.values.map { $0.baseURL ?? Self.defaultBaseURL }).sorted() {
            let exchange: HTTPExchange
            do { exchange = try await transport.send(get(base + "/key")) } catch {
                throw AttemptFailure(kind: .connectionFailed, message: "cannot reach \(base)/key to check the API key: \(describe(error))")
            }
            switch exchange.status {
            case 200:
                let data = (try? JSONParser.parse(exchange.body))?["data"]
                if let remaining = data?["limit_remaining"], case let .number(text) = remaining, let r = USD(jsonNumber: text), r == .zero {
                    throw AttemptFailure(kind: .insufficientCredits, message: "the API key has no credit left (limit_remaining 0 at \(base)/key)", httpStatus: 200)
                }
            case 404: continue
            case 401, 403:
                let why = (try? JSONParser.parse(exchange.body))?["error"]?["message"]?.string ?? "HTTP \(exchange.status)"
                throw AttemptFailure(kind: .auth, message: key.redact("\(base) rejected the API key: \(why)"), httpStatus: exchange.status)
            default:
                throw AttemptFailure(kind: .upstreamError, message: "\(base)/key answered HTTP \(exchange.status); the key could not be checked", httpStatus: exchange.status)
            }
        }
    }

    public func complete(_ request: ProviderRequest) async throws(AttemptFailure) -> ProviderResponse {
        if let keyProblem { throw keyProblem }
        let call: HTTPCall
        do { call = try post(request) } catch { throw AttemptFailure(kind: .internalError, message: "cannot encode the request: \(error)") }
        let exchange: HTTPExchange
        do { exchange = try await transport.send(call) } catch {
            switch error {
            case .cancelled: throw .cancelled()
            case let .timeout(why): throw AttemptFailure(kind: .timeout, message: why)
            case let .connection(why): throw AttemptFailure(kind: .connectionFailed, message: key.redact(why))
            }
        }
        let model = models[request.model]
        return try CompletionReading(request: request, exchange: exchange, key: key,
                                     fallbackPrice: (model?.inputPerMTok ?? .zero, model?.outputPerMTok ?? .zero)).response()
    }

    /// The body OpenRouter reads; absent optional parameters are not sent (provider defaults apply).
    struct Body: Encodable {
        let model: String
        let messages: [ChatMessage]
        let temperature: Double
        let top_p: Double?
        let seed: Int
        let stop: [String]?
        let max_tokens: Int
        let provider: ProviderRouting?
    }

    private func post(_ r: ProviderRequest) throws -> HTTPCall {
        var call = HTTPCall(method: .post, url: r.baseURL + "/chat/completions")
        call.body = try CanonicalJSON.encode(Body(model: r.model, messages: r.messages, temperature: r.temperature, top_p: r.topP, seed: r.seed,
                                                  stop: r.stop, max_tokens: r.maxTokens, provider: r.routing))
        call.headers.append(("Content-Type", "application/json"))
        authorize(&call)
        return call
    }

    private func get(_ url: String) -> HTTPCall {
        var call = HTTPCall(method: .get, url: url)
        authorize(&call)
        return call
    }

    private func authorize(_ call: inout HTTPCall) {
        call.headers.append(("Authorization", "Bearer \(key.value)"))
        if let referer = http.referer { call.headers.append(("HTTP-Referer", referer)) }
        if let title = http.title { call.headers.append(("X-OpenRouter-Title", title)) }
    }

    private func describe(_ e: TransportFailure) -> String {
        switch e {
        case .cancelled: "cancelled"
        case let .timeout(why): why
        case let .connection(why): key.redact(why)
        }
    }
}
