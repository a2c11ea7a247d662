import Foundation
import TeamLLM
@testable import TeamLLMAnalysis

/// Matrices the analysis tests share: the real GSM8K four-model matrix from the publisher's labels, a synthetic
/// common-shock pool, and small hand-made ones.
enum AnalysisFixtures {
    /// errors[m][i] = 1 when model m is wrong on item i.
    struct Errors {
        let name: String
        let models: [String]
        let errors: [[Int]]

        var matrix: CorrectnessMatrix {
            let items = (0..<errors[0].count).map { "q\($0)" }
            var cells: [CorrectnessMatrix.Cell] = []
            for row in errors {
                for e in row { cells.append(.init(verdict: e == 1 ? .incorrect : .correct, answer: nil, costUSD: 0, tokensIn: nil, tokensOut: nil, latencyMs: nil)) }
            }
            return CorrectnessMatrix(source: name, sourceArgument: name, benchmark: nil, models: models, items: items, samples: 1, hasRecords: false, cells: cells)
        }

        var json: [String: Any] { ["name": name, "errors": errors] }
    }

    /// The four GPT-3 configurations' `is_correct` labels on GSM8K test, as published with the dataset.
    static func gsm8kPublished() throws -> Errors {
        let url = Fixtures.dataDir.appendingPathComponent("gsm8k/example_model_solutions.jsonl")
        let keys = ["6b_finetuning", "6b_verification", "175b_finetuning", "175b_verification"]
        var errors = [[Int]](repeating: [], count: keys.count)
        for line in try String(contentsOf: url, encoding: .utf8).split(separator: "\n") {
            let row = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            for (m, k) in keys.enumerated() {
                errors[m].append(((row[k] as! [String: Any])["is_correct"] as! Bool) ? 0 : 1)
            }
        }
        return Errors(name: "gsm8k-published", models: keys.map { "gpt3-" + $0.replacingOccurrences(of: "_", with: "-") }, errors: errors)
    }

    /// The synthetic common-shock pool (`SyntheticPool`): 67 models × 330 items, a seeded 4% of items wrong for
    /// every model. Its mean tetrachoric correlation is about 0.2, so β_sf is below 1e-6 while β ≈ 0.05.
    static func commonShock(models: Int = 67, items: Int = 330, seed: UInt64 = 1) -> Errors {
        let m = SyntheticPool.commonShock(models: models, items: items, seed: seed)
        return Errors(name: "common-shock-\(models)x\(items)", models: m.models,
                      errors: m.models.indices.map { j in m.items.indices.map { m[j, $0, 0].verdict == .incorrect ? 1 : 0 } })
    }

    /// Six items, three models: every pair defined, one item all wrong.
    static let small = Errors(name: "small", models: ["a", "b", "c"], errors: [[1, 1, 0, 0, 1, 0], [1, 0, 1, 0, 1, 0], [1, 1, 1, 0, 0, 0]])

    /// Edge cases: two complementary models (joint error rate at the lower Fréchet bound), a perfect one
    /// (undefined pairs), a negatively correlated one.
    static let edges = Errors(name: "edges", models: ["x", "y", "perfect", "z"], errors: [
        [1, 1, 1, 0, 0, 0, 1, 0, 1, 0],
        [0, 0, 0, 1, 1, 1, 0, 1, 0, 1],
        [0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        [1, 0, 0, 1, 1, 0, 0, 1, 1, 1],
    ])

    /// The figures of an error matrix, as the analysis computes them.
    static func figures(_ e: Errors) throws -> (CoFailure, PairwiseErrors, ScoredPool) {
        let pool = try ScoredPool(e.matrix, coverage: .complete)
        let pairwise = PairwiseErrors(pool)
        return (try CoFailure(pool, pairwise: pairwise, resamples: 200), pairwise, pool)
    }
}
