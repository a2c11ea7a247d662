import Foundation
import Testing
import TeamLLM
@testable import TeamLLMAnalysis

/// The matrix readers, the coverage policy, the bootstrap, the pool-size curve, and every policy replay on a
/// hand-made matrix whose outcomes are worked out by hand in the comments.
@Suite struct AnalysisTests {
    // MARK: reading matrices

    @Test func malformedCSVIsRefusedNamingLineAndColumn() throws {
        func refusal(_ text: String) -> String? {
            do { _ = try CorrectnessMatrix.csv(Data(text.utf8), file: "m.csv"); return nil } catch { return error.description }
        }
        #expect(refusal("") == "m.csv:1: empty file: expected a header 'item,<model>,…'")
        #expect(refusal("question,a,b\nq1,1,0\n") == "m.csv:1, column 1: the first column must be 'item', found 'question'")
        #expect(refusal("item\nq1\n") == "m.csv:1: no model columns after 'item'")
        #expect(refusal("item,a,a\nq1,1,0\n") == "m.csv:1, column 3: model 'a' appears twice")
        #expect(refusal("item,a,b\nq1,1,0\nq2,1,2\n") == "m.csv:3, column 3: model 'b': expected 1, 0 or empty, found '2'")
        #expect(refusal("item,a,b\nq1,1,0\nq2,1\n") == "m.csv:3: 2 fields, the header has 3")
        #expect(refusal("item,a,b\nq1,1,0\nq1,0,0\n") == "m.csv:3, column 1: item 'q1' appears twice")
        #expect(refusal("item,a,b\n\"q1,1,0\n") == "m.csv:2, column 1: unterminated quoted field")
        #expect(refusal("item,a,b\n") == "m.csv:2: no item rows after the header")
    }

    @Test func csvRoundTripsWithMissingCellsAndQuotedItems() throws {
        let text = "item,a,b\n\"q,1\",1,\nq2,0,1\n"
        let m = try CorrectnessMatrix.csv(Data(text.utf8), file: "m.csv")
        #expect(m.items == ["q,1", "q2"] && m.models == ["a", "b"])
        #expect(m[1, 0, 0].verdict == .missing && m[0, 1, 0].verdict == .incorrect && m[1, 1, 0].verdict == .correct)
        #expect(m.csv() == text)
        // A spreadsheet's export: a byte-order mark and CRLF line ends.
        let excel = try CorrectnessMatrix.csv(Data("\u{FEFF}item,a,b\r\nq1,1,0\r\nq2,0,1\r\n".utf8), file: "x.csv")
        #expect(excel.models == ["a", "b"] && excel.items == ["q1", "q2"] && excel[0, 0, 0].verdict == .correct)
        // Blank lines at the end and spaces around names, as hand-written files have.
        let loose = try CorrectnessMatrix.csv(Data("item, a ,b\nq1,1,0\n\n\n".utf8), file: "l.csv")
        #expect(loose.models == ["a", "b"] && loose.items == ["q1"])
    }

    // MARK: coverage

