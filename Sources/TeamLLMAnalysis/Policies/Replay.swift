import Foundation
import TeamLLM

/// What one policy achieved when replayed over the recorded outcomes.
public struct PolicyResult: Codable, Sendable {
    public let policy: String
    /// vote, self_consistency, sigma_routing, cascade, knn_router, single_model.
    public let kind: String
    public let items: Int
    public let accuracy: Double
    public let costPerItem: Double
    /// Cost per correct answer; nil when none was correct.
    public let costPerCorrect: Double?
    /// Mean wall time per item, calls made in parallel where the policy allows it.
    public let latencyMs: Double?
    /// The per-query oracle (1 − β) on the same items, and how far below it the policy stays.
    public let oracle: Double
    public let gapToOracle: Double
    /// The expected accuracy of randomly mixing single models at the same cost per item (nil below the cheapest).
    public var randomMixAccuracy: Double?
    /// Policy-specific shares (σ-routing's modes, the agreement-but-wrong rate, a vote's strict-majority share).
    public var details: [String: Double]?
}

/// A policy that could not be replayed, and what the records lack.
public struct UnavailablePolicy: Codable, Sendable {
    public let policy: String
    public let reason: String
}

/// The outcome of one policy on one item: whether its answer was right, what its calls cost, how long they took.
struct ItemOutcome {
    var correct: Bool
    var cost: Double
    var latencyMs: Double?
}

/// The recorded outcomes a replay reads: the matrix, the items kept by the coverage policy, the oracle on them.
struct ReplayContext {
    let matrix: CorrectnessMatrix
    let items: [Int]
    let pool: ScoredPool

    func cell(_ m: Int, _ i: Int, _ s: Int = 0) -> CorrectnessMatrix.Cell { matrix[m, i, s] }

    /// The oracle on `positions` (indices into `items`): share where some model's first sample is correct.
    func oracle(_ models: [Int], positions: [Int]? = nil) -> Double {
        let ps = positions ?? Array(items.indices)
        let hit = ps.filter { p in models.contains { cell($0, items[p]).verdict == .correct } }.count
        return Double(hit) / Double(max(1, ps.count))
    }

    /// Summarises per-item outcomes as a policy result.
    func result(_ policy: String, kind: String, _ outcomes: [ItemOutcome], oracle: Double, details: [String: Double]? = nil) -> PolicyResult {
        let n = Double(outcomes.count)
        let correct = outcomes.filter(\.correct).count
        let cost = outcomes.reduce(0) { $0 + $1.cost }
        let latencies = outcomes.compactMap(\.latencyMs)
        let accuracy = Double(correct) / max(1, n)
        return PolicyResult(policy: policy, kind: kind, items: outcomes.count, accuracy: accuracy, costPerItem: cost / max(1, n),
                            costPerCorrect: correct == 0 ? nil : cost / Double(correct),
                            latencyMs: latencies.count == outcomes.count && !latencies.isEmpty ? latencies.reduce(0, +) / Double(latencies.count) : nil,
                            oracle: oracle, gapToOracle: oracle - accuracy, randomMixAccuracy: nil, details: details)
    }
}

/// Plurality over canonical answers: the answer most voters gave wins; among tied answers, the one whose first
/// supporter comes earliest in `votes` (callers order voters by rank). Voters without an answer abstain.
enum Plurality {
    struct Outcome {
        /// The winner and whether it is correct; nil when nobody answered.
        let answer: Int32?
        let correct: Bool
        /// The winner's votes and the number of voters who answered.
        let support: Int
        let answered: Int
    }

    static func winner(_ votes: [CorrectnessMatrix.Cell]) -> Outcome {
        var count: [Int32: Int] = [:], first: [Int32: Int] = [:], right: [Int32: Bool] = [:]
        for (n, v) in votes.enumerated() {
            guard let a = v.answer else { continue }
            count[a, default: 0] += 1
            if first[a] == nil { first[a] = n; right[a] = v.verdict == .correct }
        }
        guard let best = count.keys.min(by: { (-count[$0]!, first[$0]!) < (-count[$1]!, first[$1]!) }) else {
            return Outcome(answer: nil, correct: false, support: 0, answered: 0)
        }
        return Outcome(answer: best, correct: right[best]!, support: count[best]!, answered: count.values.reduce(0, +))
    }
}

extension CorrectnessMatrix.Cell {
    var latency: Double? { latencyMs.map(Double.init) }
}
