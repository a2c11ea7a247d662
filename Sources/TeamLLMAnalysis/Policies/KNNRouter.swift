import Foundation

/// TF-IDF vectors of prompts: lower-cased letter-and-digit words, term frequency × smoothed inverse document
/// frequency (learned on the training items only), L2-normalised, compared by cosine.
struct TFIDF {
    let idf: [String: Double]

    static func words(_ text: String) -> [String] {
        text.lowercased().split { !($0.isLetter || $0.isNumber) }.map(String.init)
    }

    init(training texts: [String]) {
        var df: [String: Int] = [:]
        for t in texts { for w in Set(TFIDF.words(t)) { df[w, default: 0] += 1 } }
        let n = Double(texts.count)
        idf = df.mapValues { log((1 + n) / (1 + Double($0))) + 1 }
    }

    func vector(_ text: String) -> [String: Double] {
        var tf: [String: Double] = [:]
        for w in TFIDF.words(text) { tf[w, default: 0] += 1 }
        var v: [String: Double] = [:]
        for (w, c) in tf { if let f = idf[w] { v[w] = c * f } }
        let norm = v.values.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return norm > 0 ? v.mapValues { $0 / norm } : v
    }

    static func cosine(_ a: [String: Double], _ b: [String: Double]) -> Double {
        let (small, large) = a.count <= b.count ? (a, b) : (b, a)
        return small.reduce(0) { $0 + $1.value * (large[$1.key] ?? 0) }
    }
}

extension ReplayContext {
    /// The seeded held-out split: a shuffle of the kept items, the first half to learn from, the rest to test on.
    func split(seed: UInt64) -> (train: [Int], test: [Int]) {
        var order = Array(items.indices)
        var rng = Sampling.generator("knn-split", seed: seed)
        for i in order.indices.dropLast() { order.swapAt(i, i + Sampling.below(order.count - i, &rng)) }
        let half = order.count / 2
        return (Array(order[..<half]), Array(order[half...]))
    }

    /// For each test item of the split, its `k` most similar training items (ties: the earlier training item).
    /// The neighbours depend on the prompts alone, so leave-one-model-out replays reuse them.
    func neighbours(prompts: [String], k: Int, seed: UInt64) -> Neighbours {
        let (train, test) = split(seed: seed)
        let tfidf = TFIDF(training: train.map { prompts[items[$0]] })
        let trainVectors = train.map { tfidf.vector(prompts[items[$0]]) }
        let near = test.map { p -> [Int] in
            let v = tfidf.vector(prompts[items[p]])
            return trainVectors.indices.map { ($0, TFIDF.cosine(v, trainVectors[$0])) }
                .sorted { ($0.1, -$0.0) > ($1.1, -$1.0) }.prefix(k).map { train[$0.0] }
        }
        return Neighbours(k: k, train: train, test: test, near: near)
    }

    /// The kNN router: each test item goes to the model most often right on its nearest training prompts
    /// (ties: the cheaper model on the training items, then the pool's order).
    func knnRouter(_ models: [Int], _ n: Neighbours) -> PolicyResult {
        let trainCost = models.map { m in n.train.reduce(0) { $0 + cell(m, items[$1]).costUSD } }
        let outcomes = zip(n.test, n.near).map { p, near -> ItemOutcome in
            let scores = models.map { m -> Double in
                let graded = near.filter { cell(m, items[$0]).verdict != .missing }
                return graded.isEmpty ? -1 : Double(graded.filter { cell(m, items[$0]).verdict == .correct }.count) / Double(graded.count)
            }
            let pick = models.indices.min { (-scores[$0], trainCost[$0], $0) < (-scores[$1], trainCost[$1], $1) }!
            let c = cell(models[pick], items[p])
            return ItemOutcome(correct: c.verdict == .correct, cost: c.costUSD, latencyMs: c.latency)
        }
        return result("kNN router (k = \(n.k), TF-IDF, \(n.train.count) train / \(n.test.count) test)", kind: "knn_router", outcomes,
                      oracle: oracle(models, positions: n.test))
    }
}

/// The held-out split of the kNN router and each test item's neighbours (positions in the kept items).
struct Neighbours {
    let k: Int
    let train: [Int]
    let test: [Int]
    let near: [[Int]]
}
