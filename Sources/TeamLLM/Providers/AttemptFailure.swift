import Foundation

/// What went wrong with one attempt: the taxonomy every provider maps its faults to, so the sweep reacts
/// to a kind, never to message text.
public enum FailureKind: String, Codable, Sendable, CaseIterable {
    /// 429: the key or the model is over its rate limit.
    case rateLimited = "rate_limited"
    /// 408, or a connect, first-byte or total timeout.
    case timeout
    /// 5xx from the provider or the model's upstream (502, 503, 524, 529).
    case upstreamError = "upstream_error"
    /// The connection failed or closed before a whole response arrived.
    case connectionFailed = "connection_failed"
    /// No provider can serve the request as asked (routing, required parameters).
    case noProvider = "no_provider"
    /// 402: the account cannot pay for the call.
    case insufficientCredits = "insufficient_credits"
    /// 401 or 403 for the key itself.
    case auth
    /// The input or output was flagged by moderation.
    case moderation
    /// 400: the request itself is wrong.
    case invalidRequest = "invalid_request"
    /// The prompt plus max tokens exceed the model's context.
    case contextTooLong = "context_too_long"
    /// The body is not a chat completion (unparsable, empty).
    case malformedBody = "malformed_body"
    /// HTTP 200 whose body carries an error object.
    case errorInBody = "error_in_body"
    /// A completion without choices or message content.
    case missingChoices = "missing_choices"
    /// The output was cut off in a way that left nothing to grade.
    case truncatedOutput = "truncated_output"
    /// A replayed model has no recorded output for the item.
    case noRecording = "no_recording"
    /// A simulated or replayed model the provider was not given.
    case unknownModel = "unknown_model"
    /// A prompt asking no item the provider was given.
    case unknownPrompt = "unknown_prompt"
    /// The call was cancelled (the sweep is stopping); never recorded, the cell stays EXECUTING.
    case cancelled
    /// A fault of this program (encoding a body, say).
    case internalError = "internal"

    /// How the sweep reacts to a failure of a kind.
    public enum Disposition: String, Sendable {
        /// Send the same request again (same seed), after a backoff.
        case retryable
        /// The cell completes as missing, with this failure as its reason.
        case endsCell = "ends_cell"
        /// No new call starts; calls in flight finish and are recorded; the run stays resumable.
        case stopsDispatch = "stops_dispatch"
        /// The sweep stops at once: no new call starts; calls already sent are recorded (they may be billed), and
        /// the cell stays EXECUTING for the next session.
        case endsRun = "ends_run"
    }

    /// The reaction to this kind.
    public var disposition: Disposition {
        switch self {
        case .rateLimited, .timeout, .upstreamError, .connectionFailed, .malformedBody, .errorInBody, .missingChoices: .retryable
        case .insufficientCredits: .stopsDispatch
        case .auth: .endsRun
        case .noProvider, .moderation, .invalidRequest, .contextTooLong, .truncatedOutput, .noRecording, .unknownModel,
             .unknownPrompt, .cancelled, .internalError: .endsCell
        }
    }

    /// Reads a kind, including the names records written before this taxonomy used.
    public init(from decoder: Decoder) throws {
        let raw = try decoder.singleValueContainer().decode(String.self)
        switch raw {
        case "malformed_response": self = .malformedBody
        case "empty_response": self = .missingChoices
        default:
            guard let kind = FailureKind(rawValue: raw) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown failure kind '\(raw)'"))
            }
            self = kind
        }
    }
}

/// A typed failure of one attempt, recorded instead of a response.
public struct AttemptFailure: Codable, Equatable, Sendable, Error, CustomStringConvertible {
    public let kind: FailureKind
    public let message: String
    /// The HTTP status, for a provider over HTTP.
    public var httpStatus: Int? = nil
    /// How long the provider asked to wait before a retry (Retry-After, X-RateLimit-Reset), in ms.
    public var retryAfterMs: Int? = nil
    /// What the failed call was charged, when the provider says (it may charge for a failure).
    public var chargedUSD: USD? = nil
    /// The provider's generation id, when the failure has one.
    public var generationID: String? = nil

    public init(kind: FailureKind, message: String, httpStatus: Int? = nil, retryAfterMs: Int? = nil, chargedUSD: USD? = nil, generationID: String? = nil) {
        self.kind = kind
        self.message = message
        self.httpStatus = httpStatus
        self.retryAfterMs = retryAfterMs
        self.chargedUSD = chargedUSD
        self.generationID = generationID
    }

    public var description: String { "\(kind.rawValue): \(message)" }

    enum CodingKeys: String, CodingKey {
        case kind, message
        case httpStatus = "http_status", retryAfterMs = "retry_after_ms", chargedUSD = "charged_usd", generationID = "generation_id"
    }
}
