import Foundation
import TeamLLM

/// One request as the imitation received it, for tests to assert on what a client sent.
public struct LoggedRequest: Sendable {
    public let method: String
    public let path: String
    /// The query's parameters, percent-decoded.
    public let query: [String: String]
    /// Header names lowercased.
    public let headers: [String: String]
    public let body: Data
}

/// One call the imitation billed.
public struct BilledCall: Sendable {
    public let generationID: String
    /// sha256 of the request body as received.
    public let requestSHA256: String
    public let cost: Decimal
}

/// A loopback imitation of the OpenRouter API (shared/reference/openrouter-api.md): chat completions with
/// routing, seeds honoured only where the endpoint supports them, exact decimal costs, a per-key ledger
/// with 402s, generations, key, credits, models and endpoints, a seeded fault schedule and a latency model.
/// It binds 127.0.0.1 only.
public actor Imitation {
    let config: ImitationConfig
    var server: ImitationServer?
    var chatRequests = 0
    var ledger: [String: Decimal] = [:]
    var generations: [String: (ready: UInt64, data: JSONNode)] = [:]
    var log: [LoggedRequest] = []
    let models: [String: ImitatedModel]
    var billed: [BilledCall] = []
    var fresh = SplitMix64(text: "teamllm/imitation/fresh")

    public init(config: ImitationConfig) {
        self.config = config
        models = Dictionary(config.models.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        fresh = SplitMix64(text: "teamllm/imitation/fresh/v1|\(config.seed)")
    }

    /// Starts serving on 127.0.0.1 and returns the port bound.
    public func start() async throws -> UInt16 {
        let server = try await ImitationServer.start(port: Int(config.port)) { [self] r in await self.handle(r) }
        self.server = server
        return server.port
    }

    /// The imitation's routes. Chat completions do their parsing, answering and writing off the actor, which
    /// they enter only for the counters, the ledger and the generations: 64 calls at once do not queue there.
    nonisolated func handle(_ r: LoggedRequest) async -> ImitatedResponse {
        await record(r)
        switch (r.method, r.path) {
        case ("POST", "/api/v1/chat/completions"): return await chat(r)
        case ("GET", "/api/v1/generation"): return await generation(r)
        case ("GET", "/api/v1/key"), ("GET", "/api/v1/auth/key"): return await key(r)
        case ("GET", "/api/v1/credits"): return await credits(r)
        case ("GET", "/api/v1/models"): return listModels(r)
        case ("GET", _) where r.path.hasPrefix("/api/v1/models/"): return endpoints(r)
        default: return respond(404, Bodies.error(404, "Not Found", errorType: "not_found"))
        }
    }

    /// Stops serving; requests in flight are cut.
    public func stop() async {
        await server?.stop()
        server = nil
    }

    /// Every request received, oldest first (the last 100,000).
    public var requests: [LoggedRequest] { log }

    /// What the key has been billed, exactly: the running sum of every `usage.cost` returned.
    public func usage(key: String) -> Decimal { ledger[key] ?? 0 }

    /// The generation ids billed, in order.
    public var billedGenerations: [String] { billed.map(\.generationID) }

    /// Every billed call, in order: which request body (by sha256) it answered and what it cost.
    public var billedCalls: [BilledCall] { billed }

    // MARK: Requests

    func record(_ r: LoggedRequest) {
        log.append(r)
        if log.count > 100_000 { log.removeFirst(log.count - 100_000) }
    }

    nonisolated func respond(_ status: Int, _ node: JSONNode, headers extra: [String: String] = [:]) -> ImitatedResponse {
        ImitatedResponse(status: status, headers: extra.merging(["Content-Type": "application/json"]) { a, _ in a }, body: .data(Bodies.data(node)))
    }

    static func phrase(_ status: Int) -> String {
        [200: "OK", 400: "Bad Request", 401: "Unauthorized", 402: "Payment Required", 403: "Forbidden", 404: "Not Found", 408: "Request Timeout",
         429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 524: "A Timeout Occurred",
         529: "Site Overloaded"][status] ?? "Status"
    }

    /// The key a request carries, or the 401 it gets.
    enum Authorization {
        case success(ImitatedKey)
        case failure(ImitatedResponse)
    }

    nonisolated func authorize(_ logged: LoggedRequest) -> Authorization {
        guard let auth = logged.headers["authorization"], auth.hasPrefix("Bearer "), auth.count > 7 else {
            return .failure(respond(401, Bodies.error(401, "No auth credentials found", errorType: "authentication")))
        }
        let key = String(auth.dropFirst(7))
        guard let k = config.keys.first(where: { $0.key == key }) else {
            return .failure(respond(401, Bodies.error(401, "User not found.", errorType: "authentication")))
        }
        return .success(k)
    }

    func key(_ r: LoggedRequest) -> ImitatedResponse {
        let k: ImitatedKey
        switch authorize(r) {
        case let .success(v): k = v
        case let .failure(resp): return resp
        }
        let used = ledger[k.key] ?? 0
        let n = { (d: Decimal) in Bodies.number(d, exponent: false) }
        return respond(200, Bodies.object(["data": Bodies.object([
            "label": .string(k.label), "limit": k.limitUSD.map(n) ?? .null, "limit_remaining": k.limitUSD.map { n(Swift.max(0, $0 - used)) } ?? .null,
            "limit_reset": .null, "usage": n(used), "usage_daily": n(used), "usage_weekly": n(used), "usage_monthly": n(used),
            "byok_usage": n(0), "include_byok_in_limit": .bool(false), "is_free_tier": .bool(false), "is_management_key": .bool(k.isManagement),
            "expires_at": .null, "rate_limit": Bodies.object(["requests": Bodies.int(-1), "interval": .string("10s")]),
        ])]))
    }

    func credits(_ r: LoggedRequest) -> ImitatedResponse {
        switch authorize(r) {
        case let .failure(resp): return resp
        case let .success(k):
            guard k.isManagement else { return respond(403, Bodies.error(403, "Only management keys can perform this operation", errorType: "permission_denied")) }
            let total = config.keys.compactMap(\.limitUSD).reduce(0, +)
            let used = ledger.values.reduce(0, +)
            return respond(200, Bodies.object(["data": Bodies.object(["total_credits": Bodies.number(total, exponent: false),
                                                                      "total_usage": Bodies.number(used, exponent: false)])]))
        }
    }

    nonisolated func modelNode(_ m: ImitatedModel) -> JSONNode {
        let e = m.endpoints.first
        let params = Array(m.endpoints.reduce(into: Set<String>()) { $0.formUnion($1.supportedParameters) }).sorted().map { JSONNode.string($0) }
        return Bodies.object([
            "id": .string(m.id), "canonical_slug": .string(m.id), "name": .string(m.name), "created": Bodies.int(1_767_225_600),
            "context_length": Bodies.int(m.contextLength),
            "pricing": Bodies.object(["prompt": .string(e?.promptPrice ?? "0"), "completion": .string(e?.completionPrice ?? "0"),
                                      "request": .string("0"), "image": .string("0")]),
            "architecture": Bodies.object(["modality": .string("text->text"), "input_modalities": .array([.string("text")]),
                                           "output_modalities": .array([.string("text")]), "tokenizer": .string("Other")]),
            "top_provider": Bodies.object(["context_length": Bodies.int(m.contextLength), "max_completion_tokens": Bodies.int(m.maxCompletionTokens),
                                           "is_moderated": .bool(false)]),
            "per_request_limits": .null, "supported_parameters": .array(params), "default_parameters": .null,
            "links": Bodies.object(["details": .string("/api/v1/models/\(m.id)/endpoints")]),
        ])
    }

    nonisolated func listModels(_ r: LoggedRequest) -> ImitatedResponse {
        var all = config.models.sorted { $0.id < $1.id }.map(modelNode)
        all.append(Bodies.object([
            "id": .string("openrouter/auto"), "canonical_slug": .string("openrouter/auto"), "name": .string("Auto Router"), "created": Bodies.int(1_700_000_000),
            "context_length": Bodies.int(2_000_000),
            "pricing": Bodies.object(["prompt": .string("-1"), "completion": .string("-1")]),
            "architecture": Bodies.object(["modality": .string("text->text")]),
            "top_provider": Bodies.object(["context_length": .null, "max_completion_tokens": .null, "is_moderated": .bool(false)]),
            "per_request_limits": .null, "supported_parameters": .array([]), "default_parameters": .null, "links": Bodies.object([:]),
        ]))
        let offset = Int(r.query["offset"] ?? "") ?? 0
        let limit = min(Int(r.query["limit"] ?? "") ?? 1000, 1000)
        let page = Array(all.dropFirst(offset).prefix(limit))
        let next: JSONNode = offset + page.count < all.count ? .string("/api/v1/models?offset=\(offset + page.count)&limit=\(limit)") : .null
        return respond(200, Bodies.object(["data": .array(page), "total_count": Bodies.int(all.count), "links": Bodies.object(["next": next])]))
    }

    nonisolated func endpoints(_ r: LoggedRequest) -> ImitatedResponse {
        let parts = r.path.split(separator: "/").map(String.init) // api v1 models a s endpoints
        guard parts.count == 6, parts[5] == "endpoints", let m = models["\(parts[3])/\(parts[4])"] else {
            return respond(404, Bodies.error(404, "Model not found", errorType: "not_found"))
        }
        let list = m.endpoints.map { e in
            Bodies.object(["name": .string("\(e.providerName) | \(m.id)"), "provider_name": .string(e.providerName), "tag": .string(e.slug),
                           "context_length": Bodies.int(m.contextLength), "max_completion_tokens": Bodies.int(m.maxCompletionTokens),
                           "pricing": Bodies.object(["prompt": .string(e.promptPrice), "completion": .string(e.completionPrice)]),
                           "supported_parameters": .array(e.supportedParameters.sorted().map { .string($0) }), "status": Bodies.int(0)])
        }
        return respond(200, Bodies.object(["data": Bodies.object(["id": .string(m.id), "name": .string(m.name), "endpoints": .array(list)])]))
    }

    func generation(_ r: LoggedRequest) -> ImitatedResponse {
        if case let .failure(resp) = authorize(r) { return resp }
        let id = r.query["id"] ?? ""
        guard let g = generations[id], DispatchTime.now().uptimeNanoseconds >= g.ready else {
            return respond(404, Bodies.error(404, "Generation \(id) not found", errorType: "not_found"))
        }
        return respond(200, Bodies.object(["data": g.data]))
    }
}
