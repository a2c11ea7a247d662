import Foundation

/// A seeded synthetic pool for dry runs and for checking analyses against known ground truth.
///
/// Each item is a common-mode failure with probability `commonMode` (drawn once per item, shared by
/// every simulated model); otherwise each model answers correctly with its own accuracy. Wrong
/// answers are plausible for the benchmark's format. All draws come from the request's hash, so a
/// request always gets the same response. The parameters travel in every body under `simulated`.
public struct SimulatedProvider: Provider {
    public let kind = ProviderKind.simulated
    public let callsArePaid = true
    /// With no simulated latency, a call is a computation: it is made during admission, like a replay.
    public var answersInline: Bool { settings.sleepScale == 0 }
    let settings: SimulatedSettings
    /// The items it may be asked, with their gold answers: a simulation must know what is right.
    let prompts: PromptIndex
    /// Model slug → registry entry (its id keys the accuracy; its prices meter the call).
    let models: [String: ModelEntry]
    let masterSeed: Int
    /// Generator version; part of the base URL so a change cannot reuse old cache entries.
    static let generator = "teamllm-simulated/2"

    public init(settings: SimulatedSettings, prompts: PromptIndex, models: [ModelEntry], masterSeed: Int) {
        self.settings = settings
        self.prompts = prompts
        self.models = Dictionary(models.map { ($0.slug, $0) }, uniquingKeysWith: { a, _ in a })
        self.masterSeed = masterSeed
    }

    public func baseURL(for model: ModelEntry) -> String {
        let acc = settings.accuracy[model.id] ?? 0
        return "simulated:\(Self.generator)?accuracy=\(acc)&common_mode=\(settings.commonMode)"
    }

    struct Provenance: Encodable {
        let generator: String
        let accuracy: Double
        let commonMode: Double
        let commonFailure: Bool
        let correct: Bool
        let latencyMs: Int
        enum CodingKeys: String, CodingKey {
            case generator, accuracy, correct
            case commonMode = "common_mode", commonFailure = "common_failure", latencyMs = "latency_ms"
        }
    }

    /// Whether an item is one every simulated model fails, for a given master seed.
    func isCommonFailure(benchmark: String, item: String, masterSeed: Int) -> Bool {
        var rng = SplitMix64(text: "teamllm/simulated/common/v1|\(masterSeed)|\(benchmark)|\(item)")
        return rng.unit() < settings.commonMode
    }

    public func complete(_ request: ProviderRequest) async throws(AttemptFailure) -> ProviderResponse {
        guard let model = models[request.model], let accuracy = settings.accuracy[model.id] else {
            throw AttemptFailure(kind: .unknownModel, message: "no simulated accuracy for model '\(request.model)'")
        }
        guard let asked = prompts.entry(for: request, model: model.id, masterSeed: masterSeed) else {
            throw AttemptFailure(kind: .unknownPrompt, message: "the simulated pool was not given the item this prompt asks")
        }
        let requestBytes: Data
        do { requestBytes = try request.canonical() } catch { throw AttemptFailure(kind: .internalError, message: "\(error)") }
        var rng = SplitMix64(text: "teamllm/simulated/call/v1|" + Digest.sha256(requestBytes))
        let common = isCommonFailure(benchmark: asked.benchmark.id, item: asked.item.id, masterSeed: masterSeed)
        let correct = !common && rng.unit() < accuracy
        let text = Self.answer(correct: correct, item: asked.item, format: asked.benchmark.answerFormat, rng: &rng)
        let inputTokens = TokenEstimate.prompt(request.messages)
        let outputTokens = min(request.maxTokens, 40 + Int(rng.next() % 200))
        let latency = 150 + outputTokens * 8 + Int(rng.next() % 300)
        if settings.sleepScale > 0 {
            do { try await Task.sleep(nanoseconds: UInt64(Double(latency) * settings.sleepScale * 1_000_000)) } catch {
                throw .cancelled()
            }
        }
        let price = model
        let cost = USD.cost(tokens: inputTokens, perMillion: price.inputPerMTok) + USD.cost(tokens: outputTokens, perMillion: price.outputPerMTok)
        let body = ChatCompletionBody(
            object: "chat.completion", model: request.model, provider: "simulated",
            choices: [.init(index: 0, message: .init(role: "assistant", content: text), finishReason: "stop")],
            usage: .init(promptTokens: inputTokens, completionTokens: outputTokens, totalTokens: inputTokens + outputTokens, cost: cost.description))
        let data: Data
        do {
            data = try CanonicalJSON.encode(BodyWithProvenance(body: body, extraKey: "simulated", extra: Provenance(
                generator: Self.generator, accuracy: accuracy, commonMode: settings.commonMode, commonFailure: common,
                correct: correct, latencyMs: latency)))
        } catch { throw AttemptFailure(kind: .internalError, message: "cannot encode simulated body: \(error)") }
        return ProviderResponse(body: data, answerText: text, usage: TokenUsage(input: inputTokens, output: outputTokens), cost: cost,
                                costSource: "registry_price", modelUsed: request.model, providerUsed: "simulated", latencyMs: latency)
    }

