import Foundation

/// How β and the underpricing ratio β/β_sf move with pool size: for each k = 2…m, seeded random k-subsets of
/// the pool (every subset when there are no more than asked), and the greedy pool that lowers β fastest.
public struct PoolCurve: Codable, Sendable {
    /// One pool size: the median and the 5–95% band over its subsets.
    public struct Point: Codable, Sendable {
        public let k: Int
        public let subsets: Int
        public let betaMedian: Double
        public let betaBand: [Double]
        /// Over the subsets whose β_sf is defined and positive; nil when none is.
        public let ratioMedian: Double?
        public let ratioBand: [Double]?
    }

    /// One step of the greedy pool: the model added and β of the pool so far.
    public struct GreedyStep: Codable, Sendable {
        public let model: String
        public let beta: Double
    }

    public let subsetsPerSize: Int
    public let seed: UInt64
    public let points: [Point]
    public let greedy: [GreedyStep]

    /// The curve for `pool`, drawing `subsets` subsets per size from `seed`.
    public init(_ pool: ScoredPool, pairwise: PairwiseErrors, subsets: Int = 60, seed: UInt64 = 0) {
        let m = pool.models.count
        subsetsPerSize = subsets
        self.seed = seed
        let sizes = Array(2...m)
        var points = [Point?](repeating: nil, count: sizes.count)
        points.withUnsafeMutableBufferPointer { out in
            let buffer = UncheckedBuffer(out)
            DispatchQueue.concurrentPerform(iterations: 2) { part in
                for s in stride(from: part, to: sizes.count, by: 2) {
                    buffer[s] = PoolCurve.point(pool, pairwise: pairwise, k: sizes[s], subsets: subsets, seed: seed)
                }
            }
        }
        self.points = points.map { $0! }
        greedy = PoolCurve.greedy(pool)
    }

    static func point(_ pool: ScoredPool, pairwise: PairwiseErrors, k: Int, subsets: Int, seed: UInt64) -> Point {
        let m = pool.models.count
        var groups: [[Int]]
        if let all = Combinations.count(m, k), all <= subsets {
            groups = Combinations.all(m, k)
        } else {
            var rng = Sampling.generator("pool-curve|\(k)", seed: seed)
            groups = (0..<subsets).map { _ in Sampling.subset(k, of: m, &rng) }
        }
        var betas: [Double] = [], ratios: [Double] = []
        for g in groups {
            let (n, wrong) = pool.allWrong(g)
            let beta = Double(wrong) / Double(max(1, n))
            betas.append(beta)
            if let rho = PairwiseErrors.mean(pairwise.tetrachoric, over: g).mean {
                let sf = SingleFactor.allWrong(errorRates: g.map(pool.errorRate), rho: rho, relativeTolerance: 1e-9)
                if sf > 0, (beta / sf).isFinite { ratios.append(beta / sf) }
            }
        }
        let band = { (v: [Double]) in [Sampling.quantile(v, 0.05)!, Sampling.quantile(v, 0.95)!] }
        return Point(k: k, subsets: groups.count, betaMedian: Sampling.quantile(betas, 0.5)!, betaBand: band(betas),
                     ratioMedian: Sampling.quantile(ratios, 0.5), ratioBand: ratios.isEmpty ? nil : band(ratios))
    }

    /// Start from the most accurate model; at each step add the model that lowers β most (ties: the lower error
    /// rate, then the pool's order).
    static func greedy(_ pool: ScoredPool) -> [GreedyStep] {
        var chosen: [Int] = [], steps: [GreedyStep] = []
        var rest = Array(pool.models.indices)
        while !rest.isEmpty {
            let scored = rest.map { c -> (Int, Double, Double) in
                let (n, k) = pool.allWrong(chosen + [c])
                return (c, Double(k) / Double(max(1, n)), pool.errorRate(c))
            }
            let pick = scored.min { ($0.1, $0.2, $0.0) < ($1.1, $1.2, $1.0) }!
            chosen.append(pick.0); rest.removeAll { $0 == pick.0 }
            steps.append(GreedyStep(model: pool.models[pick.0], beta: pick.1))
        }
        return steps
    }
}

/// k-subsets of 0..<n.
enum Combinations {
    /// C(n, k), or nil beyond Int.
    static func count(_ n: Int, _ k: Int) -> Int? {
        var c = 1
        for i in 0..<min(k, n - k) {
            let (p, overflow) = c.multipliedReportingOverflow(by: n - i)
            if overflow { return nil }
            c = p / (i + 1)
        }
        return c
    }

    /// Every k-subset, in lexicographic order.
    static func all(_ n: Int, _ k: Int) -> [[Int]] {
        var out: [[Int]] = [], current = Array(0..<k)
        while true {
            out.append(current)
            var i = k - 1
            while i >= 0 && current[i] == n - k + i { i -= 1 }
            if i < 0 { return out }
            current[i] += 1
            for j in (i + 1)..<k { current[j] = current[j - 1] + 1 }
        }
    }
}
