import Foundation
import TeamLLM

/// A synthetic pool with a known co-failure structure, for the tests and `make bench`: a seeded share of items
/// defeats every model (the common shock); elsewhere each model errs independently at its own rate.
public enum SyntheticPool {
    /// `models` × `items` × `samples`, a `shock` share of items wrong for all, per-model error rates in
    /// [0.15, 0.45], costs per call in [$1e-5, $1e-3], latencies in [200, 3000] ms. A wrong answer is one of three
    /// wrong values, so votes and self-consistency disagree as real ones do; samples err independently.
    public static func commonShock(models: Int = 67, items: Int = 330, samples: Int = 1, shock: Double = 0.04, seed: UInt64 = 1) -> CorrectnessMatrix {
        var rng = SplitMix64(text: "teamllm/analysis/synthetic/common-shock/v1|\(seed)")
        let shocked = (0..<items).map { _ in rng.unit() < shock }
        var cells: [CorrectnessMatrix.Cell] = []
        cells.reserveCapacity(models * items * samples)
        for _ in 0..<models {
            let rate = 0.15 + 0.30 * rng.unit()
            let cost = 1e-5 * pow(100, rng.unit())
            for i in 0..<items {
                for _ in 0..<samples {
                    let wrong = shocked[i] || rng.unit() < rate
                    cells.append(.init(verdict: wrong ? .incorrect : .correct, answer: wrong ? Int32(1 + rng.next() % 3) : 0,
                                       costUSD: cost, tokensIn: 200, tokensOut: 100, latencyMs: 200 + Int(rng.next() % 2800)))
                }
            }
        }
        let names = (0..<models).map { "family\($0 % 6)/model-\($0)" }
        return CorrectnessMatrix(source: "synthetic common-shock pool \(models)×\(items) (seed \(seed))", sourceArgument: "--matrix synthetic.csv",
                                 benchmark: nil, models: names, items: (0..<items).map { "item-\($0)" }, samples: samples,
                                 prompts: (0..<items).map { "synthetic question \($0) about topic \($0 % 7)" }, hasRecords: true, cells: cells)
    }
}
