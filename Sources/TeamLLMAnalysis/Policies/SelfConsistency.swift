import Foundation

extension ReplayContext {
    /// Plurality over one model's samples (ties: the earliest sample's answer), the samples drawn at once.
    func selfConsistency(_ m: Int) -> PolicyResult {
        let outcomes = items.map { i -> ItemOutcome in
            let cells = (0..<matrix.samples).map { cell(m, i, $0) }
            let latencies = cells.compactMap(\.latency)
            return ItemOutcome(correct: Plurality.winner(cells).correct, cost: cells.reduce(0) { $0 + $1.costUSD },
                               latencyMs: latencies.count == cells.count ? latencies.max() : nil)
        }
        return result("self-consistency of \(matrix.models[m]) over \(matrix.samples) samples", kind: "self_consistency", outcomes,
                      oracle: oracle(Array(matrix.models.indices)))
    }

    /// A model's self-consistency answer on an item and its confidence: the share of its samples that gave it.
    func agreement(_ m: Int, _ i: Int, samples: Int) -> (winner: Plurality.Outcome, confidence: Double, cost: Double, latency: Double?) {
        let cells = (0..<samples).map { cell(m, i, $0) }
        let w = Plurality.winner(cells)
        let latencies = cells.compactMap(\.latency)
        return (w, Double(w.support) / Double(samples), cells.reduce(0) { $0 + $1.costUSD }, latencies.count == cells.count ? latencies.max() : nil)
    }
}
