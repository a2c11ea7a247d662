import Foundation

/// One point of a two-model cascade: first model, second model, threshold, and what it achieved.
public struct CascadePoint: Codable, Sendable {
    public let first: String
    public let second: String
    public let threshold: Double
    public let accuracy: Double
    public let costPerItem: Double
    /// Share of items passed on to the second model.
    public let escalated: Double
}

extension ReplayContext {
    /// Every ordered pair (A, B) with A sampled `samples` times: A's self-consistency answer stands when its
    /// agreement reaches the threshold τ, else B's first sample answers. One point per pair and τ ∈ {2/N, …, 1}
    /// (τ = 1/N never escalates: it is A's self-consistency alone).
    func cascades(_ models: [Int], samples: Int) -> [CascadePoint] {
        let thresholds = (2...max(2, samples)).map { Double($0) / Double(samples) }
        var points: [CascadePoint] = []
        let n = Double(max(1, items.count))
        for a in models {
            let first = items.map { agreement(a, $0, samples: samples) }
            for b in models where b != a {
                for tau in thresholds {
                    var correct = 0, cost = 0.0, escalated = 0
                    for (p, i) in items.enumerated() {
                        cost += first[p].cost
                        if first[p].confidence >= tau - 1e-12 {
                            if first[p].winner.correct { correct += 1 }
                        } else {
                            escalated += 1
                            let c = cell(b, i)
                            cost += c.costUSD
                            if c.verdict == .correct { correct += 1 }
                        }
                    }
                    points.append(CascadePoint(first: matrix.models[a], second: matrix.models[b], threshold: tau,
                                               accuracy: Double(correct) / n, costPerItem: cost / n, escalated: Double(escalated) / n))
                }
            }
        }
        return points
    }

    /// The cascades no other cascade beats on both cost and accuracy, by increasing cost.
    static func envelope(_ points: [CascadePoint]) -> [CascadePoint] {
        let sorted = points.sorted { ($0.costPerItem, -$0.accuracy) < ($1.costPerItem, -$1.accuracy) }
        var out: [CascadePoint] = []
        for p in sorted where out.last.map({ p.accuracy > $0.accuracy }) ?? true { out.append(p) }
        return out
    }
}
