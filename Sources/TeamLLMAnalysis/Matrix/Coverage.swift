import Foundation

/// Which items an analysis keeps: by default only those every model of the pool answered. A fraction keeps an
/// item answered by at least that share of the pool; its missing cells are then left out of every figure, never
/// counted as wrong.
public enum Coverage: Sendable, Equatable, CustomStringConvertible {
    case complete
    case atLeast(Double)

    /// `complete`, or a fraction in (0, 1].
    public init(_ text: String) throws(AnalysisError) {
        if text == "complete" { self = .complete; return }
        guard let q = Double(text), q > 0, q <= 1 else { throw .option("--coverage: expected 'complete' or a fraction in (0, 1], got '\(text)'") }
        self = q == 1 ? .complete : .atLeast(q)
    }

    /// How many of `models` answers an item needs to be kept.
    func required(of models: Int) -> Int {
        switch self {
        case .complete: return models
        case let .atLeast(q): return max(1, Int((q * Double(models) - 1e-12).rounded(.up)))
        }
    }

    public var description: String {
        switch self {
        case .complete: return "complete"
        case let .atLeast(q): return "\(q)"
        }
    }
}

/// The pool's first-sample verdicts on the items the coverage policy keeps, as item sets: the input of every
/// co-failure figure. (Further samples serve the self-consistency and σ-routing replays, not the matrix.)
public struct ScoredPool: Sendable {
    public let models: [String]
    /// The kept items, as indices into the matrix's items.
    public let items: [Int]
    /// Per model, the kept positions it has a graded first sample on.
    public let answered: [ItemSet]
    /// Per model, the kept positions its graded first sample is wrong on (a subset of `answered`).
    public let wrong: [ItemSet]
    /// Items of the matrix left out by the coverage policy.
    public let dropped: Int
    /// Missing cells on kept items (0 under complete coverage).
    public let missingCells: Int
    public let coverage: Coverage

    /// The pool of `matrix` under `coverage`.
    public init(_ matrix: CorrectnessMatrix, coverage: Coverage) throws(AnalysisError) {
        guard matrix.models.count >= 2 else { throw .tooSmall("the pool has \(matrix.models.count) model(s): the analyses need at least 2") }
        let need = coverage.required(of: matrix.models.count)
        var kept: [Int] = [], missing = 0
        for i in matrix.items.indices {
            let answers = matrix.models.indices.filter { matrix[$0, i, 0].verdict != .missing }.count
            if answers >= need { kept.append(i); missing += matrix.models.count - answers }
        }
        guard !kept.isEmpty else {
            throw .tooSmall("no item of \(matrix.source) is answered by \(need) of the \(matrix.models.count) models (coverage \(coverage)); of \(matrix.items.count) items, all were dropped")
        }
        var answered: [ItemSet] = [], wrong: [ItemSet] = []
        for m in matrix.models.indices {
            var a = ItemSet(count: kept.count), w = ItemSet(count: kept.count)
            for (p, i) in kept.enumerated() {
                switch matrix[m, i, 0].verdict {
                case .correct: a[p] = true
                case .incorrect: a[p] = true; w[p] = true
                case .missing: break
                }
            }
            if a.cardinality == 0 {
                throw .tooSmall("model '\(matrix.models[m])' answered none of the \(kept.count) items kept (coverage \(coverage)): leave it out with --models, or lower --coverage")
            }
            answered.append(a); wrong.append(w)
        }
        self.init(models: matrix.models, items: kept, answered: answered, wrong: wrong, dropped: matrix.items.count - kept.count,
                  missingCells: missing, coverage: coverage)
    }

    init(models: [String], items: [Int], answered: [ItemSet], wrong: [ItemSet], dropped: Int, missingCells: Int, coverage: Coverage) {
        (self.models, self.items, self.answered, self.wrong, self.dropped, self.missingCells, self.coverage)
            = (models, items, answered, wrong, dropped, missingCells, coverage)
    }

    /// Kept positions where every model of `group` that answered was wrong, and at least one answered.
    public func allWrong(_ group: [Int]) -> (items: Int, allWrong: Int) {
        let (any, all) = coFailures(group)
        return (any.cardinality, all.cardinality)
    }

    /// The kept positions some model of `group` answered, and among them those every answering model got wrong.
    func coFailures(_ group: [Int]) -> (answered: ItemSet, allWrong: ItemSet) {
        var any = ItemSet(count: items.count), all = ItemSet(count: items.count, full: true)
        for m in group {
            any = any.union(answered[m])
            all = all.intersection(wrong[m].union(answered[m].complement))
        }
        return (any, all.intersection(any))
    }

    /// A model's error rate over the items it answered.
    public func errorRate(_ m: Int) -> Double { Double(wrong[m].cardinality) / Double(max(1, answered[m].cardinality)) }
}
