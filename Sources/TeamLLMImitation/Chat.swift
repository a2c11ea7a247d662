import Foundation
import TeamLLM

/// POST /chat/completions: validation, routing, the fault schedule, the ledger, the answer.
extension Imitation {
    /// The parameters a request body sends that an endpoint may or may not support.
    static let routable = ["temperature", "top_p", "seed", "stop", "max_tokens", "top_k", "frequency_penalty", "presence_penalty", "logit_bias"]

    nonisolated func chat(_ r: LoggedRequest) async -> ImitatedResponse {
        let body = r.body
        let key: ImitatedKey
        switch authorize(r) {
        case let .success(k): key = k
        case let .failure(resp): return resp
        }
        guard let root = try? JSONParser.parse(body), root.members != nil else {
            return respond(400, Bodies.error(400, "Invalid JSON body", errorType: "invalid_request"))
        }
        guard let list = root["messages"]?.items, !list.isEmpty else {
            return respond(400, Bodies.error(400, "messages: expected a non-empty array", errorType: "invalid_request"))
        }
        let messages = list.compactMap { m in m["role"]?.string.flatMap { role in m["content"]?.string.map { ChatMessage(role: role, content: $0) } } }
        if let stop = root["stop"]?.items, stop.count > 4 {
            return respond(400, Bodies.error(400, "stop: at most 4 sequences", errorType: "invalid_request"))
        }
        let fallbacks = root["models"]?.items?.compactMap(\.string) ?? []
        let asked = root["model"]?.string ?? fallbacks.first ?? ""
        guard let model = ([asked] + fallbacks).lazy.compactMap({ self.models[$0] }).first else {
            return respond(400, Bodies.error(400, "\(asked) is not a valid model ID", availability: [
                "code": .string("model_not_found"), "retryable": .bool(false), "requested_models": .array([.string(asked)]),
            ], errorType: "invalid_request"))
        }
        let n = await nextChat()
        var rng = SplitMix64(text: "teamllm/imitation/v1|\(config.seed)|\(n)")
        let fault = config.faults.fault(request: n, draw: rng.unit())

        // Routing: only / ignore / order / allow_fallbacks / require_parameters.
        let routing = root["provider"]
        let sent = Set(Self.routable.filter { (root[$0]?.isNull ?? true) == false })
        var eligible = model.endpoints
        if let only = routing?["only"]?.items?.compactMap(\.string) { eligible = eligible.filter { e in only.contains { Self.matches(e, $0) } } }
        if let ignore = routing?["ignore"]?.items?.compactMap(\.string) { eligible = eligible.filter { e in !ignore.contains { Self.matches(e, $0) } } }
        let allowFallbacks = routing?["allow_fallbacks"]?.bool ?? true
        if let order = routing?["order"]?.items?.compactMap(\.string), !order.isEmpty {
            let first = order.compactMap { o in eligible.first { Self.matches($0, o) } }
            eligible = allowFallbacks ? first + eligible.filter { e in !first.contains { $0.slug == e.slug } } : first
        } else {
            // Load balancing: the endpoints in a drawn order.
            eligible.shuffle(using: &rng)
        }
        if routing?["require_parameters"]?.bool == true {
            let before = eligible.count
            eligible = eligible.filter { sent.isSubset(of: $0.supportedParameters) }
            if eligible.isEmpty && before > 0 {
                return respond(404, Bodies.error(404, "No endpoints found that can handle the requested parameters.", availability: [
                    "code": .string("constraint_filtered"), "retryable": .bool(false), "excluded_by": .array([.string("require_parameters")]),
                    "requested_models": .array([.string(model.id)]),
                ], errorType: "not_found"))
            }
        }
        guard var endpoint = eligible.first else {
            return respond(404, Bodies.error(404, "No endpoints found for \(model.id).", availability: [
                "code": .string("no_endpoints"), "retryable": .bool(false), "requested_models": .array([.string(model.id)]),
            ], errorType: "not_found"))
        }
        // The endpoint that failed before the one that served, on a failover.
        var failedOver: ImitatedEndpoint?
        if fault == .failover {
            guard allowFallbacks, eligible.count > 1 else { return faultResponse(.badGateway, model: model, endpoint: endpoint) }
            failedOver = endpoint
            endpoint = eligible[1]
        }

        let maxTokens = root["max_tokens"]?.int ?? root["max_completion_tokens"]?.int ?? model.maxCompletionTokens
        let honoured = endpoint.supportedParameters.contains("seed")
        let seed: Int
        if honoured, let sent = root["seed"]?.int { seed = sent } else { seed = await freshSeed() }
        let prompt = USD(jsonNumber: endpoint.promptPrice)?.value ?? 0, completion = USD(jsonNumber: endpoint.completionPrice)?.value ?? 0
        guard var answer = await config.answerer.answer(model: model.id, messages: messages, seed: seed, maxTokens: maxTokens) else {
            return respond(400, Bodies.error(400, "the imitation has no answer for this prompt on \(model.id)", errorType: "invalid_prompt"))
        }
        // 402 before anything is served: what is left must cover the prompt and max_tokens.
        if let limit = key.limitUSD {
            let left = limit - (await usage(key: key.key))
            let worst = Decimal(answer.promptTokens) * prompt + Decimal(maxTokens) * completion
            if worst > left {
                let affordable = completion > 0 ? Swift.max(0, NSDecimalNumber(decimal: (left - Decimal(answer.promptTokens) * prompt) / completion).intValue) : 0
                return respond(402, Bodies.error(402, "This request requires more credits, or fewer max_tokens. You requested up to \(maxTokens) tokens, but can only afford \(affordable). To increase, visit https://openrouter.ai/settings/keys and create a key with a higher total limit",
                                                 errorType: "payment_required"))
            }
        }
        if fault == .paymentRequired {
            return respond(402, Bodies.error(402, "This request requires more credits, or fewer max_tokens. You requested up to \(maxTokens) tokens, but can only afford 0.",
                                             errorType: "payment_required"))
        }
        let wait = config.latency.milliseconds(model: model.id, rng.unit(), rng.unit())
        if wait > 0 { try? await Task.sleep(nanoseconds: UInt64(wait * 1_000_000)) }
        if let fault, ![Fault.failover, .length, .keepalive, .truncated].contains(fault) {
            return faultResponse(fault, model: model, endpoint: endpoint)
        }

        var finish = "stop"
        let cap = fault == .length ? Swift.max(1, maxTokens / 4) : maxTokens
        if answer.completionTokens > cap || fault == .length {
            // Cut to the limit: the same share of the text as of the tokens.
            let keep = answer.text.count * cap / Swift.max(answer.completionTokens, 1)
            answer.text = String(answer.text.prefix(keep))
            answer.completionTokens = Swift.min(cap, answer.completionTokens)
            finish = "length"
        }
        let cost = Decimal(answer.promptTokens) * prompt + Decimal(answer.completionTokens) * completion
        let created = Int(Date().timeIntervalSince1970)
        let id = Bodies.generationID(unix: created, rng: &rng)
        let exp = config.exponentCosts
        let node = Bodies.object([
            "id": .string(id), "object": .string("chat.completion"), "created": Bodies.int(created), "model": .string(model.id),
            "provider": .string(endpoint.providerName), "system_fingerprint": Bodies.string(endpoint.systemFingerprint),
            "choices": .array([Bodies.object([
                "index": Bodies.int(0), "logprobs": .null, "finish_reason": .string(finish), "native_finish_reason": .string(finish == "stop" ? "STOP" : "MAX_TOKENS"),
                "message": Bodies.object(["role": .string("assistant"), "content": .string(answer.text), "refusal": .null, "reasoning": .null]),
            ])]),
            "usage": Bodies.object([
                "prompt_tokens": Bodies.int(answer.promptTokens), "completion_tokens": Bodies.int(answer.completionTokens),
                "total_tokens": Bodies.int(answer.promptTokens + answer.completionTokens), "cost": Bodies.number(cost, exponent: exp), "is_byok": .bool(false),
                "prompt_tokens_details": Bodies.object(["cached_tokens": Bodies.int(0), "cache_write_tokens": Bodies.int(0), "audio_tokens": Bodies.int(0), "video_tokens": Bodies.int(0)]),
                "cost_details": Bodies.object([
                    "upstream_inference_cost": Bodies.number(cost, exponent: exp),
                    "upstream_inference_prompt_cost": Bodies.number(Decimal(answer.promptTokens) * prompt, exponent: exp),
                    "upstream_inference_completions_cost": Bodies.number(Decimal(answer.completionTokens) * completion, exponent: exp),
                ]),
                "completion_tokens_details": Bodies.object(["reasoning_tokens": Bodies.int(answer.reasoningTokens), "image_tokens": Bodies.int(0), "audio_tokens": Bodies.int(0)]),
            ]),
        ])
        let headers = ["X-Generation-Id": id, "X-Provider-Name": endpoint.providerName]
        if fault == .truncated {
            let bytes = Bodies.data(node)
            return respond(200, .null, headers: headers).with(body: bytes.prefix(bytes.count / 2))
        }
        let call = BilledCall(generationID: id, requestSHA256: Digest.sha256(body), cost: cost)
        let responses = ((failedOver.map { [($0, 502)] } ?? []) + [(endpoint, 200)]).map { e, status in
            Bodies.object(["provider_name": .string(e.providerName), "model_permaslug": .string(model.id), "status": Bodies.int(status),
                           "latency": Bodies.int(Int(wait)), "is_byok": .bool(false)])
        }
        let generation = Bodies.object([
            "id": .string(id), "upstream_id": .string("up-\(id.suffix(8))"), "total_cost": Bodies.number(cost, exponent: false),
            "usage": Bodies.number(cost, exponent: false), "upstream_inference_cost": Bodies.number(cost, exponent: false), "cache_discount": .null,
            "is_byok": .bool(false), "created_at": .string(Clock.now()), "model": .string(model.id),
            "provider_name": .string(endpoint.providerName), "streamed": .bool(false), "cancelled": .bool(false),
            "latency": Bodies.int(Int(wait)), "generation_time": Bodies.int(Int(wait)), "moderation_latency": .null,
            "tokens_prompt": Bodies.int(answer.promptTokens), "tokens_completion": Bodies.int(answer.completionTokens),
            "native_tokens_prompt": Bodies.int(answer.promptTokens), "native_tokens_completion": Bodies.int(answer.completionTokens),
            "native_tokens_reasoning": Bodies.int(answer.reasoningTokens), "native_tokens_cached": Bodies.int(0),
            "finish_reason": .string(finish), "native_finish_reason": .string(finish == "stop" ? "STOP" : "MAX_TOKENS"),
            "provider_responses": .array(responses),
        ])
        // Billed: the ledger and the generation are written before the body leaves.
        await bill(call, key: key.key, generation: generation)
        if fault == .keepalive {
            let blank: [ScriptedBody.Step] = [.bytes(Array("\n".utf8)), .pause(milliseconds: 100)]
            return respond(200, .null, headers: headers).with(steps: Array(repeating: blank, count: 5).flatMap { $0 } + [.bytes(JSONWriter.bytes(node))])
        }
        return respond(200, node, headers: headers)
    }

