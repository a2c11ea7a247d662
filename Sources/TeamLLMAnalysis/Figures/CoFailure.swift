import Foundation

/// The co-failure figures of one pool: accuracies, β and its certificate, error correlations and the
/// single-factor prediction. Every definition is in docs/analyses.md.
public struct CoFailure: Codable, Sendable {
    /// One model's accuracy with its two-sided 95% Clopper–Pearson interval.
    public struct ModelAccuracy: Codable, Sendable {
        public let model: String
        public let correct: Int
        public let answered: Int
        public let accuracy: Double
        public let interval: [Double]
    }

    public let models: [ModelAccuracy]
    /// The most accurate model (the first of the pool's order among equals) and its accuracy a_sb.
    public let singleBest: String
    public let singleBestAccuracy: Double
    /// Items analysed, items the coverage policy dropped, missing cells kept out of the figures.
    public let items: Int
    public let itemsDropped: Int
    public let missingCells: Int
    public let coverage: String
    /// K items where every model was wrong, β = K/n, its two-sided 95% interval.
    public let allWrong: Int
    public let beta: Double
    public let betaInterval: [Double]
    /// 1 − β: the per-query oracle, the ceiling of any selection policy.
    public let oracle: Double
    /// G = (1 − β) − a_sb, with its percentile query-bootstrap 95% interval.
    public let oracleGain: Double
    public let oracleGainInterval: [Double]
    public let bootstrapResamples: Int
    public let bootstrapSeed: UInt64
    /// The certificate: β_lo, the one-sided lower limit at level 1 − δ, and the ceiling (1 − β_lo) − a_sb.
    public let delta: Double
    public let betaLower: Double
    public let certifiedMaxGain: Double
    /// Mean pairwise φ and tetrachoric correlation of error indicators, over the defined pairs.
    public let meanPhi: Double?
    public let meanTetrachoric: Double?
    public let definedPairs: Int
    public let pairs: Int
    /// β predicted by a single-factor Gaussian copula at the mean tetrachoric correlation, and β / β_sf.
    public let betaSingleFactor: Double?
    public let underpricing: Double?

    /// Every figure of `pool`; the bootstrap draws `resamples` query resamples from `seed`.
    public init(_ pool: ScoredPool, pairwise: PairwiseErrors, delta: Double = 0.05, resamples: Int = 2000, seed: UInt64 = 0) throws(AnalysisError) {
        guard delta > 0, delta < 1 else { throw .option("--delta must be in (0, 1), got \(delta)") }
        guard resamples >= 1 else { throw .option("--resamples must be at least 1, got \(resamples)") }
        let group = Array(pool.models.indices)
        let models = group.map { m in
            let answered = pool.answered[m].cardinality, correct = answered - pool.wrong[m].cardinality
            let ci = ClopperPearson.interval(correct, of: answered)
            return ModelAccuracy(model: pool.models[m], correct: correct, answered: answered,
                                 accuracy: answered == 0 ? 0 : Double(correct) / Double(answered), interval: [ci.lower, ci.upper])
        }
        self.models = models
        let best = models.indices.max { models[$0].accuracy < models[$1].accuracy || (models[$0].accuracy == models[$1].accuracy && $0 > $1) }!
        singleBest = models[best].model
        singleBestAccuracy = models[best].accuracy
        let (n, k) = pool.allWrong(group)
        items = n; itemsDropped = pool.dropped; missingCells = pool.missingCells; coverage = pool.coverage.description
        allWrong = k
        beta = Double(k) / Double(n)
        let ci = ClopperPearson.interval(k, of: n)
        betaInterval = [ci.lower, ci.upper]
        oracle = 1 - beta
        oracleGain = oracle - singleBestAccuracy
        let gains = CoFailure.bootstrapGains(pool, resamples: resamples, seed: seed)
        oracleGainInterval = [Sampling.quantile(gains, 0.025)!, Sampling.quantile(gains, 0.975)!]
        bootstrapResamples = resamples; bootstrapSeed = seed
        self.delta = delta
        betaLower = ClopperPearson.lower(k, of: n, confidence: 1 - delta)
        certifiedMaxGain = (1 - betaLower) - singleBestAccuracy
        let phi = PairwiseErrors.mean(pairwise.phi, over: group), tet = PairwiseErrors.mean(pairwise.tetrachoric, over: group)
        meanPhi = phi.mean; meanTetrachoric = tet.mean
        definedPairs = tet.pairs; pairs = group.count * (group.count - 1) / 2
        betaSingleFactor = tet.mean.map { SingleFactor.allWrong(errorRates: group.map(pool.errorRate), rho: $0) }
        // β_sf can be so small (a denormal) that the ratio overflows: such a ratio is reported as undefined.
        underpricing = betaSingleFactor.flatMap { sf in (Double(k) / Double(n) / sf).isFinite && sf > 0 ? Double(k) / Double(n) / sf : nil }
    }

    /// G over query resamples (items drawn with replacement, a_sb re-chosen in each resample, as the plug-in
    /// statistic is); the interval is their 2.5% and 97.5% percentiles.
    static func bootstrapGains(_ pool: ScoredPool, resamples: Int, seed: UInt64) -> [Double] {
        let n = pool.items.count, m = pool.models.count
        let set = pool.coFailures(Array(0..<m)).allWrong
        let allWrong = (0..<n).map { set[$0] }
        // Model-major 0/1 rows, so one resample's counts are m dot products with its multiplicities.
        var correct = [Int32](repeating: 0, count: m * n), answered = correct
        for j in 0..<m {
            for i in 0..<n {
                answered[j * n + i] = pool.answered[j][i] ? 1 : 0
                correct[j * n + i] = pool.answered[j][i] && !pool.wrong[j][i] ? 1 : 0
            }
        }
        var rng = Sampling.generator("bootstrap-gain", seed: seed)
        var gains: [Double] = []
        gains.reserveCapacity(resamples)
        var weight = [Int32](repeating: 0, count: n)
        for _ in 0..<resamples {
            for i in 0..<n { weight[i] = 0 }
            var k = 0
            for _ in 0..<n {
                let i = Sampling.below(n, &rng)
                weight[i] += 1
                if allWrong[i] { k += 1 }
            }
            var best = 0.0
            correct.withUnsafeBufferPointer { c in
                answered.withUnsafeBufferPointer { a in
                    for j in 0..<m {
                        var hit: Int32 = 0, seen: Int32 = 0
                        for i in 0..<n { hit &+= c[j * n + i] &* weight[i]; seen &+= a[j * n + i] &* weight[i] }
                        if seen > 0 { best = max(best, Double(hit) / Double(seen)) }
                    }
                }
            }
            gains.append(1 - Double(k) / Double(n) - best)
        }
        return gains
    }
}
