import Foundation
import TeamLLM

/// One self-contained HTML file: inline CSS and SVG, no script, nothing fetched.
public enum HTMLReport {
    /// The ids of the figures every report contains (the pool-size plots only when the curve was computed).
    public static let figureIDs = Plots.ids

    /// The report of `analysis`.
    public static func html(_ a: Analysis, generated: String = "teamllm " + TeamLLM.version) -> String {
        let c = a.coFailure
        func p(_ x: Double) -> String { String(format: "%.4f", x) }
        func g(_ x: Double?) -> String { x.map { String(format: "%.4g", $0) } ?? "undefined" }
        func usd(_ x: Double) -> String { String(format: "$%.6f", x) }
        let cmd = escape(a.command)
        var h = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>TeamLLM report: \(escape(a.source))</title>
        <style>
        body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:1100px;color:#222;line-height:1.45}
        h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2.2rem;border-bottom:1px solid #ddd}
        figure{margin:1rem 0}figcaption{font-size:.9rem;color:#444;max-width:760px}
        table{border-collapse:collapse;font-size:.85rem}td,th{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}
        th{background:#f4f4f4}code{font-size:.8rem;background:#f6f6f6;padding:0 .2rem}.num{text-align:right;font-variant-numeric:tabular-nums}
        .headline{font-size:1.05rem;background:#f7f4fa;border-left:4px solid #762a83;padding:.6rem 1rem}
        </style></head><body>
        <h1>Co-failure report: \(escape(a.source))</h1>
        <p>\(a.models.count) models, \(c.items) items (coverage \(escape(c.coverage)): \(c.itemsDropped) dropped, \(c.missingCells) missing cells left out of every figure, never counted wrong). Every number below is printed again by <code>\(cmd) --json</code>; definitions are in docs/analyses.md.</p>
        <p class="headline">All \(a.models.count) models are wrong together on β = \(p(c.beta)) of the items (\(c.allWrong)/\(c.items)). With confidence \(p(1 - c.delta)), β ≥ \(p(c.betaLower)), so no router, vote or cascade over this pool can beat the single best model (\(escape(c.singleBest)), \(p(c.singleBestAccuracy))) by more than <b>\(p(c.certifiedMaxGain))</b>. The mean tetrachoric correlation \(g(c.meanTetrachoric)) predicts β_sf = \(g(c.betaSingleFactor)); the observed β is \(g(c.underpricing)) times that.</p>

        <h2>Accuracy against cost</h2>
        <figure>\(Plots.accuracyCost(a))<figcaption>Each model's accuracy on its first sample against what its calls cost per item; the green staircase is the Pareto frontier, the dashed line the per-query oracle 1 − β.</figcaption></figure>

        <h2>The β certificate</h2>
        <figure>\(Plots.certificate(a))<figcaption>β is the share of items every model got wrong; its two-sided 95% Clopper–Pearson interval gives the oracle's; the one-sided lower limit β_lo at level 1 − δ gives the ceiling (1 − β_lo) on any selection policy's accuracy.</figcaption></figure>

        <h2>Error correlations</h2>
        <figure>\(Plots.heatmap(a))<figcaption>Per pair, the tetrachoric correlation of the error indicators (the bivariate-normal correlation that reproduces the pair's joint error rate at its two error rates); models grouped by family, most accurate first. Grey: undefined (a model always right or always wrong). Mean φ \(g(c.meanPhi)), mean tetrachoric \(g(c.meanTetrachoric)) over \(c.definedPairs) of \(c.pairs) pairs.</figcaption></figure>

        """
        if let curve = a.poolCurve {
            h += """
            <h2>Pool size</h2>
            <figure>\(Plots.poolBeta(a, curve))<figcaption>β over \(curve.subsetsPerSize) seeded random k-subsets per size (seed \(curve.seed); every subset when there are fewer): median and 5–95% band. Dashed: the greedy pool that lowers β fastest (\(escape(curve.greedy.map(\.model).prefix(6).joined(separator: " → ")))\(curve.greedy.count > 6 ? " → …" : "")).</figcaption></figure>
            <figure>\(Plots.poolRatio(a, curve))<figcaption>The underpricing ratio β / β_sf over the same subsets: how many times more often the subset fails together than a single-factor Gaussian copula at its mean tetrachoric correlation predicts.</figcaption></figure>

            """
        }
        h += """
        <h2>Policy replays</h2>
        <figure>\(Plots.policies(a))<figcaption>Replayed over the recorded answers and costs: grey, single models; dashed grey, the best random mix of single models at each cost (expected accuracy); green, \(a.replays.cascades > 0 ? "the envelope of two-model cascades (\(a.replays.cascades) pair × threshold points)" : "no cascade (they need two samples per model)"); the oracle dashed.</figcaption></figure>
        \(a.replays.policies.isEmpty ? "" : "<table><tr><th>policy</th><th>items</th><th>accuracy</th><th>cost / item</th><th>cost / correct</th><th>latency / item (ms)</th><th>gap to oracle</th><th>random mix at that cost</th><th>details</th></tr>")
        """
        for (n, r) in a.replays.policies.enumerated() {
            let details = r.details.map { d in d.keys.sorted().map { "\($0) \(p(d[$0]!))" }.joined(separator: "<br>") } ?? ""
            h += "<tr><td>\(n + 1). \(escape(r.policy))</td><td class=num>\(r.items)</td><td class=num>\(p(r.accuracy))</td><td class=num>\(usd(r.costPerItem))</td><td class=num>\(r.costPerCorrect.map(usd) ?? "-")</td><td class=num>\(r.latencyMs.map { String(format: "%.0f", $0) } ?? "-")</td><td class=num>\(p(r.gapToOracle))</td><td class=num>\(r.randomMixAccuracy.map(p) ?? "-")</td><td>\(details)</td></tr>\n"
        }
        if !a.replays.policies.isEmpty { h += "</table>\n" }
        for u in a.replays.unavailable { h += "<p>Not replayed: <b>\(escape(u.policy))</b>: \(escape(u.reason)).</p>\n" }
        h += "<h3>Leave one model out</h3><table><tr><th>model removed</th><th>Δ vote</th><th>Δ kNN router</th><th>Δ oracle</th></tr>\n"
        for l in a.replays.leaveOneOut {
            func d(_ x: Double?) -> String { x.map { String(format: "%+.4f", $0) } ?? "-" }
            h += "<tr><td>\(escape(l.model))</td><td class=num>\(d(l.vote))</td><td class=num>\(d(l.knnRouter))</td><td class=num>\(d(l.oracle))</td></tr>\n"
        }
        h += "</table>\n<h2 id=\"figures\">Every figure and the command that reproduces it</h2>\n<table><tr><th>figure</th><th>value</th><th>command</th></tr>\n"
        func row(_ name: String, _ value: String, _ key: String) {
            h += "<tr><td>\(escape(name))</td><td class=num>\(escape(value))</td><td><code>\(cmd) --json | jq '\(escape(key))'</code></td></tr>\n"
        }
        row("items analysed (n)", "\(c.items)", ".items")
        row("items dropped by coverage", "\(c.itemsDropped)", ".items_dropped")
        for (n, m) in c.models.enumerated() { row("accuracy of \(m.model), 95% CI", "\(p(m.accuracy)) [\(p(m.interval[0])), \(p(m.interval[1]))]", ".models[\(n)]") }
        row("single best a_sb", "\(p(c.singleBestAccuracy)) (\(c.singleBest))", ".single_best_accuracy")
        row("β = K/n, 95% CI", "\(p(c.beta)) = \(c.allWrong)/\(c.items) [\(p(c.betaInterval[0])), \(p(c.betaInterval[1]))]", ".beta, .beta_interval")
        row("oracle 1 − β", p(c.oracle), ".oracle")
        row("oracle gain G, bootstrap 95%", "\(p(c.oracleGain)) [\(p(c.oracleGainInterval[0])), \(p(c.oracleGainInterval[1]))]", ".oracle_gain, .oracle_gain_interval")
        row("β_lo at level \(p(1 - c.delta))", p(c.betaLower), ".beta_lower")
        row("certified max gain (1 − β_lo) − a_sb", p(c.certifiedMaxGain), ".certified_max_gain")
        row("mean φ", g(c.meanPhi), ".mean_phi")
        row("mean tetrachoric", g(c.meanTetrachoric), ".mean_tetrachoric")
        row("β_sf (single factor)", g(c.betaSingleFactor), ".beta_single_factor")
        row("β / β_sf", g(c.underpricing), ".underpricing")
        if a.poolCurve != nil { row("pool-size curve", "\(a.poolCurve!.points.count) sizes", ".pool_curve") }
        for (n, r) in a.replays.policies.enumerated() { row(r.policy, "accuracy \(p(r.accuracy)), \(usd(r.costPerItem))/item", ".replays.policies[\(n)]") }
        row("cascade envelope", "\(a.replays.cascadeEnvelope.count) points", ".replays.cascade_envelope")
        h += "</table>\n<p style=\"font-size:.8rem;color:#666\">Generated by \(escape(generated)). No script, no external resource.</p>\n</body></html>\n"
        return h
    }
}