    static func matches(_ e: ImitatedEndpoint, _ slug: String) -> Bool {
        let s = slug.lowercased()
        return e.slug == s || s.hasPrefix(e.slug + "/") || e.providerName.lowercased() == s
    }

    /// The exact shape of each fault (never billed).
    nonisolated func faultResponse(_ fault: Fault, model: ImitatedModel, endpoint: ImitatedEndpoint) -> ImitatedResponse {
        let provider = endpoint.providerName
        switch fault {
        case .badRequest: return respond(400, Bodies.error(400, "Provider returned error", metadata: ["raw": .string("{\"error\":\"invalid parameter\"}"), "provider_name": .string(provider)], errorType: "invalid_request"))
        case .unauthorized: return respond(401, Bodies.error(401, "User not found.", errorType: "authentication"))
        case .paymentRequired: return respond(402, Bodies.error(402, "Insufficient credits", errorType: "payment_required"))
        case .moderation:
            return respond(403, Bodies.error(403, "\(model.id) requires moderation on \(provider). Your input was flagged for \"violence\".", metadata: [
                "reasons": .array([.string("violence")]), "flagged_input": .string("…"), "provider_name": .string(provider), "model_slug": .string(model.id),
            ], errorType: "content_policy_violation"))
        case .noEndpoints:
            return respond(404, Bodies.error(404, "No endpoints found for \(model.id).", availability: ["code": .string("no_endpoints"), "retryable": .bool(false)], errorType: "not_found"))
        case .requestTimeout: return respond(408, Bodies.error(408, "Request timed out", errorType: "timeout"))
        case .rateLimited:
            let reset = String(Int(Date().timeIntervalSince1970 * 1000) + 1000)
            return respond(429, Bodies.error(429, "Rate limit exceeded: limit_rpm/\(model.id)", metadata: [
                "headers": Bodies.object(["X-RateLimit-Limit": .string("20"), "X-RateLimit-Remaining": .string("0"), "X-RateLimit-Reset": .string(reset)]),
                "limit_source": .string("key"),
            ], errorType: "rate_limit_exceeded"), headers: ["X-RateLimit-Limit": "20", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset, "Retry-After": "1"])
        case .upstreamRateLimited:
            return respond(429, Bodies.error(429, "Provider returned error", metadata: [
                "raw": .string("\(model.id) is temporarily rate-limited upstream. Please retry shortly."), "provider_name": .string(provider),
                "retry_after_seconds": Bodies.int(1),
            ], errorType: "rate_limit_exceeded"))
        case .internalError: return respond(500, Bodies.error(500, "Internal Server Error", errorType: "server"))
        case .badGateway, .failover:
            return respond(502, Bodies.error(502, "Provider returned error", metadata: ["raw": .string("{\"detail\":\"upstream connect error\"}"), "provider_name": .string(provider)], errorType: "provider_unavailable"))
        case .unavailable:
            return respond(503, Bodies.error(503, "No instances available", availability: [
                "code": .string("temporarily_unavailable"), "retryable": .bool(true), "retry_after": Bodies.int(1),
            ], errorType: "provider_unavailable"), headers: ["Retry-After": "1"])
        case .edgeTimeout: return respond(524, Bodies.error(524, "Edge timeout", errorType: "timeout"))
        case .overloaded: return respond(529, Bodies.error(529, "Provider overloaded", metadata: ["provider_name": .string(provider)], errorType: "provider_overloaded"))
        case .errorIn200: return respond(200, Bodies.error(502, "Provider returned error", metadata: ["raw": .string("upstream closed"), "provider_name": .string(provider)], errorType: "provider_unavailable"))
        case .finishError:
            return respond(200, Bodies.object([
                "id": .string("gen-\(Int(Date().timeIntervalSince1970))-FINISHERROR000000000"), "object": .string("chat.completion"), "model": .string(model.id),
                "provider": .string(provider), "choices": .array([Bodies.object([
                    "index": Bodies.int(0), "finish_reason": .string("error"), "native_finish_reason": .string("ERROR"),
                    "error": Bodies.object(["code": Bodies.int(502), "message": .string("generation interrupted upstream")]),
                    "message": Bodies.object(["role": .string("assistant"), "content": .string("The answer is")]),
                ])]),
                "usage": Bodies.object(["prompt_tokens": Bodies.int(10), "completion_tokens": Bodies.int(3), "total_tokens": Bodies.int(13), "cost": Bodies.int(0)]),
            ]))
        case .noChoices: return respond(200, Bodies.object(["id": .string("gen-0-NOCHOICES00000000000"), "object": .string("chat.completion"), "model": .string(model.id)]))
        case .hang: return respond(200, .null).with(steps: [.pause(milliseconds: 120_000), .drop])
        case .hangKeepalive:
            let blank: [ScriptedBody.Step] = [.bytes(Array("\n".utf8)), .pause(milliseconds: 500)]
            return respond(200, .null).with(steps: Array(repeating: blank, count: 240).flatMap { $0 } + [.drop])
        case .close: return respond(200, .null).with(steps: [.bytes(Array("{\"id\":\"gen-".utf8)), .drop])
        case .truncated, .keepalive, .length: return respond(500, Bodies.error(500, "unreachable fault path", errorType: "server"))
        }
    }
}

extension Imitation {
    /// The next chat request's number (faults and draws are keyed by it).
    func nextChat() -> Int {
        chatRequests += 1
        return chatRequests
    }

    /// A seed for an endpoint that drops the one sent (or a request that sent none).
    func freshSeed() -> Int { Int(truncatingIfNeeded: fresh.next() & 0x7FFF_FFFF) }

    /// A served call, charged to its key, its generation readable after the readiness delay.
    func bill(_ call: BilledCall, key: String, generation: JSONNode) {
        ledger[key, default: 0] += call.cost
        billed.append(call)
        generations[call.generationID] = (DispatchTime.now().uptimeNanoseconds + UInt64(config.generationDelayMs) * 1_000_000, generation)
    }
}
