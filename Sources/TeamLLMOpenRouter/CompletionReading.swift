import Foundation
import TeamLLM

/// Reads one exchange with the chat-completions endpoint into a response or a typed failure, following the
/// contract (`shared/reference/openrouter-api.md` §1, §5): errors come with their HTTP status or inside a
/// 200 body, bodies may start with keep-alive whitespace, and costs are exact decimals read from the raw text.
struct CompletionReading {
    let request: ProviderRequest
    let exchange: HTTPExchange
    /// The key, so no message built from a body can carry it.
    let key: APIKey
    /// Price per token when the server reports no cost (an OpenAI-compatible server that is not OpenRouter).
    let fallbackPrice: (input: USD, output: USD)

    func response() throws(AttemptFailure) -> ProviderResponse {
        let headers = exchange.headers
        let generationHeader = headers["x-generation-id"]
        let trimmed = exchange.body.drop { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }
        if exchange.status != 200 {
            throw failure(status: exchange.status, body: try? JSONParser.parse(trimmed), generation: generationHeader)
        }
        guard !trimmed.isEmpty else {
            throw fail(.missingChoices, "HTTP 200 with an empty body (a cold start, or a connection cut before the body)", generation: generationHeader)
        }
        let root: JSONNode
        do { root = try JSONParser.parse(trimmed) } catch {
            throw fail(.malformedBody, "HTTP 200 whose body is not JSON (\(error), \(exchange.body.count) bytes)", generation: generationHeader)
        }
        let generation = root["id"]?.string ?? generationHeader
        if let error = root["error"], !error.isNull {
            var f = failure(status: error["code"]?.int ?? 0, body: root, generation: generation, inBody: true)
            f.chargedUSD = cost(root["usage"])
            throw f
        }
        guard let choice = root["choices"]?.items?.first else {
            throw fail(.missingChoices, "HTTP 200 without choices", generation: generation)
        }
        let finish = choice["finish_reason"]?.string
        if finish == "error" {
            var f = fail(.errorInBody, "the generation failed after it started: \(message(of: choice["error"]) ?? "no error message")", generation: generation)
            f.chargedUSD = cost(root["usage"])
            throw f
        }
        let content = choice["message"]?["content"]?.string
        // A reply cut at max_tokens before any visible text (all of it reasoning) is still data: graded as empty.
        guard let text = content ?? (finish == "length" ? "" : nil) else {
            throw fail(.missingChoices, "the first choice has no message content (finish_reason \(finish ?? "null"))", generation: generation)
        }
        let usage = root["usage"]
        let tokens = usage.flatMap { u -> TokenUsage? in
            guard let input = u["prompt_tokens"]?.int, let output = u["completion_tokens"]?.int else { return nil }
            return TokenUsage(input: input, output: output, reasoning: u["completion_tokens_details"]?["reasoning_tokens"]?.int,
                              cached: u["prompt_tokens_details"]?["cached_tokens"]?.int)
        }
        let metered = cost(usage)
        let charged: USD
        let source: String
        if let metered {
            (charged, source) = (metered, "metered")
        } else {
            let t = tokens ?? TokenUsage(input: 0, output: 0)
            (charged, source) = (USD.cost(tokens: t.input, perMillion: fallbackPrice.input) + USD.cost(tokens: t.output, perMillion: fallbackPrice.output),
                                 "registry_price")
        }
        let modelUsed = root["model"]?.string ?? request.model
        let providerUsed = root["provider"]?.string ?? headers["x-provider-name"] ?? "unknown"
        let details = usage?["cost_details"]
        let call = CallDetails(
            generationID: generation, httpStatus: exchange.status, systemFingerprint: root["system_fingerprint"]?.string, finishReason: finish,
            nativeFinishReason: choice["native_finish_reason"]?.string, ttfbMs: exchange.ttfbMs,
            mismatch: mismatch(model: modelUsed, provider: providerUsed),
            costDetails: details.map { d in
                CostDetails(upstreamInferenceCost: amount(d["upstream_inference_cost"]), upstreamInferencePromptCost: amount(d["upstream_inference_prompt_cost"]),
                            upstreamInferenceCompletionsCost: amount(d["upstream_inference_completions_cost"]))
            })
        return ProviderResponse(body: exchange.body, answerText: text, usage: tokens, cost: charged, costSource: source, modelUsed: modelUsed,
                                providerUsed: providerUsed, latencyMs: exchange.totalMs, call: call)
    }

