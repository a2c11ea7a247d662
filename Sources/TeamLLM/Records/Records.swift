import Foundation

/// A phase transition of one cell or of the sweep (`events.jsonl`).
public struct EventRecord: StreamRecord, Equatable {
    public static let stream = "events"
    public static let schema = 1
    /// `cell` or `sweep`.
    public let scope: String
    /// The cell, for scope `cell`.
    public let cell: CellID?
    public let from: Phase
    public let to: Phase
}

/// Token counts reported for one call.
public struct TokenUsage: Codable, Equatable, Sendable {
    public let input: Int
    public let output: Int
    /// Reasoning tokens, counted inside `output` (billed as output).
    public var reasoning: Int? = nil
    /// Prompt tokens read from the provider's prompt cache, counted inside `input`.
    public var cached: Int? = nil

    public init(input: Int, output: Int, reasoning: Int? = nil, cached: Int? = nil) {
        self.input = input
        self.output = output
        self.reasoning = reasoning
        self.cached = cached
    }
}

/// What an HTTP call said about itself beyond its text: ids, finish reasons, timing, the cost split.
public struct CallDetails: Codable, Equatable, Sendable {
    /// The provider's generation id (`gen-…`), for `/generation` and reconciliation.
    public var generationID: String?
    public var httpStatus: Int?
    public var systemFingerprint: String?
    /// Normalised (`stop`, `length`, …) and as the serving provider said it.
    public var finishReason: String?
    public var nativeFinishReason: String?
    /// From sending the request to the first body byte that is not keep-alive whitespace.
    public var ttfbMs: Int?
    /// Set when the model or provider that served the call is not the one the request asked for.
    public var mismatch: String?
    /// `usage.cost_details`, exact decimals parsed from the raw text.
    public var costDetails: CostDetails?

    public init(generationID: String? = nil, httpStatus: Int? = nil, systemFingerprint: String? = nil, finishReason: String? = nil,
                nativeFinishReason: String? = nil, ttfbMs: Int? = nil, mismatch: String? = nil, costDetails: CostDetails? = nil) {
        self.generationID = generationID
        self.httpStatus = httpStatus
        self.systemFingerprint = systemFingerprint
        self.finishReason = finishReason
        self.nativeFinishReason = nativeFinishReason
        self.ttfbMs = ttfbMs
        self.mismatch = mismatch
        self.costDetails = costDetails
    }

    enum CodingKeys: String, CodingKey {
        case mismatch
        case generationID = "generation_id", httpStatus = "http_status", systemFingerprint = "system_fingerprint"
        case finishReason = "finish_reason", nativeFinishReason = "native_finish_reason", ttfbMs = "ttfb_ms", costDetails = "cost_details"
    }
}

/// OpenRouter's `usage.cost_details`, exact.
public struct CostDetails: Codable, Equatable, Sendable {
    public var upstreamInferenceCost: USD?
    public var upstreamInferencePromptCost: USD?
    public var upstreamInferenceCompletionsCost: USD?

    public init(upstreamInferenceCost: USD? = nil, upstreamInferencePromptCost: USD? = nil, upstreamInferenceCompletionsCost: USD? = nil) {
        self.upstreamInferenceCost = upstreamInferenceCost
        self.upstreamInferencePromptCost = upstreamInferencePromptCost
        self.upstreamInferenceCompletionsCost = upstreamInferenceCompletionsCost
    }

    enum CodingKeys: String, CodingKey {
        case upstreamInferenceCost = "upstream_inference_cost", upstreamInferencePromptCost = "upstream_inference_prompt_cost"
        case upstreamInferenceCompletionsCost = "upstream_inference_completions_cost"
    }
}