    /// The response text: the gold answer or a plausible wrong one, written as a model of that format would.
    static func answer(correct: Bool, item: Item, format: AnswerFormat, rng: inout SplitMix64) -> String {
        if format == .letter, let shown = item.grading.choices, let order = item.grading.choiceOrder {
            // Letters are those the prompt showed: the correct option's, or another shown option's.
            let right = order.firstIndex(of: Int(item.gold) ?? -1) ?? 0
            let others = shown.indices.filter { $0 != right }
            let pick = correct || others.isEmpty ? right : others[Int(rng.next() % UInt64(others.count))]
            return "Simulated reasoning for item \(item.id).\nAnswer: \(MultipleChoice.letter(pick))"
        }
        var answer = correct ? item.gold : wrongAnswer(gold: item.gold, format: format, rng: &rng)
        // A verbose model's habit: a correct matrix written with square brackets, which only a grader reading
        // matrices entry by entry (boxed-latex 2) finds equal to the gold's parentheses.
        if format == .boxed, correct, answer.contains("{pmatrix}") { answer = answer.replacingOccurrences(of: "{pmatrix}", with: "{bmatrix}") }
        switch format {
        case .number: return "Simulated reasoning for item \(item.id).\n#### \(answer)"
        case .boxed: return "Simulated reasoning for item \(item.id). The final answer is $\\boxed{\(answer)}$."
        case .letter: return "Simulated reasoning for item \(item.id).\nAnswer: \(answer)"
        case .program: return "```python\n\(answer)\n```"
        }
    }

    /// A wrong answer of the right shape: a nearby or slipped number, another letter, a broken program.
    static func wrongAnswer(gold: String, format: AnswerFormat, rng: inout SplitMix64) -> String {
        switch format {
        case .number:
            let cleaned = gold.replacingOccurrences(of: ",", with: "")
            guard let n = Int(cleaned) else { return gold + "1" }
            let options = [n + 1, n - 1, n * 10, n / 2 == n ? n + 2 : n / 2, n + Int(rng.next() % 9) + 2, -n == n ? n + 3 : -n]
            return String(options[Int(rng.next() % UInt64(options.count))])
        case .boxed: return gold == "0" ? "1" : "\(gold)+1"
        case .letter:
            let others = ["A", "B", "C", "D"].filter { $0 != gold }
            return others[Int(rng.next() % UInt64(others.count))]
        case .program: return "def solution(*args):\n    return None"
        }
    }
}

/// SplitMix64: a small, fast, well-known generator; seeded from a string's sha256. The simulated pool and
/// the imitation draw from it.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(text: String) {
        let b = Digest.sha256Bytes(text)
        state = b.prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
    }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    public mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
