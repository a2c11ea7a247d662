import Foundation

/// The report's figures, each an SVG element with a stable id (the browser test looks for every one).
enum Plots {
    static let ids = ["accuracy-cost", "certificate", "tetrachoric-heatmap", "pool-size-beta", "pool-size-ratio", "policies"]

    /// A model's family: an OpenRouter id's vendor (`vendor/model`), else the name up to its first hyphen.
    static func family(_ model: String) -> String {
        if let slash = model.firstIndex(of: "/") { return String(model[..<slash]) }
        return model.split(separator: "-").first.map(String.init) ?? model
    }

    static func costAxis(_ costs: [Double], label: String, recorded: Bool) -> SVGPlot.Axis {
        let hi = costs.max() ?? 0
        let note = recorded ? " (every call cost $0: replayed or cached)" : " (none: the matrix holds verdicts only)"
        return SVGPlot.Axis(lo: 0, hi: hi > 0 ? hi * 1.08 : 1, label: hi > 0 ? label : label + note)
    }

    static func accuracyAxis(_ values: [Double]) -> SVGPlot.Axis {
        let lo = max(0, (values.min() ?? 0) - 0.05), hi = min(1, (values.max() ?? 1) + 0.05)
        return SVGPlot.Axis(lo: lo, hi: max(hi, lo + 0.1), label: "accuracy")
    }

    /// Cost against accuracy per model, the Pareto frontier through them and the oracle 1 − β.
    static func accuracyCost(_ a: Analysis) -> String {
        let singles = a.replays.singles
        var plot = SVGPlot(x: costAxis(singles.map(\.costPerItem), label: "cost per item (USD)", recorded: a.hasRecords),
                           y: accuracyAxis(singles.map(\.accuracy) + [a.coFailure.oracle]))
        let frontier = paretoFrontier(singles.map { ($0.costPerItem, $0.accuracy) })
        plot.polyline(frontier.flatMap { [$0] }, stroke: "#1b7837", width: 2)
        plot.polyline([(plot.x.lo, a.coFailure.oracle), (plot.x.hi, a.coFailure.oracle)], stroke: "#762a83", dash: "6 4")
        plot.label(plot.x.lo, a.coFailure.oracle, "oracle 1 − β = \(String(format: "%.4f", a.coFailure.oracle))", dy: -5)
        for s in singles {
            plot.circle(s.costPerItem, s.accuracy, fill: "#4393c3", title: "\(s.policy): accuracy \(String(format: "%.4f", s.accuracy)), $\(String(format: "%.6f", s.costPerItem))/item")
            if singles.count <= 16 { plot.label(s.costPerItem, s.accuracy, s.policy, size: 10) }
        }
        return plot.svg(id: "accuracy-cost", title: "Accuracy against cost per item, with the Pareto frontier and the oracle")
    }

    /// The non-dominated points by increasing cost, drawn as a staircase.
    static func paretoFrontier(_ points: [(Double, Double)]) -> [(Double, Double)] {
        var out: [(Double, Double)] = []
        for p in points.sorted(by: { ($0.0, -$0.1) < ($1.0, -$1.1) }) where out.last.map({ p.1 > $0.1 }) ?? true {
            if let last = out.last { out.append((p.0, last.1)) }
            out.append(p)
        }
        return out
    }