/// One request made for a cell, or served for it by the cache (`attempts.jsonl`).
public struct AttemptRecord: StreamRecord, Equatable {
    public static let stream = "attempts"
    public static let schema = 2
    /// `<cell>#<n>`.
    public let attempt: String
    public let cell: CellID
    /// 1-based attempt number within the cell.
    public let n: Int
    /// `ok` (paid call answered), `cache_hit` (served at $0 from `cacheOrigin`), `failed`.
    public let status: AttemptStatus
    /// sha256 of the canonical request: the cache key.
    public let request: String
    /// sha256 of the canonical rendered messages.
    public let prompt: String
    /// sha256 of the prompt template text.
    public let template: String
    public let seed: Int
    /// Registry model id.
    public let model: String
    public let provider: ProviderKind
    public let baseURL: String
    /// Model and provider the response says actually served it.
    public let modelUsed: String?
    public let providerUsed: String?
    public let tokens: TokenUsage?
    /// Metered cost of this attempt: what this run paid (0 for a cache hit).
    public let costUSD: USD
    /// Where the cost figure comes from: `metered`, `registry_price`, `recorded`, `cache_hit`, or `none` for a failed call.
    public let costSource: String
    /// Wall time of the call; nil when none was measured (a replay, a cache hit).
    public let latencyMs: Int?
    /// sha256 of the raw response body in the cache.
    public let response: String?
    /// `<run id>/<attempt id>` of the attempt that paid for a cached response.
    public let cacheOrigin: String?
    /// True when the record was written on resume from the cache entry its own call left behind.
    public let recovered: Bool?
    public let failure: AttemptFailure?
    /// What an HTTP call said about itself (generation id, finish reasons, time to first byte, cost split).
    public var call: CallDetails? = nil
    /// The output limit sent, when it is not the manifest's `max_tokens` (a re-ask of a truncated answer).
    public var maxTokens: Int? = nil
    /// Set on an answer cut off at its limit that the cell asks again at this larger one (`truncation`).
    public var reaskAt: Int? = nil
    /// Wall-clock time the attempt ended (not part of any hash a result depends on).
    public let at: String

    enum CodingKeys: String, CodingKey {
        case attempt, cell, n, status, request, prompt, template, seed, model, provider, tokens, response, recovered, failure, at, call
        case maxTokens = "max_tokens", reaskAt = "reask_at"
        case baseURL = "base_url", modelUsed = "model_used", providerUsed = "provider_used", costUSD = "cost_usd"
        case costSource = "cost_source", latencyMs = "latency_ms", cacheOrigin = "cache_origin"
    }
}

/// How an attempt ended.
public enum AttemptStatus: String, Codable, Sendable {
    case ok, cacheHit = "cache_hit", failed
}

/// A grader's verdict on one attempt (`grades.jsonl`): who graded, what it saw, what it found.
public struct GradeRecord: StreamRecord, Equatable {
    public static let stream = "grades"
    public static let schema = 2
    public let cell: CellID
    public let attempt: String
    public let grader: String
    public let graderVersion: String
    /// sha256 of the grader's configuration (`GraderIdentity.configHash`).
    public var graderConfig: String? = nil
    /// The answer the grader extracted, exactly as it appears in the response.
    public let extracted: String?
    /// [start, end) in Unicode scalars of the response text.
    public let span: [Int]?
    /// Extraction rule that fired.
    public let rule: String?
    public let gold: String
    /// A multiple-choice item's options as the prompt showed them, and each one's original index.
    public var choices: [String]? = nil
    public var choiceOrder: [Int]? = nil
    public let verdict: Verdict
    public let reason: String?
    /// The normalised answer (`Grade.canonical`): equal answers of any model share it.
    public var canonical: String? = nil
    /// A code grader's run: the verdict in full, per-test outcomes, time, the limits used, the unsafe flag.
    public var execution: ExecutionReport? = nil

    enum CodingKeys: String, CodingKey {
        case cell, attempt, grader, extracted, span, rule, gold, verdict, reason, choices, canonical, execution
        case graderVersion = "grader_version", graderConfig = "grader_config", choiceOrder = "choice_order"
    }

    /// `name@version` of the grader that made it.
    public var identity: String { "\(grader)@\(graderVersion)" }

    /// What the grader saw, rebuilt from the record (the row's other fields are not kept: no grader of this build reads them).
    public var item: GradingItem { GradingItem(gold: gold, choices: choices, choiceOrder: choiceOrder) }

    /// True when `g` is the grade this record holds.
    public func holds(_ g: Grade) -> Bool {
        g.verdict == verdict && g.extracted == extracted && g.span.map({ [$0.lowerBound, $0.upperBound] }) == span && g.canonical == canonical
            && g.execution == execution
    }
}

/// What a session record marks.
public enum SessionKind: String, Codable, Sendable {
    /// A process started the run, or continued it.
    case launch, resume
    /// A line left incomplete by a crash was moved to quarantine.
    case tornLine = "torn_line"
    /// A group commit: every other stream's length and head seal, durable from here on.
    case anchor
    /// `teamllm reconcile`: what the API billed, against the records.
    case reconcile
    /// `teamllm regrade`: a process started appending grades by another grader version.
    case regrade
}

