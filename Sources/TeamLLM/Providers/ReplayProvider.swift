import Foundation

/// Answers with recorded outputs of real models, looked up by the item's question text.
///
/// Every sample of a cell gets the same recorded text: a recording holds one output per model
/// and question. Cost is $0 (`recorded`): nobody paid for these calls in this run. Latency is 0:
/// the recording has none, and the time of a lookup is not a model's latency.
public struct ReplayProvider: Provider {
    public let kind = ProviderKind.replay
    public let callsArePaid = false
    public let answersInline = true
    let recording: RecordingEntry
    /// sha256 of the recording file as read.
    let sha256: String
    /// Question text → its 1-based line and, per model key, the recorded output.
    private let rows: [String: (line: Int, outputs: [String: Output])]

    /// One model's recorded output for one question.
    struct Output: Sendable {
        let solution: String?
        /// The publisher's own verdict, when the recording has one.
        let label: Bool?
    }
    /// Model slug → the model's key in a recording row.
    private let keys: [String: String]
    /// The items it may be asked (the recording is matched by their question text).
    private var prompts = PromptIndex()

    /// This provider, answering the prompts of `index` (the recording loads before the plan is known).
    public func answering(_ index: PromptIndex) -> ReplayProvider {
        var copy = self
        copy.prompts = index
        return copy
    }

    /// Loads and checks a recording from the data directory, for the registry models it replays.
    public init(recording: RecordingEntry, models: [ModelEntry], dataDir: URL) throws {
        let url = dataDir.appendingPathComponent(recording.file)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw RegistryError.datasetMissing(benchmark: "recording \(recording.id)", path: url.path)
        }
        let sha = Digest.sha256(data)
        guard sha == recording.sha256 else {
            throw RegistryError.datasetHashMismatch(file: url.path, expected: recording.sha256, actual: sha)
        }
        var rows: [String: (line: Int, outputs: [String: Output])] = [:]
        for (n, row) in try JSONLines.objects(in: data, file: url.path).enumerated() {
            guard let q = row[recording.matchField]?.string else {
                throw RegistryError.datasetLine(file: url.path, line: n + 1, reason: "field '\(recording.matchField)' is missing")
            }
            var outputs: [String: Output] = [:]
            for (key, value) in row where value.members != nil {
                outputs[key] = Output(solution: value[recording.solutionField]?.string, label: recording.labelField.flatMap { value[$0]?.bool })
            }
            rows[q] = (n + 1, outputs)
        }
        self.recording = recording
        self.sha256 = sha
        self.rows = rows
        self.keys = Dictionary(models.compactMap { m in m.replay.flatMap { $0.recording == recording.id ? (m.slug, $0.key) : nil } },
                               uniquingKeysWith: { a, _ in a })
    }

    public func baseURL(for model: ModelEntry) -> String { "replay:\(recording.id)@\(sha256.prefix(16))" }

    struct Provenance: Encodable {
        let recording: String
        let sha256: String
        let line: Int
        let key: String
        let publisherIsCorrect: Bool?
        enum CodingKeys: String, CodingKey { case recording, sha256, line, key, publisherIsCorrect = "publisher_is_correct" }
    }

    public func complete(_ request: ProviderRequest) async throws(AttemptFailure) -> ProviderResponse {
        // Items with the same prompt ask the same question, and the recording is matched by question text.
        guard let asked = prompts.entries(for: request.messages).first else {
            throw AttemptFailure(kind: .noRecording, message: "this prompt asks no item of the plan the replay was given")
        }
        guard let (line, outputs) = rows[asked.item.question] else {
            throw AttemptFailure(kind: .noRecording, message: "recording '\(recording.id)' has no row for item \(asked.item.id) of \(asked.benchmark.id)")
        }
        guard let key = keys[request.model], let output = outputs[key], let solution = output.solution else {
            throw AttemptFailure(kind: .noRecording, message: "recording '\(recording.id)' has no output of model '\(request.model)' for item \(asked.item.id)")
        }
        let label = output.label
        let body = ChatCompletionBody(object: "chat.completion", model: request.model, provider: "replay",
                                      choices: [.init(index: 0, message: .init(role: "assistant", content: solution), finishReason: "stop")],
                                      usage: nil)
        let data: Data
        do {
            data = try CanonicalJSON.encode(BodyWithProvenance(body: body, extraKey: "replay", extra: Provenance(
                recording: recording.id, sha256: sha256, line: line, key: key, publisherIsCorrect: label)))
        } catch { throw AttemptFailure(kind: .internalError, message: "cannot encode replay body: \(error)") }
        return ProviderResponse(body: data, answerText: solution, usage: nil, cost: .zero, costSource: "recorded",
                                modelUsed: request.model, providerUsed: "replay:\(recording.id)", latencyMs: nil)
    }

}