    @Test func missingCellsAreNeverCountedWrong() throws {
        // Item q1: a and c wrong, b missing. Complete coverage drops it; coverage 0.6 keeps it (2 of 3 answered),
        // and there every model that answered is wrong, so it counts in β, while b's accuracy leaves it out.
        let csv = "item,a,b,c\nq0,1,1,0\nq1,0,,0\nq2,0,1,1\nq3,1,0,0\n"
        let m = try CorrectnessMatrix.csv(Data(csv.utf8), file: "m.csv")
        let complete = try ScoredPool(m, coverage: .complete)
        #expect(complete.items == [0, 2, 3] && complete.dropped == 1 && complete.missingCells == 0)
        #expect(complete.allWrong([0, 1, 2]) == (items: 3, allWrong: 0))
        let partial = try ScoredPool(m, coverage: Coverage("0.6"))
        #expect(partial.items == [0, 1, 2, 3] && partial.dropped == 0 && partial.missingCells == 1)
        #expect(partial.allWrong([0, 1, 2]) == (items: 4, allWrong: 1))
        let f = try CoFailure(partial, pairwise: PairwiseErrors(partial), resamples: 50)
        #expect(f.models[1].answered == 3 && f.models[1].correct == 2)
        #expect(throws: AnalysisError.self) { try Coverage("1.5") }
        // A model with no answer on any kept item has no accuracy: refused, naming it.
        let silent = try CorrectnessMatrix.csv(Data("item,a,b,c\nq1,1,0,\nq2,0,0,\n".utf8), file: "m.csv")
        #expect(throws: AnalysisError.tooSmall("model 'c' answered none of the 2 items kept (coverage 0.5): leave it out with --models, or lower --coverage")) {
            try ScoredPool(silent, coverage: Coverage("0.5"))
        }
        #expect(throws: AnalysisError.self) { try ScoredPool(try CorrectnessMatrix.csv(Data("item,a,b\nq0,1,\n".utf8), file: "m.csv"), coverage: .complete) }
    }

    // MARK: figures

    @Test func certificateAndBootstrapOnTheSmallMatrix() throws {
        let (f, _, _) = try AnalysisFixtures.figures(AnalysisFixtures.small)
        // Item 0 is the only one all three models miss: β = 1/6; each model is right on 3 of 6.
        #expect(f.allWrong == 1 && f.items == 6 && f.singleBest == "a" && f.singleBestAccuracy == 0.5, "three models tie at 3 of 6: the first listed is the single best")
        #expect(abs(f.oracleGain - (5.0 / 6 - 0.5)) < 1e-15)
        #expect(f.betaLower < f.beta && f.certifiedMaxGain > f.oracleGain)
        // The certificate's level is the one-sided δ: at δ = 0.05 it equals the two-sided 90% lower limit.
        #expect(abs(f.betaLower - ClopperPearson.interval(1, of: 6, level: 0.90).lower) < 1e-15)
        #expect(f.oracleGainInterval[0] <= f.oracleGain && f.oracleGain <= f.oracleGainInterval[1])
        let big = try ScoredPool(AnalysisFixtures.commonShock(models: 12, items: 100).matrix, coverage: .complete)
        let seed0 = CoFailure.bootstrapGains(big, resamples: 500, seed: 0)
        #expect(CoFailure.bootstrapGains(big, resamples: 500, seed: 0) == seed0, "the same seed draws the same resamples")
        #expect(CoFailure.bootstrapGains(big, resamples: 500, seed: 1) != seed0, "another seed, other resamples")
        let f12 = try CoFailure(big, pairwise: PairwiseErrors(big), resamples: 500, seed: 0)
        #expect(f12.oracleGainInterval == [Sampling.quantile(seed0, 0.025)!, Sampling.quantile(seed0, 0.975)!])
    }

    @Test func commonShockPoolIsUnderpricedByTheSingleFactorModel() throws {
        let (f, _, _) = try AnalysisFixtures.figures(AnalysisFixtures.commonShock())
        #expect(f.beta > 0.02 && f.beta < 0.07, "β \(f.beta)")
        let sf = try #require(f.betaSingleFactor)
        #expect(sf > 1e-10 && sf < 1e-5, "β_sf \(sf): a single factor at the mean tetrachoric correlation cannot see the shock")
        #expect(try #require(f.underpricing) > 1e3)
        #expect(f.definedPairs == 67 * 66 / 2)
    }

    @Test func tetrachoricEdgeCases() {
        #expect(Tetrachoric.correlation(0, 0.3, joint: 0) == nil && Tetrachoric.correlation(0.3, 1, joint: 0.3) == nil)
        #expect(Tetrachoric.correlation(0.5, 0.5, joint: 0) == -1 && Tetrachoric.correlation(0.3, 0.4, joint: 0.3) == 1)
        // Independence: joint = p1 p2 gives ρ = 0; symmetric in its two margins.
        #expect(abs(Tetrachoric.correlation(0.3, 0.4, joint: 0.12)!) < 1e-12)
        #expect(Tetrachoric.correlation(0.2, 0.35, joint: 0.1) == Tetrachoric.correlation(0.35, 0.2, joint: 0.1))
        // At ρ found, the bivariate normal reproduces the joint rate.
        let rho = Tetrachoric.correlation(0.2, 0.35, joint: 0.1)!
        #expect(abs(BivariateNormal.cdf(Normal.quantile(0.2), Normal.quantile(0.35), rho) - 0.1) < 1e-15)
    }

    @Test func aPairsSingleFactorPredictionIsItsJointErrorRate() throws {
        // With two models the copula at their own tetrachoric correlation reproduces their joint error rate: the
        // quadrature of β_sf and the bivariate normal of the tetrachoric root are separate code, so this ties them.
        let e = AnalysisFixtures.commonShock(models: 8, items: 330)
        let pool = try ScoredPool(e.matrix, coverage: .complete)
        let pairwise = PairwiseErrors(pool)
        for (a, b) in [(0, 1), (2, 5), (3, 7)] {
            let rho = try #require(pairwise.tetrachoric[a][b])
            let joint = Double(pool.wrong[a].overlap(pool.wrong[b])) / 330
            let sf = SingleFactor.allWrong(errorRates: [pool.errorRate(a), pool.errorRate(b)], rho: rho)
            #expect(abs(sf - joint) <= 1e-10 * joint, "pair \(a), \(b): β_sf \(sf) vs joint \(joint)")
        }
        let curve = PoolCurve(pool, pairwise: pairwise, subsets: 60, seed: 0)
        #expect(abs(curve.points[0].ratioMedian! - 1) < 1e-9, "every pair's ratio is 1")
    }

    @Test func poolCurveEnumeratesSmallSizesAndGreedyStartsFromTheBest() throws {
        let e = AnalysisFixtures.edges
        let pool = try ScoredPool(e.matrix, coverage: .complete)
        let curve = PoolCurve(pool, pairwise: PairwiseErrors(pool), subsets: 60, seed: 3)
        #expect(curve.points.map(\.k) == [2, 3, 4] && curve.points.map(\.subsets) == [6, 4, 1])
        let pairBetas = Combinations.all(4, 2).map { g in Double(pool.allWrong(g).allWrong) / 10 }
        #expect(curve.points[0].betaMedian == Sampling.quantile(pairBetas, 0.5))
        #expect(curve.greedy.first?.model == "perfect" && curve.greedy.allSatisfy { $0.beta == 0 })
        let bigger = AnalysisFixtures.commonShock(models: 12, items: 100)
        let p12 = try ScoredPool(bigger.matrix, coverage: .complete)
        let c1 = PoolCurve(p12, pairwise: PairwiseErrors(p12), subsets: 20, seed: 5), c2 = PoolCurve(p12, pairwise: PairwiseErrors(p12), subsets: 20, seed: 5)
        #expect(c1.points.map(\.betaMedian) == c2.points.map(\.betaMedian) && c1.points[4].subsets == 20)
        // β can only fall as the greedy pool grows.
        #expect(zip(c1.greedy, c1.greedy.dropFirst()).allSatisfy { $1.beta <= $0.beta })
    }

    // MARK: policy replays

    /// Three models × four items × three samples; answer 0 is each item's correct answer.
    /// Sample-0 answers: A 0,1,1,1 · B 0,0,2,1 · C 1,0,0,0. A's samples: [0,0,0] [1,1,2] [1,2,3] [1,1,1].
    /// Costs per call: A $0.001, B $0.01, C $0.1.
    static func handMatrix() -> CorrectnessMatrix {
        let first: [[Int32]] = [[0, 1, 1, 1], [0, 0, 2, 1], [1, 0, 0, 0]]
        let probe: [[Int32]] = [[0, 0, 0], [1, 1, 2], [1, 2, 3], [1, 1, 1]]
        let cost = [0.001, 0.01, 0.1]
        var cells: [CorrectnessMatrix.Cell] = []
        for m in 0..<3 {
            for i in 0..<4 {
                for s in 0..<3 {
                    let a = m == 0 ? probe[i][s] : first[m][i]
                    cells.append(.init(verdict: a == 0 ? .correct : .incorrect, answer: a, costUSD: cost[m], tokensIn: 10, tokensOut: 5, latencyMs: 100 * (m + 1)))
                }
            }
        }
        return CorrectnessMatrix(source: "hand", sourceArgument: "hand", benchmark: "b", models: ["A", "B", "C"], items: ["i0", "i1", "i2", "i3"],
                                 samples: 3, hasRecords: true, cells: cells)
    }

    @Test func replaysOnTheHandMatrixGiveTheHandWorkedOutcomes() throws {
        let m = Self.handMatrix()
        let pool = try ScoredPool(m, coverage: .complete)
        var settings = PolicyReplays.Settings()
        settings.probe = "A"
        let r = try PolicyReplays(m, pool: pool, settings: settings)
        let byKind = Dictionary(grouping: r.policies, by: \.kind)
        // Vote: i0 0,0,1 → right; i1 1,0,0 → right; i2 a three-way tie goes to A's answer → wrong; i3 1,1,0 → wrong.
        let vote = try #require(byKind["vote"]?.first)
        #expect(vote.accuracy == 0.5 && vote.details?["strict_majority_share"] == 0.75 && vote.oracle == 1 && vote.gapToOracle == 0.5)
        #expect(abs(vote.costPerItem - 0.111) < 1e-12 && vote.latencyMs == 300)
        // Self-consistency of A: only i0 ([0,0,0]) is right; i2's tie goes to the first sample.
        #expect(byKind["self_consistency"]?.map(\.accuracy) == [0.25, 0.5, 0.75])
        // σ-routing, probe A × 3, escalating to the others ranked C, B (the probe is not escalated to): i0 σ 0
        // right; i1 σ 1 → C, B and the probe vote 0, 0, 1 → right; i2 σ 2 → C, B (no third model left) and the probe
        // vote 0, 2, 1, a three-way tie won by C → right; i3 σ 0 → agreed and wrong.
        let sigma = try #require(byKind["sigma_routing"]?.first)
        #expect(sigma.accuracy == 0.75)
        #expect(sigma.details == ["one_model_share": 0.5, "two_models_share": 0.25, "three_models_share": 0.25, "agreement_but_wrong_rate": 0.25])
        #expect(abs(sigma.costPerItem - 0.232 / 4) < 1e-12)
        // Random mix at σ-routing's cost: between B ($0.01, 0.5) and C ($0.1, 0.75).
        #expect(abs(sigma.randomMixAccuracy! - (0.5 + (0.058 - 0.01) / 0.09 * 0.25)) < 1e-12)
        #expect(r.randomMix.hull == [[0.001, 0.25], [0.01, 0.5], [0.1, 0.75]])
        // Cascade A → C at τ = 1: A keeps i0 (right) and i3 (wrong), C answers i1 and i2 (both right).
        let ctx = ReplayContext(matrix: m, items: pool.items, pool: pool)
        let points = ctx.cascades([0, 1, 2], samples: 3)
        #expect(points.count == 3 * 2 * 2 && r.cascades == 12)
        let ac = try #require(points.first { $0.first == "A" && $0.second == "C" && $0.threshold == 1 })
        #expect(ac.accuracy == 0.75 && ac.escalated == 0.5 && abs(ac.costPerItem - 0.053) < 1e-12)
        let ac23 = try #require(points.first { $0.first == "A" && $0.second == "C" && abs($0.threshold - 2.0 / 3) < 1e-12 })
        #expect(ac23.accuracy == 0.5)
        #expect(zip(r.cascadeEnvelope, r.cascadeEnvelope.dropFirst()).allSatisfy { $1.costPerItem >= $0.costPerItem && $1.accuracy > $0.accuracy })
        // Leave C out: the oracle falls to i0 and i1 (−0.5); the vote to i0 only (−0.25).
        let c = try #require(r.leaveOneOut.first { $0.model == "C" })
        #expect(c.oracle == -0.5 && c.vote == -0.25 && c.knnRouter == nil)
        #expect(r.unavailable.map(\.policy) == ["kNN router"] && r.unavailable[0].reason.contains("needs the items' prompts"))
    }

    @Test func replaysSayWhatTheRecordsLack() throws {
        let csv = try CorrectnessMatrix.csv(Data("item,a,b\nq0,1,0\nq1,0,0\nq2,1,1\n".utf8), file: "m.csv")
        let r = try PolicyReplays(csv, pool: try ScoredPool(csv, coverage: .complete))
        #expect(r.policies.isEmpty)
        #expect(r.unavailable.map(\.policy) == ["plurality vote", "self-consistency", "σ-routing", "cascades", "kNN router"])
        #expect(r.unavailable[0].reason.contains("holds verdicts only"))
        var s = PolicyReplays.Settings(); s.probe = "nobody"
        #expect(throws: AnalysisError.unknownModel("nobody", known: ["A", "B", "C"])) { try PolicyReplays(Self.handMatrix(), pool: try ScoredPool(Self.handMatrix(), coverage: .complete), settings: s) }
    }

    @Test func knnRouterLearnsWhichModelKnowsWhichTopic() throws {
        // 'apple' prompts are answered right by model X only, 'banana' prompts by Y only: every test item must be
        // routed to the model that knows its topic, whichever items the seeded split holds out.
        let n = 24
        let prompts = (0..<n).map { $0 % 2 == 0 ? "how many apple trees grow in orchard \($0)" : "banana split recipe number \($0)" }
        var cells: [CorrectnessMatrix.Cell] = []
        for m in 0..<2 {
            for i in 0..<n {
                let right = (m == 0) == (i % 2 == 0)
                cells.append(.init(verdict: right ? .correct : .incorrect, answer: right ? 0 : 1, costUSD: 0.01, tokensIn: nil, tokensOut: nil, latencyMs: nil))
            }
        }
        let m = CorrectnessMatrix(source: "topics", sourceArgument: "topics", benchmark: nil, models: ["X", "Y"], items: (0..<n).map { "t\($0)" },
                                  samples: 1, prompts: prompts, hasRecords: true, cells: cells)
        for seed: UInt64 in [0, 1, 2] {
            var s = PolicyReplays.Settings(); s.seed = seed; s.neighbours = 3
            let r = try PolicyReplays(m, pool: try ScoredPool(m, coverage: .complete), settings: s)
            let knn = try #require(r.policies.first { $0.kind == "knn_router" })
            #expect(knn.accuracy == 1 && knn.items == n / 2 && knn.oracle == 1, "seed \(seed): \(knn.accuracy)")
            #expect(r.policies.first { $0.kind == "vote" }!.accuracy == 0.5, "two voters who disagree: the tie goes to X")
        }
    }
}