/// A launch or resume of the run, anything it found and repaired, and its group commits (`sessions.jsonl`).
public struct SessionRecord: StreamRecord, Equatable {
    public static let stream = "sessions"
    public static let schema = 2
    public let kind: SessionKind
    public let pid: Int32
    /// The machine and build, for `launch` and `resume`.
    public let environment: RunEnvironment?
    public let at: String
    /// For `launch` and `resume`: the cache folder this session used, as an absolute path.
    public let cache: String?
    /// For `torn_line`: which stream, where, and where the bytes were kept.
    public let torn: TornLineNote?
    /// For `anchor`: each record stream's length and the seal of its last line.
    public let anchor: [StreamHead]?
    /// For `launch` and `resume`: the operational settings in force (concurrency, budget cap).
    public let settings: OperationalSettings?
    /// For `reconcile`: what the API said.
    public var reconcile: Reconciliation? = nil
    /// For `regrade`: `name@version` of the grader and the sha256 of its configuration.
    public var regrade: GraderNote? = nil

    /// A regrade starting, on this machine and build.
    static func regrading(_ grader: GraderIdentity, environment: RunEnvironment) -> SessionRecord {
        var s = SessionRecord(kind: .regrade, pid: getpid(), environment: environment, at: Clock.now(), cache: nil, torn: nil, anchor: nil, settings: nil)
        s.regrade = GraderNote(grader: grader.description, config: grader.configHash)
        return s
    }

    /// A launch or resume.
    static func start(_ kind: SessionKind, environment: RunEnvironment, cache: URL, settings: OperationalSettings) -> SessionRecord {
        SessionRecord(kind: kind, pid: getpid(), environment: environment, at: Clock.now(), cache: cache.standardizedFileURL.path,
                      torn: nil, anchor: nil, settings: settings)
    }

    /// A torn line found and kept.
    static func torn(_ note: TornLineNote) -> SessionRecord {
        SessionRecord(kind: .tornLine, pid: getpid(), environment: nil, at: Clock.now(), cache: nil, torn: note, anchor: nil, settings: nil)
    }

    /// A reconciliation's result.
    public static func reconciled(_ r: Reconciliation) -> SessionRecord {
        var s = SessionRecord(kind: .reconcile, pid: getpid(), environment: nil, at: Clock.now(), cache: nil, torn: nil, anchor: nil, settings: nil)
        s.reconcile = r
        return s
    }

    /// A group commit's anchor.
    static func anchor(_ heads: [StreamHead]) -> SessionRecord {
        SessionRecord(kind: .anchor, pid: getpid(), environment: nil, at: Clock.now(), cache: nil, torn: nil, anchor: heads, settings: nil)
    }
}

/// The grader a regrade session applied.
public struct GraderNote: Codable, Equatable, Sendable {
    /// `name@version`.
    public let grader: String
    /// sha256 of its configuration.
    public let config: String
}

/// A stream's length and the seal of its last line at one moment.
public struct StreamHead: Codable, Equatable, Sendable {
    /// Stream file name without extension.
    public let stream: String
    /// Complete records in the stream.
    public let count: Int
    /// Seal of record number `count` (`SealedLine.genesis` when empty).
    public let head: String
}

/// Where an incomplete line was found and kept.
public struct TornLineNote: Codable, Equatable, Sendable {
    public let stream: String
    public let offset: Int
    public let length: Int
    public let sha256: String
    /// File under `quarantine/` holding the exact bytes.
    public let quarantine: String
    /// Complete records the stream kept (nil when the cut was found only later, as an unnamed quarantine file).
    public let kept: Int?
}

/// The machine and build a session ran on.
public struct RunEnvironment: Codable, Equatable, Sendable {
    public let toolVersion: String
    public let gitCommit: String
    public let swift: String
    public let os: String
    public let arch: String

    enum CodingKeys: String, CodingKey {
        case swift, os, arch
        case toolVersion = "tool_version", gitCommit = "git_commit"
    }
}

/// The run header (`header.json`, one sealed record): what the run is, fixed at launch.
public struct RunHeader: StreamRecord, Equatable {
    public static let stream = "header"
    public static let schema = 1
    public let run: String
    public let manifestHash: String
    /// sha256 of the manifest file exactly as written by its author.
    public let manifestSourceHash: String
    public let planHash: String
    public let registryHash: String
    public let cells: Int
    /// Dataset file → sha256, for benchmarks and recordings used.
    public let datasets: [String: String]
    public let environment: RunEnvironment
    /// sha256 of the canonical JSON of every field above (no timestamp).
    public let fingerprint: String
    public let createdAt: String

