import Foundation

extension ReplayContext {
    /// Plurality vote of every model's first sample (ties: the answer of the model listed first in the pool);
    /// all models are called at once, so an item's latency is the slowest call.
    func vote(_ models: [Int]) -> PolicyResult {
        var strict = 0
        let outcomes = items.map { i -> ItemOutcome in
            let cells = models.map { cell($0, i) }
            let w = Plurality.winner(cells)
            if w.support * 2 > w.answered { strict += 1 }
            let latencies = cells.compactMap(\.latency)
            return ItemOutcome(correct: w.correct, cost: cells.reduce(0) { $0 + $1.costUSD },
                               latencyMs: latencies.count == cells.count ? latencies.max() : nil)
        }
        return result("plurality vote of \(models.count) models", kind: "vote", outcomes, oracle: oracle(models),
                      details: ["strict_majority_share": Double(strict) / Double(max(1, items.count))])
    }

    /// Each model alone (its first sample): the points random mixing interpolates.
    func single(_ m: Int) -> PolicyResult {
        let outcomes = items.map { i in
            let c = cell(m, i)
            return ItemOutcome(correct: c.verdict == .correct, cost: c.costUSD, latencyMs: c.latency)
        }
        return result(matrix.models[m], kind: "single_model", outcomes, oracle: oracle(Array(matrix.models.indices)))
    }
}
