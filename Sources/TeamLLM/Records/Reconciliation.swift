import Foundation

/// What `teamllm reconcile` found: the API's word on each paid attempt and on the key, against the records.
public struct Reconciliation: Codable, Equatable, Sendable {
    /// An attempt whose cost the API does not confirm.
    public struct Entry: Codable, Equatable, Sendable {
        public let attempt: String
        public let generationID: String?
        public let recordedUSD: USD
        /// What `/generation` reports as `total_cost`; nil when it could not say.
        public let reportedUSD: USD?
        public let problem: String

        public init(attempt: String, generationID: String?, recordedUSD: USD, reportedUSD: USD?, problem: String) {
            self.attempt = attempt
            self.generationID = generationID
            self.recordedUSD = recordedUSD
            self.reportedUSD = reportedUSD
            self.problem = problem
        }

        enum CodingKeys: String, CodingKey {
            case attempt, problem
            case generationID = "generation_id", recordedUSD = "recorded_usd", reportedUSD = "reported_usd"
        }
    }
    /// Paid attempts asked about.
    public let checked: Int
    /// Of them, those whose reported total cost equals the recorded cost exactly.
    public let matched: Int
    public let mismatches: [Entry]
    /// The key's usage as `/key` reports it.
    public let keyUsageUSD: USD?
    /// The run's recorded spend on these attempts.
    public let runSpendUSD: USD
    public let keyProblem: String?

    public init(checked: Int, matched: Int, mismatches: [Entry], keyUsageUSD: USD?, runSpendUSD: USD, keyProblem: String?) {
        self.checked = checked
        self.matched = matched
        self.mismatches = mismatches
        self.keyUsageUSD = keyUsageUSD
        self.runSpendUSD = runSpendUSD
        self.keyProblem = keyProblem
    }

    /// True when every attempt and the key agree with the records.
    public var agrees: Bool { mismatches.isEmpty && keyProblem == nil }

    enum CodingKeys: String, CodingKey {
        case checked, matched, mismatches
        case keyUsageUSD = "key_usage_usd", runSpendUSD = "run_spend_usd", keyProblem = "key_problem"
    }
}