    /// The certificate: a_sb, the oracle with its two-sided interval, and the certified ceiling 1 − β_lo.
    static func certificate(_ a: Analysis) -> String {
        let c = a.coFailure
        let rows: [(String, Double, [Double]?, String)] = [
            ("single best a_sb (\(c.singleBest))", c.singleBestAccuracy, c.models.first { $0.model == c.singleBest }?.interval, "#4393c3"),
            ("oracle 1 − β, 95% interval", c.oracle, [1 - c.betaInterval[1], 1 - c.betaInterval[0]], "#762a83"),
            ("certified ceiling 1 − β_lo (level \(String(format: "%.2f", 1 - c.delta)))", 1 - c.betaLower, nil, "#d6604d"),
        ]
        var plot = SVGPlot(height: 260, x: SVGPlot.Axis(lo: max(0, c.singleBestAccuracy - 0.15), hi: 1, label: "accuracy"),
                           y: SVGPlot.Axis(lo: 0, hi: 3, label: ""))
        plot.y.hideTicks = true
        for (n, row) in rows.enumerated() {
            let yv = 2.5 - Double(n)
            plot.add(##"<line x1="\##(f(plot.px(plot.x.lo)))" y1="\##(f(plot.py(yv)))" x2="\##(f(plot.px(row.1)))" y2="\##(f(plot.py(yv)))" stroke="\##(row.3)" stroke-width="10"/>"##)
            if let ci = row.2 { plot.polyline([(ci[0], yv), (ci[1], yv)], stroke: "#222", width: 2) }
            let interval = row.2.map { " [\(String(format: "%.4f", $0[0])), \(String(format: "%.4f", $0[1]))]" } ?? ""
            plot.label(plot.x.lo, yv, "\(row.0): \(String(format: "%.4f", row.1))\(interval)", dx: 4, dy: -9, size: 11)
        }
        plot.label(plot.x.lo, 0.25, "certified max gain over a_sb: \(String(format: "%.4f", c.certifiedMaxGain))", dx: 4, size: 11)
        return plot.svg(id: "certificate", title: "The β certificate")
    }

    /// The tetrachoric correlations, models grouped by family (most accurate first within a family).
    static func heatmap(_ a: Analysis) -> String {
        let m = a.models.count
        let accuracy = Dictionary(uniqueKeysWithValues: a.coFailure.models.map { ($0.model, $0.accuracy) })
        let order = a.models.indices.sorted { (family(a.models[$0]), -accuracy[a.models[$0]]!, $0) < (family(a.models[$1]), -accuracy[a.models[$1]]!, $1) }
        let labelled = m <= 40
        let size = max(4, min(24, 560 / Double(m)))
        let margin = labelled ? 190.0 : 90.0
        let side = margin + size * Double(m) + 20
        var s = ##"<svg id="tetrachoric-heatmap" xmlns="http://www.w3.org/2000/svg" width="\##(Int(side + 120))" height="\##(Int(side))" role="img" aria-label="Tetrachoric correlation heatmap">"##
        s += "\n<title>Tetrachoric correlation of error indicators, grouped by family</title>\n"
        for (r, i) in order.enumerated() {
            let y0 = margin + Double(r) * size
            if labelled {
                s += ##"<text x="\##(f(margin - 4))" y="\##(f(y0 + size * 0.7))" font-size="\##(f(min(11, size * 0.8)))" text-anchor="end">\##(escape(a.models[i]))</text>"## + "\n"
                s += ##"<text transform="translate(\##(f(margin + Double(r) * size + size * 0.7)) \##(f(margin - 4))) rotate(-60)" font-size="\##(f(min(11, size * 0.8)))">\##(escape(a.models[i]))</text>"## + "\n"
            }
            for (c, j) in order.enumerated() {
                let v = a.pairwise.tetrachoric[i][j]
                let fill = i == j ? "#555" : v.map(color) ?? "#bbb"
                let tip = i == j ? a.models[i] : "\(a.models[i]) × \(a.models[j]): \(v.map { String(format: "%.4f", $0) } ?? "undefined")"
                s += ##"<rect x="\##(f(margin + Double(c) * size))" y="\##(f(y0))" width="\##(f(size))" height="\##(f(size))" fill="\##(fill)"><title>\##(escape(tip))</title></rect>"##
            }
            s += "\n"
        }
        // White rules between families.
        for r in 1..<max(1, order.count) where family(a.models[order[r]]) != family(a.models[order[r - 1]]) {
            let at = margin + Double(r) * size, end = margin + size * Double(m)
            s += ##"<line x1="\##(f(margin))" y1="\##(f(at))" x2="\##(f(end))" y2="\##(f(at))" stroke="#fff" stroke-width="1.5"/><line x1="\##(f(at))" y1="\##(f(margin))" x2="\##(f(at))" y2="\##(f(end))" stroke="#fff" stroke-width="1.5"/>"## + "\n"
        }
        if !labelled {
            var start = 0
            for (r, i) in order.enumerated() where r == order.count - 1 || family(a.models[order[r + 1]]) != family(a.models[i]) {
                let mid = margin + (Double(start + r + 1) / 2) * size
                s += ##"<text x="\##(f(margin - 4))" y="\##(f(mid))" font-size="10" text-anchor="end">\##(escape(family(a.models[i])))</text>"## + "\n"
                start = r + 1
            }
        }
        for k in 0...10 {
            let v = 1 - Double(k) / 5
            s += ##"<rect x="\##(f(side + 20))" y="\##(f(margin + Double(k) * 16))" width="16" height="16" fill="\##(color(v))"/><text x="\##(f(side + 40))" y="\##(f(margin + Double(k) * 16 + 12))" font-size="10">\##(String(format: "%+.1f", v))</text>"##
        }
        return s + "\n</svg>"
    }

    /// −1 blue, 0 white, +1 red.
    static func color(_ v: Double) -> String {
        let t = max(-1, min(1, v))
        let (r, g, b): (Double, Double, Double) = t >= 0 ? (255 - (255 - 178) * t, 255 - (255 - 24) * t, 255 - (255 - 43) * t)
            : (255 - (255 - 33) * -t, 255 - (255 - 102) * -t, 255 - (255 - 172) * -t)
        return String(format: "#%02x%02x%02x", Int(r), Int(g), Int(b))
    }

    /// β over random k-subsets (median and 5–95% band) and the greedy pool.
    static func poolBeta(_ a: Analysis, _ curve: PoolCurve) -> String {
        let ks = curve.points.map { Double($0.k) }
        let hi = max(curve.points.map(\.betaBand[1]).max() ?? 0, curve.greedy.map(\.beta).max() ?? 0)
        var plot = SVGPlot(x: SVGPlot.Axis(lo: 1, hi: Double(a.models.count), label: "pool size k"),
                           y: SVGPlot.Axis(lo: 0, hi: max(hi * 1.1, 1e-3), label: "β (all wrong)"))
        plot.band(lower: zip(ks, curve.points.map(\.betaBand[0])).map { ($0, $1) }, upper: zip(ks, curve.points.map(\.betaBand[1])).map { ($0, $1) }, fill: "#c6dbef")
        plot.polyline(zip(ks, curve.points.map(\.betaMedian)).map { ($0, $1) }, stroke: "#2171b5", width: 2)
        plot.polyline(curve.greedy.enumerated().map { (Double($0.offset + 1), $0.element.beta) }, stroke: "#d6604d", width: 1.6, dash: "5 3")
        plot.label(Double(a.models.count), curve.points.last?.betaMedian ?? 0, "median over \(curve.subsetsPerSize) subsets; band 5–95%", dx: -4, dy: -10, anchor: "end")
        plot.label(1, curve.greedy.first?.beta ?? 0, "greedy pool", dx: 6, dy: 12)
        return plot.svg(id: "pool-size-beta", title: "β against pool size")
    }

    /// β / β_sf over random k-subsets, on a log scale.
    static func poolRatio(_ a: Analysis, _ curve: PoolCurve) -> String {
        let pts = curve.points.filter { $0.ratioMedian != nil }
        let values = pts.flatMap { $0.ratioBand ?? [] }.filter { $0 > 0 }
        let lo = pow(10, (log10(values.min() ?? 0.5)).rounded(.down)), hi = pow(10, (log10(values.max() ?? 2)).rounded(.up))
        var plot = SVGPlot(x: SVGPlot.Axis(lo: 1, hi: Double(a.models.count), label: "pool size k"),
                           y: SVGPlot.Axis(lo: min(lo, 0.5), hi: max(hi, 2), log: true, label: "β / β_sf (underpricing)"))
        let ks = pts.map { Double($0.k) }
        // A subset that never fails together has ratio 0: drawn at the axis's floor rather than off the plot.
        let floor = plot.y.lo
        plot.band(lower: zip(ks, pts.map { max($0.ratioBand![0], floor) }).map { ($0, $1) }, upper: zip(ks, pts.map { max($0.ratioBand![1], floor) }).map { ($0, $1) }, fill: "#fdd0a2")
        plot.polyline(zip(ks, pts.map { max($0.ratioMedian!, floor) }).map { ($0, $1) }, stroke: "#d94801", width: 2)
        plot.polyline([(1, 1), (Double(a.models.count), 1)], stroke: "#555", dash: "3 3")
        plot.label(1, 1, "β = β_sf", dy: -5)
        return plot.svg(id: "pool-size-ratio", title: "Underpricing ratio against pool size")
    }

    /// Single models, replayed policies, the cascade envelope and random mixing on the cost–accuracy plane.
    static func policies(_ a: Analysis) -> String {
        let r = a.replays
        let costs = r.singles.map(\.costPerItem) + r.policies.map(\.costPerItem) + r.cascadeEnvelope.map(\.costPerItem)
        let accs = r.singles.map(\.accuracy) + r.policies.map(\.accuracy) + r.cascadeEnvelope.map(\.accuracy) + [a.coFailure.oracle]
        var plot = SVGPlot(height: 420, x: costAxis(costs, label: "cost per item (USD)", recorded: a.hasRecords), y: accuracyAxis(accs))
        plot.polyline(r.randomMix.hull.map { ($0[0], $0[1]) }, stroke: "#999", width: 1.4, dash: "4 3")
        plot.polyline(r.cascadeEnvelope.map { ($0.costPerItem, $0.accuracy) }, stroke: "#1b7837", width: 1.8)
        plot.polyline([(plot.x.lo, a.coFailure.oracle), (plot.x.hi, a.coFailure.oracle)], stroke: "#762a83", dash: "6 4")
        plot.label(plot.x.hi, a.coFailure.oracle, "oracle", dx: -4, dy: -5, anchor: "end")
        for s in r.singles { plot.circle(s.costPerItem, s.accuracy, r: 3, fill: "#bbb", title: s.policy) }
        let colours = ["vote": "#e08214", "self_consistency": "#8073ac", "sigma_routing": "#d6604d", "knn_router": "#35978f"]
        // Policies are numbered as in the table below: names would overlap where policies cost about the same.
        for (n, p) in r.policies.enumerated() {
            plot.circle(p.costPerItem, p.accuracy, r: 5, fill: colours[p.kind] ?? "#333",
                        title: "\(n + 1). \(p.policy): accuracy \(String(format: "%.4f", p.accuracy)), $\(String(format: "%.6f", p.costPerItem))/item")
            plot.label(p.costPerItem, p.accuracy, "\(n + 1)", dx: 6, dy: n % 2 == 0 ? -6 : 12, size: 11)
        }
        return plot.svg(id: "policies", title: "Policy replays on the cost–accuracy plane")
    }
}
