import Foundation

extension ReplayContext {
    /// ACAR σ-routing. The probe model answers `probes` times; σ is the number of distinct answers minus one
    /// (each unanswered sample counts as one more distinct answer). σ = 0: the probe's agreed answer stands
    /// (one model). Otherwise the top 2 (σ = 1) or top 3 (σ ≥ 2) models of `ranking` (the probe excluded) answer once, and the
    /// plurality of their answers and the probe's own plurality answer wins (ties: the better-ranked voter, the
    /// probe last). Cost: the probe's samples plus the escalation's calls; latency: the probe, then the
    /// escalation in parallel.
    func sigmaRouting(probe: Int, probes: Int, ranking: [Int]) -> PolicyResult {
        var modes = [0, 0, 0], agreedWrong = 0
        let outcomes = items.map { i -> ItemOutcome in
            let p = agreement(probe, i, samples: probes)
            let cells = (0..<probes).map { cell(probe, i, $0) }
            let distinct = Set(cells.compactMap(\.answer)).count + cells.filter { $0.answer == nil }.count
            let sigma = distinct - 1
            if sigma == 0 {
                modes[0] += 1
                if !p.winner.correct { agreedWrong += 1 }
                return ItemOutcome(correct: p.winner.correct, cost: p.cost, latencyMs: p.latency)
            }
            let size = sigma == 1 ? 2 : 3
            modes[size - 1] += 1
            let ensemble = Array(ranking.prefix(size)).map { cell($0, i) }
            let probeVote = cells.first { $0.answer == p.winner.answer && p.winner.answer != nil } ?? cells[0]
            let w = Plurality.winner(ensemble + [probeVote])
            let latencies = ensemble.compactMap(\.latency)
            let latency = p.latency.flatMap { l in latencies.count == ensemble.count ? l + (latencies.max() ?? 0) : nil }
            return ItemOutcome(correct: w.correct, cost: p.cost + ensemble.reduce(0) { $0 + $1.costUSD }, latencyMs: latency)
        }
        let n = Double(max(1, items.count))
        return result("σ-routing (probe \(matrix.models[probe]) × \(probes))", kind: "sigma_routing", outcomes,
                      oracle: oracle(Array(matrix.models.indices)),
                      details: ["one_model_share": Double(modes[0]) / n, "two_models_share": Double(modes[1]) / n,
                                "three_models_share": Double(modes[2]) / n, "agreement_but_wrong_rate": Double(agreedWrong) / n])
    }
}
