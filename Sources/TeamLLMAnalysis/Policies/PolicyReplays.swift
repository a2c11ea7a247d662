import Foundation

/// Every policy replay over one pool, from the recorded answers, costs and latencies.
public struct PolicyReplays: Codable, Sendable {
    /// Change in a policy's accuracy when one model is removed from the pool and the policy replayed.
    public struct Attribution: Codable, Sendable {
        public let model: String
        public let vote: Double?
        public let knnRouter: Double?
        public let oracle: Double
    }

    /// Settings of the replays (recorded in the output so a figure can be reproduced).
    public struct Settings: Codable, Sendable {
        public var probe: String?
        public var probes: Int = 3
        public var neighbours: Int = 5
        public var seed: UInt64 = 0
        public init() {}
    }

    public let singles: [PolicyResult]
    public let policies: [PolicyResult]
    public let cascadeEnvelope: [CascadePoint]
    public let cascades: Int
    public let randomMix: RandomMix
    public let leaveOneOut: [Attribution]
    public let unavailable: [UnavailablePolicy]
    public let settings: Settings

    /// Replays every policy the records allow on `pool`'s items; the rest are listed with what they lack.
    public init(_ matrix: CorrectnessMatrix, pool: ScoredPool, settings: Settings = .init()) throws(AnalysisError) {
        let ctx = ReplayContext(matrix: matrix, items: pool.items, pool: pool)
        let all = Array(matrix.models.indices)
        if settings.probes < 2 { throw .option("--probes must be at least 2, got \(settings.probes)") }
        var unavailable: [UnavailablePolicy] = []
        var policies: [PolicyResult] = []
        let singles = all.map(ctx.single)
        let answers = matrix.hasRecords
        if !answers {
            for p in ["plurality vote", "self-consistency", "σ-routing", "cascades"] {
                unavailable.append(.init(policy: p, reason: "\(matrix.source) holds verdicts only: the replay needs each cell's canonical answer (analyse the run itself)"))
            }
        } else {
            policies.append(ctx.vote(all))
        }
        let sampled = matrix.samples >= 2 ? all : []
        if answers && matrix.samples < 2 {
            for p in ["self-consistency", "cascades"] {
                unavailable.append(.init(policy: p, reason: "needs at least 2 samples per model; \(matrix.source) has \(matrix.samples)"))
            }
        }
        if answers { for m in sampled { policies.append(ctx.selfConsistency(m)) } }
        var envelope: [CascadePoint] = [], cascadeCount = 0
        if answers && !sampled.isEmpty {
            let points = ctx.cascades(sampled, samples: matrix.samples)
            cascadeCount = points.count
            envelope = ReplayContext.envelope(points)
        }
        // Ranked as the co-failure figures rank: right over answered, missing cells left out.
        let rate = all.map { m in 1 - pool.errorRate(m) }
        let ranking = all.sorted { (-rate[$0], $0) < (-rate[$1], $1) }
        if answers {
            if let name = settings.probe, !matrix.models.contains(name) { throw .unknownModel(name, known: matrix.models) }
            if matrix.samples < settings.probes {
                unavailable.append(.init(policy: "σ-routing", reason: "needs \(settings.probes) samples of the probe model; \(matrix.source) has \(matrix.samples) per model"))
            } else {
                let probe = settings.probe.flatMap { matrix.models.firstIndex(of: $0) }
                    ?? all.min { (singles[$0].costPerItem, $0) < (singles[$1].costPerItem, $1) }!
                policies.append(ctx.sigmaRouting(probe: probe, probes: settings.probes, ranking: ranking.filter { $0 != probe }))
            }
        }
        if settings.neighbours < 1 { throw .option("--neighbours must be at least 1, got \(settings.neighbours)") }
        let near = matrix.prompts.flatMap { pool.items.count >= 4 ? ctx.neighbours(prompts: $0, k: settings.neighbours, seed: settings.seed) : nil }
        let knn: ([Int]) -> PolicyResult? = { models in near.map { ctx.knnRouter(models, $0) } }
        if let r = knn(all) { policies.append(r) } else {
            unavailable.append(.init(policy: "kNN router", reason: matrix.prompts == nil
                ? "needs the items' prompts: " + (matrix.promptsNote ?? "\(matrix.source) has none (analyse a run with --data-dir, or TEAMLLM_DATA_DIR set)")
                : "needs at least 4 items"))
        }
        let mix = RandomMix(singles)
        self.singles = singles
        self.policies = policies.map { p in var p = p; p.randomMixAccuracy = mix.accuracy(atCost: p.costPerItem); return p }
        cascadeEnvelope = envelope
        cascades = cascadeCount
        randomMix = mix
        let fullVote = answers ? policies.first { $0.kind == "vote" }?.accuracy : nil
        let fullKNN = policies.first { $0.kind == "knn_router" }?.accuracy
        let fullOracle = ctx.oracle(all)
        leaveOneOut = all.map { m in
            let rest = all.filter { $0 != m }
            return Attribution(model: matrix.models[m],
                               vote: fullVote.map { ctx.vote(rest).accuracy - $0 },
                               knnRouter: fullKNN.flatMap { f in knn(rest).map { $0.accuracy - f } },
                               oracle: ctx.oracle(rest) - fullOracle)
        }
        self.unavailable = unavailable
        self.settings = settings
    }
}