    enum CodingKeys: String, CodingKey {
        case run, cells, datasets, environment, fingerprint
        case manifestHash = "manifest_hash", manifestSourceHash = "manifest_source_hash", planHash = "plan_hash", registryHash = "registry_hash", createdAt = "created_at"
    }
}

/// ISO 8601 UTC with milliseconds, for `at` fields.
public enum Clock {
    /// Now, e.g. `2026-12-03T03:29:51.123Z`.
    public static func now() -> String {
        Date().formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
    }
}

// The records written once or more per cell write themselves by hand (see `CanonicalObject`): keys in
// canonical order, nil optionals left out. `CanonicalRecordTests` holds each equal to its Codable encoding.

extension EventRecord {
    public func canonicalPayload() throws -> Data {
        Data(CanonicalObject.bytes { o in
            o.field("cell", cell?.description)
            o.field("from", from)
            o.field("scope", scope)
            o.field("to", to)
        })
    }
}

extension AttemptRecord {
    public func canonicalPayload() throws -> Data {
        Data(CanonicalObject.bytes { o in
            o.field("at", at)
            o.field("attempt", attempt)
            o.field("base_url", baseURL)
            o.field("cache_origin", cacheOrigin)
            o.field("call", present: call != nil) { c in
                c.field("cost_details", present: call?.costDetails != nil) { d in
                    d.field("upstream_inference_completions_cost", call?.costDetails?.upstreamInferenceCompletionsCost?.description)
                    d.field("upstream_inference_cost", call?.costDetails?.upstreamInferenceCost?.description)
                    d.field("upstream_inference_prompt_cost", call?.costDetails?.upstreamInferencePromptCost?.description)
                }
                c.field("finish_reason", call?.finishReason)
                c.field("generation_id", call?.generationID)
                c.field("http_status", call?.httpStatus)
                c.field("mismatch", call?.mismatch)
                c.field("native_finish_reason", call?.nativeFinishReason)
                c.field("system_fingerprint", call?.systemFingerprint)
                c.field("ttfb_ms", call?.ttfbMs)
            }
            o.field("cell", cell.description)
            o.field("cost_source", costSource)
            o.field("cost_usd", costUSD.description)
            o.field("failure", present: failure != nil) { f in
                f.field("charged_usd", failure?.chargedUSD?.description)
                f.field("generation_id", failure?.generationID)
                f.field("http_status", failure?.httpStatus)
                f.field("kind", failure?.kind)
                f.field("message", failure?.message)
                f.field("retry_after_ms", failure?.retryAfterMs)
            }
            o.field("latency_ms", latencyMs)
            o.field("max_tokens", maxTokens)
            o.field("model", model)
            o.field("model_used", modelUsed)
            o.field("n", n)
            o.field("prompt", prompt)
            o.field("provider", provider)
            o.field("provider_used", providerUsed)
            o.field("reask_at", reaskAt)
            o.field("recovered", recovered)
            o.field("request", request)
            o.field("response", response)
            o.field("seed", seed)
            o.field("status", status)
            o.field("template", template)
            o.field("tokens", present: tokens != nil) { t in
                t.field("cached", tokens?.cached)
                t.field("input", tokens?.input)
                t.field("output", tokens?.output)
                t.field("reasoning", tokens?.reasoning)
            }
        })
    }
}

extension GradeRecord {
    /// The record of `grade`, made by `grader` on `attempt` of `cell` against `item`.
    public init(cell: CellID, attempt: String, grader: GraderIdentity, item: GradingItem, grade g: Grade) {
        self.init(cell: cell, attempt: attempt, grader: grader.name, graderVersion: grader.version, graderConfig: grader.configHash,
                  extracted: g.extracted, span: g.span.map { [$0.lowerBound, $0.upperBound] }, rule: g.rule, gold: item.gold,
                  choices: item.choices, choiceOrder: item.choiceOrder, verdict: g.verdict, reason: g.reason, canonical: g.canonical,
                  execution: g.execution)
    }

    public func canonicalPayload() throws -> Data {
        let execution = try self.execution.map(CanonicalJSON.encode)
        return Data(CanonicalObject.bytes { o in
            o.field("attempt", attempt)
            o.field("canonical", canonical)
            o.field("cell", cell.description)
            o.field("choice_order", choiceOrder)
            o.field("choices", choices)
            o.field("execution", canonical: execution)
            o.field("extracted", extracted)
            o.field("gold", gold)
            o.field("grader", grader)
            o.field("grader_config", graderConfig)
            o.field("grader_version", graderVersion)
            o.field("reason", reason)
            o.field("rule", rule)
            o.field("span", span)
            o.field("verdict", verdict)
        })
    }
}
