import Foundation
import Testing
@testable import TeamLLM
@testable import TeamLLMOpenRouter

/// How one HTTP exchange with chat/completions reads, body by body, from the contract's shapes
/// (shared/reference/openrouter-api.md §1, §5): never-match and failure cases first.
@Suite("reading OpenRouter responses")
struct CompletionReadingTests {
    static let key = APIKey(value: "sk-or-v1-secret-test-key")
    static let request = ProviderRequest(provider: .openrouter, baseURL: "http://127.0.0.1:1/api/v1", model: "openai/gpt-4o-mini",
                                         messages: [ChatMessage(role: "user", content: "hi")], temperature: 0, maxTokens: 64, seed: 7, sample: 0)

    func read(_ status: Int, _ body: String, headers: [String: String] = [:], request: ProviderRequest = Self.request) -> Result<ProviderResponse, AttemptFailure> {
        let exchange = HTTPExchange(status: status, headers: headers, body: Data(body.utf8), ttfbMs: 5, totalMs: 9)
        let reading = CompletionReading(request: request, exchange: exchange, key: Self.key, fallbackPrice: (USD(exactly: "1")!, USD(exactly: "2")!))
        do { return .success(try reading.response()) } catch { return .failure(error) }
    }

    func kind(_ status: Int, _ body: String, headers: [String: String] = [:]) -> FailureKind? {
        if case let .failure(f) = read(status, body, headers: headers) { return f.kind }
        return nil
    }

