import Foundation

/// The OpenAI-style `chat.completion` body every provider's raw response follows.
///
/// Offline providers write the same shape so one parser reads every cached body, and add their own
/// provenance object (`replay` or `simulated`) so their output cannot pass for a live call.
struct ChatCompletionBody: Codable {
    struct Choice: Codable {
        struct Message: Codable { let role: String; let content: String? }
        let index: Int
        let message: Message
        let finishReason: String?
        enum CodingKeys: String, CodingKey { case index, message, finishReason = "finish_reason" }
    }
    struct Usage: Codable {
        let promptTokens: Int
        let completionTokens: Int
        let totalTokens: Int
        let cost: String?
        enum CodingKeys: String, CodingKey {
            case cost, promptTokens = "prompt_tokens", completionTokens = "completion_tokens", totalTokens = "total_tokens"
        }
    }
    let object: String
    let model: String
    let provider: String
    let choices: [Choice]
    let usage: Usage?

    /// The assistant text of the first choice.
    static func answerText(from body: Data) throws(AttemptFailure) -> String {
        let parsed: ChatCompletionBody
        do { parsed = try CanonicalJSON.decode(ChatCompletionBody.self, from: body) } catch {
            throw AttemptFailure(kind: .malformedBody, message: "response body is not a chat completion: \(error)")
        }
        guard let content = parsed.choices.first?.message.content else {
            throw AttemptFailure(kind: .missingChoices, message: "response has no message content")
        }
        return content
    }
}

/// Encodes a body with provenance: the common fields plus one extra object under `extraKey`.
struct BodyWithProvenance<Extra: Encodable>: Encodable {
    let body: ChatCompletionBody
    let extraKey: String
    let extra: Extra

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: Encoder) throws {
        try body.encode(to: encoder)
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(extra, forKey: Key(stringValue: extraKey))
    }
}