    /// Says so when the model or provider that served is not the one asked for (a pinned provider that
    /// fell back, a model swapped by a fallback list).
    private func mismatch(model: String, provider: String) -> String? {
        var out: [String] = []
        if model != request.model && !model.hasPrefix(request.model + "-") { out.append("model \(model) served a request for \(request.model)") }
        if let routing = request.routing, routing.allowFallbacks == false, let order = routing.order, !order.isEmpty {
            let asked = order.map { $0.split(separator: "/").first.map { $0.lowercased() } ?? $0.lowercased() }
            let name = provider.lowercased().replacingOccurrences(of: " ", with: "")
            if !asked.contains(where: { name == $0 || name.hasPrefix($0) }) { out.append("provider \(provider) served a request pinned to \(order.joined(separator: ", "))") }
        }
        return out.isEmpty ? nil : out.joined(separator: "; ")
    }

    private func cost(_ usage: JSONNode?) -> USD? { amount(usage?["cost"]) }

    private func amount(_ node: JSONNode?) -> USD? {
        switch node {
        case let .number(text)?: USD(jsonNumber: text)
        case let .string(text)?: USD(jsonNumber: text)
        default: nil
        }
    }

    private func message(of error: JSONNode?) -> String? {
        guard let error else { return nil }
        return error["message"]?.string ?? error.string
    }

    private func fail(_ kind: FailureKind, _ text: String, status: Int? = nil, retryAfterMs: Int? = nil, generation: String?) -> AttemptFailure {
        AttemptFailure(kind: kind, message: key.redact(text), httpStatus: status ?? exchange.status, retryAfterMs: retryAfterMs, generationID: generation)
    }

    /// An error answer, by its status (or the code inside a 200 body) and its typed metadata.
    private func failure(status: Int, body: JSONNode?, generation: String?, inBody: Bool = false) -> AttemptFailure {
        let error = body?["error"]
        let metadata = error?["metadata"]
        let errorType = metadata?["error_type"]?.string ?? error?["error_type"]?.string
        let availability = error?["availability"]?["code"]?.string
        var text = message(of: error) ?? "HTTP \(status) with \(exchange.body.isEmpty ? "no body" : "a body that is not an error object")"
        if let raw = metadata?["raw"]?.string { text += " (upstream: \(raw.prefix(300)))" }
        if let provider = metadata?["provider_name"]?.string { text += " [provider \(provider)]" }
        let kind: FailureKind
        switch (status, errorType) {
        case (_, "context_length_exceeded"?), (_, "max_tokens_exceeded"?), (_, "token_limit_exceeded"?), (_, "string_too_long"?): kind = .contextTooLong
        case (_, "content_policy_violation"?), (_, "refusal"?): kind = .moderation
        case (401, _): kind = .auth
        case (402, _): kind = .insufficientCredits
        case (403, _): kind = metadata?["reasons"] != nil || metadata?["flagged_input"] != nil ? .moderation : .auth
        case (404, _): kind = .noProvider
        case (408, _): kind = .timeout
        case (429, _): kind = .rateLimited
        case (500...599, _): kind = .upstreamError
        case (400, _) where availability == "model_not_found": kind = .invalidRequest
        case (400..<500, _): kind = .invalidRequest
        default: kind = inBody ? .errorInBody : .malformedBody
        }
        // In a 200 body, only a code that names a rule of its own keeps it; anything else is an in-body error.
        let final: FailureKind = inBody && ![.auth, .insufficientCredits, .moderation, .contextTooLong, .invalidRequest, .noProvider, .rateLimited].contains(kind)
            ? .errorInBody : kind
        return fail(final, "HTTP \(exchange.status)\(inBody ? " (error code \(status) in the body)" : ""): \(text)", status: exchange.status,
                    retryAfterMs: retryAfter(metadata: metadata, availability: error?["availability"]), generation: generation)
    }

    /// How long the server asked to wait: Retry-After (seconds), X-RateLimit-Reset (epoch ms), or the body's hints.
    private func retryAfter(metadata: JSONNode?, availability: JSONNode?) -> Int? {
        var waits: [Int] = []
        if let s = exchange.headers["retry-after"].flatMap(Double.init) { waits.append(Int(s * 1000)) }
        let resetText = exchange.headers["x-ratelimit-reset"] ?? metadata?["headers"]?["X-RateLimit-Reset"]?.text
        if let reset = resetText.flatMap(Double.init) {
            let now = Date().timeIntervalSince1970 * 1000
            // Epoch milliseconds per the contract; a small number is taken as seconds from now.
            waits.append(reset > 1e11 ? max(0, Int(reset - now)) : Int(reset * 1000))
        }
        if let s = metadata?["retry_after_seconds"]?.text.flatMap(Double.init) { waits.append(Int(s * 1000)) }
        if let s = availability?["retry_after"]?.text.flatMap(Double.init) { waits.append(Int(s * 1000)) }
        // Never wait on a server's word for more than ten minutes.
        return waits.max().map { min($0, 600_000) }
    }
}
