import Foundation

extension Analysis {
    /// The figures as a researcher reads them in a terminal.
    public func render() -> String {
        let f = coFailure
        func p(_ x: Double) -> String { String(format: "%.4f", x) }
        func g(_ x: Double?) -> String { x.map { String(format: "%.4g", $0) } ?? "undefined" }
        var out = "\(source): \(models.count) models, \(f.items) items (coverage \(f.coverage): \(f.itemsDropped) dropped, \(f.missingCells) missing cells left out)\n"
        out += "model                                accuracy  95% Clopper–Pearson\n"
        for m in f.models {
            out += "\(m.model.padding(toLength: 36, withPad: " ", startingAt: 0)) \(p(m.accuracy))   [\(p(m.interval[0])), \(p(m.interval[1]))]  (\(m.correct)/\(m.answered))\n"
        }
        out += "single best a_sb        \(p(f.singleBestAccuracy)) (\(f.singleBest))\n"
        out += "beta (all wrong)        \(p(f.beta)) = \(f.allWrong)/\(f.items), 95% [\(p(f.betaInterval[0])), \(p(f.betaInterval[1]))]\n"
        out += "oracle 1 - beta         \(p(f.oracle))\n"
        out += "oracle gain G           \(p(f.oracleGain)), bootstrap 95% [\(p(f.oracleGainInterval[0])), \(p(f.oracleGainInterval[1]))] (\(f.bootstrapResamples) resamples, seed \(f.bootstrapSeed))\n"
        out += "certificate             beta_lo = \(p(f.betaLower)) at \(p(1 - f.delta)); no selection policy gains more than \(p(f.certifiedMaxGain)) over a_sb\n"
        out += "mean phi                \(g(f.meanPhi))\n"
        out += "mean tetrachoric        \(g(f.meanTetrachoric)) (\(f.definedPairs) of \(f.pairs) pairs defined)\n"
        out += "beta single-factor      \(g(f.betaSingleFactor)); beta / beta_sf = \(g(f.underpricing))\n"
        if let c = poolCurve {
            out += "pool size  beta median [5%, 95%]          ratio median (\(c.subsetsPerSize) subsets per size, seed \(c.seed))\n"
            for pt in c.points {
                out += String(format: "%9d  %.4f [%.4f, %.4f]  ", pt.k, pt.betaMedian, pt.betaBand[0], pt.betaBand[1]) + "\(g(pt.ratioMedian))\n"
            }
            out += "greedy pool: " + c.greedy.map { "\($0.model) (\(p($0.beta)))" }.joined(separator: " → ") + "\n"
        }
        out += "policy                                                   accuracy  cost/item   cost/correct  gap to oracle  random mix\n"
        for r in replays.policies {
            out += "\(r.policy.padding(toLength: 56, withPad: " ", startingAt: 0)) \(p(r.accuracy))    \(String(format: "%.6f", r.costPerItem))  \(r.costPerCorrect.map { String(format: "%.6f", $0) } ?? "-")      \(p(r.gapToOracle))        \(r.randomMixAccuracy.map(p) ?? "-")\n"
            if let d = r.details { out += "    " + d.keys.sorted().map { "\($0) \(p(d[$0]!))" }.joined(separator: ", ") + "\n" }
        }
        if replays.cascades > 0 {
            out += "cascades: \(replays.cascades) (pair, threshold) points; envelope:\n"
            for c in replays.cascadeEnvelope {
                out += "    \(c.first) → \(c.second) at τ \(p(c.threshold)): accuracy \(p(c.accuracy)), cost/item \(String(format: "%.6f", c.costPerItem)), escalated \(p(c.escalated))\n"
            }
        }
        for u in replays.unavailable { out += "not replayed: \(u.policy): \(u.reason)\n" }
        out += "leave one model out (change in accuracy): model, vote, kNN router, oracle\n"
        for a in replays.leaveOneOut {
            out += "    \(a.model.padding(toLength: 36, withPad: " ", startingAt: 0)) \(a.vote.map { String(format: "%+.4f", $0) } ?? "-")  \(a.knnRouter.map { String(format: "%+.4f", $0) } ?? "-")  \(String(format: "%+.4f", a.oracle))\n"
        }
        return out
    }
}
