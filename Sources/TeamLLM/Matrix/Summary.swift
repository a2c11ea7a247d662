import Foundation

/// Accuracy per model and the all-models-wrong rate, computed from a matrix.
public struct MatrixSummary: Sendable {
    public struct ModelLine: Sendable, Equatable {
        public let benchmark: String
        public let model: String
        public let correct: Int
        public let incorrect: Int
        public let missing: Int
        /// correct / (correct + incorrect); missing cells are left out, never counted wrong.
        public var accuracy: Double? { correct + incorrect == 0 ? nil : Double(correct) / Double(correct + incorrect) }
    }
    public let models: [ModelLine]
    /// Per benchmark: items where every model of `group` was graded, and of those, items all of them got wrong.
    public let allWrong: [(benchmark: String, items: Int, allWrong: Int)]
    public let group: [String]

    /// Summarises `matrix`; `group` is the set of models for the all-wrong rate.
    ///
    /// A model fails an item when its first sample (sample 0) is graded incorrect; an item counts only if every
    /// model of the group has a graded first sample on it. This is `teamllm analyze`'s β (docs/analyses.md): later
    /// samples serve self-consistency, and "every sample wrong" would be a pass@k rate.
    public init(_ matrix: Matrix, group: [String]) {
        var lines: [String: (Int, Int, Int)] = [:]
        var order: [(String, String)] = []
        var perItem: [String: [String: [String: [Bool]]]] = [:] // benchmark → item → model → graded verdicts
        var itemOrder: [String: [String]] = [:]
        for c in matrix.cells {
            let key = "\(c.benchmark)\u{1F}\(c.model)"
            if lines[key] == nil { order.append((c.benchmark, c.model)); lines[key] = (0, 0, 0) }
            switch c.verdict {
            case .correct: lines[key]!.0 += 1
            case .incorrect: lines[key]!.1 += 1
            case .missing: lines[key]!.2 += 1
            }
            if perItem[c.benchmark]?[c.item] == nil { itemOrder[c.benchmark, default: []].append(c.item) }
            if c.verdict != .missing && c.sample == 0 { perItem[c.benchmark, default: [:]][c.item, default: [:]][c.model, default: []].append(c.verdict == .correct) }
            else { _ = perItem[c.benchmark, default: [:]][c.item, default: [:]] }
        }
        models = order.map { b, m in
            let l = lines["\(b)\u{1F}\(m)"]!
            return ModelLine(benchmark: b, model: m, correct: l.0, incorrect: l.1, missing: l.2)
        }
        self.group = group
        allWrong = order.map(\.0).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }.map { b in
            var items = 0, wrong = 0
            for item in itemOrder[b] ?? [] {
                let byModel = perItem[b]?[item] ?? [:]
                guard !group.isEmpty, group.allSatisfy({ !(byModel[$0] ?? []).isEmpty }) else { continue }
                items += 1
                if group.allSatisfy({ !(byModel[$0]!.contains(true)) }) { wrong += 1 }
            }
            return (b, items, wrong)
        }
    }

    /// A plain-text table.
    public func render() -> String {
        var out = "benchmark  model                          correct  incorrect  missing  accuracy\n"
        for l in models {
            let acc = l.accuracy.map { String(format: "%.4f", $0) } ?? "-"
            out += "\(l.benchmark.padding(toLength: 10, withPad: " ", startingAt: 0)) \(l.model.padding(toLength: 30, withPad: " ", startingAt: 0)) \(String(format: "%7d  %9d  %7d  %8@", l.correct, l.incorrect, l.missing, acc))\n"
        }
        if group.isEmpty {
            out += "no all-wrong rate: every model of the run is simulated, and simulated models are left out by default; name models with --group\n"
            return out
        }
        for a in allWrong {
            let rate = a.items == 0 ? "-" : String(format: "%.4f", Double(a.allWrong) / Double(a.items))
            out += "\(a.benchmark): every one of [\(group.joined(separator: ", "))] wrong on \(a.allWrong) of \(a.items) items (rate \(rate); first samples; teamllm analyze gives its certificate)\n"
        }
        return out
    }
}
