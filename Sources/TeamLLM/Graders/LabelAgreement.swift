import Foundation

/// Agreement between our grades and the labels a recording's publisher attached to each output.
public struct LabelAgreement: Sendable {
    public struct Disagreement: Sendable, Equatable {
        public let cell: CellID
        public let ours: Verdict
        public let publisher: Bool
        public let extracted: String?
        public let gold: String
    }
    public struct ModelLine: Sendable {
        public let model: String
        public let graded: Int
        public let oursCorrect: Int
        public let publisherCorrect: Int
    }
    public let models: [ModelLine]
    public let disagreements: [Disagreement]

    /// Compares every grade of a replayed attempt with the `publisher_is_correct` label in its raw body.
    public static func measure(_ folder: RunFolder, cache: ResponseCache) throws -> LabelAgreement {
        let state = try RunState.read(folder)
        struct Body: Decodable { struct Replay: Decodable { let publisher_is_correct: Bool? }; let replay: Replay? }
        var lines: [String: (Int, Int, Int)] = [:]
        var order: [String] = []
        var out: [Disagreement] = []
        for (cell, attempts) in state.attempts.sorted(by: { $0.key < $1.key }) {
            guard let a = CellOutcome.final(attempts), a.provider == .replay, let g = CellOutcome.counting(state.grades[a.attempt]),
                  let entry = try cache.lookup(a.request) else { continue }
            let body = try cache.body(entry.responseHash)
            guard let label = try CanonicalJSON.decode(Body.self, from: body).replay?.publisher_is_correct else { continue }
            if lines[cell.model] == nil { order.append(cell.model); lines[cell.model] = (0, 0, 0) }
            lines[cell.model]!.0 += 1
            if g.verdict == .correct { lines[cell.model]!.1 += 1 }
            if label { lines[cell.model]!.2 += 1 }
            if (g.verdict == .correct) != label {
                out.append(Disagreement(cell: cell, ours: g.verdict, publisher: label, extracted: g.extracted, gold: g.gold))
            }
        }
        let manifestOrder = (try? folder.manifest().models.map(\.ref)) ?? order
        return LabelAgreement(models: manifestOrder.filter { lines[$0] != nil }.map {
            ModelLine(model: $0, graded: lines[$0]!.0, oursCorrect: lines[$0]!.1, publisherCorrect: lines[$0]!.2)
        }, disagreements: out)
    }

    public func render() -> String {
        var s = "model                          graded  ours correct  publisher correct  ours acc  publisher acc\n"
        for l in models {
            s += "\(l.model.padding(toLength: 30, withPad: " ", startingAt: 0)) \(String(format: "%6d  %12d  %17d  %8.4f  %13.4f", l.graded, l.oursCorrect, l.publisherCorrect, Double(l.oursCorrect) / Double(max(1, l.graded)), Double(l.publisherCorrect) / Double(max(1, l.graded))))\n"
        }
        let total = models.reduce(0) { $0 + $1.graded }
        s += "agreement: \(total - disagreements.count) of \(total) labels; \(disagreements.count) disagreements\n"
        for d in disagreements {
            s += "  \(d.cell): ours \(d.ours.rawValue) (extracted '\(d.extracted ?? "")', gold '\(d.gold)'), publisher \(d.publisher ? "correct" : "incorrect")\n"
        }
        return s
    }
}