    @Test("error statuses map to their kinds, with the status kept")
    func errorStatuses() {
        let cases: [(Int, String, FailureKind)] = [
            (400, #"{"error":{"code":400,"message":"bad"},"user_id":"u"}"#, .invalidRequest),
            (400, #"{"error":{"code":400,"message":"too long","metadata":{"error_type":"context_length_exceeded"}}}"#, .contextTooLong),
            (401, #"{"error":{"code":401,"message":"User not found."}}"#, .auth),
            (402, #"{"error":{"code":402,"message":"This request requires more credits, or fewer max_tokens."}}"#, .insufficientCredits),
            (403, #"{"error":{"code":403,"message":"flagged","metadata":{"reasons":["violence"],"flagged_input":"x","provider_name":"A","model_slug":"m"}}}"#, .moderation),
            (404, #"{"error":{"code":404,"message":"No endpoints found","availability":{"code":"constraint_filtered","excluded_by":["require_parameters"]}}}"#, .noProvider),
            (408, #"{"error":{"code":408,"message":"timeout"}}"#, .timeout),
            (429, #"{"error":{"code":429,"message":"Rate limit exceeded"}}"#, .rateLimited),
            (500, #"{"error":{"code":500,"message":"Internal Server Error"}}"#, .upstreamError),
            (502, #"{"error":{"code":502,"message":"Provider returned error","metadata":{"raw":"{\"detail\":\"down\"}","provider_name":"A"}}}"#, .upstreamError),
            (503, #"{"error":{"code":503,"message":"unavailable"}}"#, .upstreamError),
            (524, "", .upstreamError),
            (529, #"{"error":{"code":529,"message":"overloaded"}}"#, .upstreamError),
        ]
        for (status, body, expected) in cases {
            let r = read(status, body)
            guard case let .failure(f) = r else { Issue.record("HTTP \(status) read as a response"); continue }
            #expect(f.kind == expected, "HTTP \(status): \(f)")
            #expect(f.httpStatus == status)
        }
    }

    @Test("errors inside a 200 body, empty and cut bodies, and missing choices are failures, never answers")
    func errorsIn200() {
        #expect(kind(200, #"{"error":{"code":500,"message":"upstream died"}}"#) == .errorInBody)
        #expect(kind(200, #"{"error":{"code":"server_error","message":"x"}}"#) == .errorInBody)
        #expect(kind(200, #"{"error":{"code":429,"message":"slow down"}}"#) == .rateLimited)
        #expect(kind(200, #"{"id":"gen-1","choices":[{"index":0,"finish_reason":"error","error":{"code":502,"message":"cut"},"message":{"role":"assistant","content":"partial"}}]}"#) == .errorInBody)
        #expect(kind(200, #"{"id":"gen-1","object":"chat.completion"}"#) == .missingChoices)
        #expect(kind(200, #"{"id":"gen-1","choices":[]}"#) == .missingChoices)
        #expect(kind(200, "") == .missingChoices)
        #expect(kind(200, "\n\n\n") == .missingChoices)
        #expect(kind(200, #"{"id":"gen-1","choices":[{"index":0,"message":{"role":"assistant","con"#) == .malformedBody)
        for k in [FailureKind.errorInBody, .missingChoices, .malformedBody] { #expect(k.disposition == .retryable) }
    }

    @Test("Retry-After (seconds), X-RateLimit-Reset (epoch ms) and the body's retry_after_seconds set the wait")
    func retryAfter() {
        if case let .failure(f) = read(429, #"{"error":{"code":429,"message":"x"}}"#, headers: ["retry-after": "3"]) { #expect(f.retryAfterMs == 3000) } else { Issue.record("no failure") }
        let reset = Int(Date().timeIntervalSince1970 * 1000) + 5000
        if case let .failure(f) = read(429, #"{"error":{"code":429,"message":"x"}}"#, headers: ["x-ratelimit-reset": "\(reset)"]) {
            #expect((3500...5100).contains(f.retryAfterMs ?? -1), "\(f.retryAfterMs ?? -1)")
        } else { Issue.record("no failure") }
        if case let .failure(f) = read(429, #"{"error":{"code":429,"message":"Provider returned error","metadata":{"raw":"rate-limited upstream","retry_after_seconds":7}}}"#) {
            #expect(f.retryAfterMs == 7000)
            #expect(f.message.contains("rate-limited upstream"))
        } else { Issue.record("no failure") }
    }

    @Test("the key never reaches a message, even when a server echoes it")
    func keyRedacted() {
        guard case let .failure(f) = read(400, #"{"error":{"code":400,"message":"bad key sk-or-v1-secret-test-key here"}}"#) else { Issue.record("no failure"); return }
        #expect(!f.message.contains("sk-or-v1-secret-test-key"))
        #expect(f.message.contains("[key]"))
        #expect(!"\(Self.key)".contains("secret"))
    }

    @Test("the contract's observed body: text, every token count, cost and its split as exact decimals, ids, finish reasons")
    func contractBody() throws {
        let body = """
        \n\n{"id":"gen-1779358422-LrEwL8SmYSWNlAzrHKq2","object":"chat.completion","created":1779358422,
         "model":"openai/gpt-4o-mini","provider":"Azure","system_fingerprint":"fp_eb37e061ec",
         "choices":[{"index":0,"logprobs":null,"finish_reason":"stop","native_finish_reason":"stop",
           "message":{"role":"assistant","content":"Hello! How can I assist you today?","refusal":null,"reasoning":null}}],
         "usage":{"prompt_tokens":9,"completion_tokens":10,"total_tokens":19,"cost":0.00000735,"is_byok":false,
           "prompt_tokens_details":{"cached_tokens":2,"cache_write_tokens":0,"audio_tokens":0,"video_tokens":0},
           "cost_details":{"upstream_inference_cost":0.00000735,"upstream_inference_prompt_cost":1.35e-06,
                           "upstream_inference_completions_cost":0.000006},
           "completion_tokens_details":{"reasoning_tokens":3,"image_tokens":0,"audio_tokens":0}}}
        """
        let r = try read(200, body).get()
        #expect(r.answerText == "Hello! How can I assist you today?")
        #expect(r.cost == USD(exactly: "0.00000735")!)
        #expect(r.costSource == "metered")
        #expect(r.usage == TokenUsage(input: 9, output: 10, reasoning: 3, cached: 2))
        #expect(r.modelUsed == "openai/gpt-4o-mini" && r.providerUsed == "Azure")
        #expect(r.call?.generationID == "gen-1779358422-LrEwL8SmYSWNlAzrHKq2")
        #expect(r.call?.systemFingerprint == "fp_eb37e061ec" && r.call?.finishReason == "stop" && r.call?.nativeFinishReason == "stop")
        #expect(r.call?.costDetails?.upstreamInferencePromptCost == USD(exactly: "0.00000135")!)
        #expect(r.call?.mismatch == nil)
        #expect(r.body == Data(body.utf8), "the raw body is kept as received")
    }

    @Test("costs in exponent form are read exactly; a server without usage.cost is priced from the registry")
    func costs() throws {
        #expect(USD(jsonNumber: "2.376e-05") == USD(exactly: "0.00002376"))
        #expect(USD(jsonNumber: "7.35E-6") == USD(exactly: "0.00000735"))
        #expect(USD(jsonNumber: "0") == .zero)
        #expect(USD(jsonNumber: "12") == USD(exactly: "12"))
        #expect(USD(jsonNumber: "-1") == nil && USD(jsonNumber: "1e") == nil && USD(jsonNumber: "abc") == nil && USD(jsonNumber: "1.2.3") == nil)
        let r = try read(200, #"{"model":"openai/gpt-4o-mini","choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"ok"}}],"usage":{"prompt_tokens":1000000,"completion_tokens":1000000}}"#).get()
        #expect(r.cost == USD(exactly: "3")! && r.costSource == "registry_price")
    }

    @Test("a truncated answer (finish_reason length) is an answer; a provider or model other than the pinned one is flagged")
    func lengthAndMismatch() throws {
        var pinned = Self.request
        pinned.routing = ProviderRouting(order: ["alpha"], allowFallbacks: false, requireParameters: true)
        let r = try read(200, #"{"model":"openai/gpt-4o","provider":"Beta","choices":[{"index":0,"finish_reason":"length","message":{"role":"assistant","content":null}}]}"#, request: pinned).get()
        #expect(r.answerText == "" && r.call?.finishReason == "length")
        #expect(r.call?.mismatch?.contains("model openai/gpt-4o") == true)
        #expect(r.call?.mismatch?.contains("provider Beta") == true)
        let ok = try read(200, #"{"model":"openai/gpt-4o-mini","provider":"Alpha","choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"x"}}]}"#, request: pinned).get()
        #expect(ok.call?.mismatch == nil)
    }
}
