import FlyingFox
import FlyingSocks
import Foundation
import TeamLLM

/// One request as the imitation received it, for tests to assert on what a client sent.
public struct LoggedRequest: Sendable {
    public let method: String
    public let path: String
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
    var server: HTTPServer?
    var serving: Task<Void, any Error>?
    var chatRequests = 0
    var ledger: [String: Decimal] = [:]
    var generations: [String: (ready: UInt64, data: JSONNode)] = [:]
    var log: [LoggedRequest] = []
    var models: [String: ImitatedModel]
    var billed: [BilledCall] = []
    var fresh = SplitMix64(text: "teamllm/imitation/fresh")

    public init(config: ImitationConfig) {
        self.config = config
        models = Dictionary(config.models.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        fresh = SplitMix64(text: "teamllm/imitation/fresh/v1|\(config.seed)")
    }

    /// Starts serving on 127.0.0.1 and returns the port bound.
    public func start() async throws -> UInt16 {
        let server = HTTPServer(address: try .inet(ip4: "127.0.0.1", port: config.port), timeout: 180, logger: .disabled)
        await server.appendRoute("POST /api/v1/chat/completions") { [self] r in await self.chat(r) }
        await server.appendRoute("GET /api/v1/generation") { [self] r in await self.generation(r) }
        await server.appendRoute("GET /api/v1/key") { [self] r in await self.key(r) }
        await server.appendRoute("GET /api/v1/auth/key") { [self] r in await self.key(r) }
        await server.appendRoute("GET /api/v1/credits") { [self] r in await self.credits(r) }
        await server.appendRoute("GET /api/v1/models") { [self] r in await self.listModels(r) }
        await server.appendRoute("GET /api/v1/models/*") { [self] r in await self.endpoints(r) }
        self.server = server
        serving = Task { try await server.run() }
        // Generous: a loaded machine (tests side by side on two cores) can take seconds to schedule the listener.
        try await server.waitUntilListening(timeout: 60)
        guard case let .ip4(_, port)? = await server.listeningAddress else { throw ImitationSpecError.badValue(entry: "listen", expected: "an IPv4 port") }
        Self.disableNagle(port: port)
        return port
    }

    /// FlyingFox writes a response's head and body separately and does not set TCP_NODELAY, so on a kept-alive
    /// connection the body waits for the client's delayed ACK: 40 ms on every request after the first
    /// (measured with curl). Linux copies TCP_NODELAY from a listening socket to the sockets it accepts, so it
    /// is set on the listener, found among this process's descriptors by the port it is bound to.
    static func disableNagle(port: UInt16) {
        for fd in Int32(0)..<Int32(4096) {
            var addr = sockaddr_in()
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            let named = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
            guard named == 0, addr.sin_family == sa_family_t(AF_INET), UInt16(bigEndian: addr.sin_port) == port else { continue }
            var on: Int32 = 1
            _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
        }
    }

    /// Stops serving; requests in flight are cut.
    public func stop() async {
        await server?.stop(timeout: 0)
        serving?.cancel()
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

    func record(_ r: HTTPRequest) async -> (LoggedRequest, Data) {
        let body = (try? await r.bodyData) ?? Data()
        var headers: [String: String] = [:]
        for (k, v) in r.headers { headers[k.rawValue.lowercased()] = v }
        let logged = LoggedRequest(method: r.method.rawValue, path: r.path, headers: headers, body: body)
        log.append(logged)
        if log.count > 100_000 { log.removeFirst(log.count - 100_000) }
        return (logged, body)
    }

    func respond(_ status: Int, _ node: JSONNode, headers extra: [String: String] = [:]) -> HTTPResponse {
        var h = HTTPHeaders()
        h[HTTPHeader("Content-Type")] = "application/json"
        for (k, v) in extra { h[HTTPHeader(k)] = v }
        return HTTPResponse(statusCode: HTTPStatusCode(status, phrase: Self.phrase(status)), headers: h, body: Bodies.data(node))
    }

    static func phrase(_ status: Int) -> String {
        [200: "OK", 400: "Bad Request", 401: "Unauthorized", 402: "Payment Required", 403: "Forbidden", 404: "Not Found", 408: "Request Timeout",
         429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 524: "A Timeout Occurred",
         529: "Site Overloaded"][status] ?? "Status"
    }

    /// The key a request carries, or the 401 it gets.
    enum Authorization {
        case success(ImitatedKey)
        case failure(HTTPResponse)
    }

    func authorize(_ logged: LoggedRequest) -> Authorization {
        guard let auth = logged.headers["authorization"], auth.hasPrefix("Bearer "), auth.count > 7 else {
            return .failure(respond(401, Bodies.error(401, "No auth credentials found", errorType: "authentication")))
        }
        let key = String(auth.dropFirst(7))
        guard let k = config.keys.first(where: { $0.key == key }) else {
            return .failure(respond(401, Bodies.error(401, "User not found.", errorType: "authentication")))
        }
        return .success(k)
    }

    func key(_ r: HTTPRequest) async -> HTTPResponse {
        let (logged, _) = await record(r)
        let k: ImitatedKey
        switch authorize(logged) {
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

    func credits(_ r: HTTPRequest) async -> HTTPResponse {
        let (logged, _) = await record(r)
        switch authorize(logged) {
        case let .failure(resp): return resp
        case let .success(k):
            guard k.isManagement else { return respond(403, Bodies.error(403, "Only management keys can perform this operation", errorType: "permission_denied")) }
            let total = config.keys.compactMap(\.limitUSD).reduce(0, +)
            let used = ledger.values.reduce(0, +)
            return respond(200, Bodies.object(["data": Bodies.object(["total_credits": Bodies.number(total, exponent: false),
                                                                      "total_usage": Bodies.number(used, exponent: false)])]))
        }
    }

    func modelNode(_ m: ImitatedModel) -> JSONNode {
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

    func listModels(_ r: HTTPRequest) async -> HTTPResponse {
        _ = await record(r)
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

    func endpoints(_ r: HTTPRequest) async -> HTTPResponse {
        _ = await record(r)
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

    func generation(_ r: HTTPRequest) async -> HTTPResponse {
        let (logged, _) = await record(r)
        if case let .failure(resp) = authorize(logged) { return resp }
        let id = r.query["id"] ?? ""
        guard let g = generations[id], DispatchTime.now().uptimeNanoseconds >= g.ready else {
            return respond(404, Bodies.error(404, "Generation \(id) not found", errorType: "not_found"))
        }
        return respond(200, Bodies.object(["data": g.data]))
    }
}
