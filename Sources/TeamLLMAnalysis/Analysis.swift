import Foundation
import TeamLLM

/// Everything `teamllm analyze` computes for one pool: the co-failure figures at the top level of its JSON
/// (`beta`, `oracle_gain`, `certified_max_gain`, `mean_tetrachoric`, `beta_single_factor`, …), then the pairwise
/// correlations, the pool-size curve and the policy replays.
public struct Analysis: Encodable, Sendable {
    /// The knobs of an analysis; each is printed with the figures it produced.
    public struct Settings: Sendable {
        public var coverage: Coverage = .complete
        public var delta = 0.05
        public var resamples = 2000
        public var seed: UInt64 = 0
        public var subsets = 60
        public var poolCurve = true
        public var replays = PolicyReplays.Settings()
        /// The pool, when not every model of the matrix.
        public var pool: [String]?
        /// The grader version counted and the data folder read, when given (so the command printed reproduces them).
        public var grader: String?
        public var dataDir: String?
        public init() {}
    }

    public let source: String
    public let sourceArgument: String
    public let benchmark: String?
    public let models: [String]
    public let coFailure: CoFailure
    public let pairwise: PairwiseErrors
    public let poolCurve: PoolCurve?
    public let replays: PolicyReplays
    /// Whether the matrix carries the run's costs, latencies and answers (a CSV carries verdicts only).
    public let hasRecords: Bool
    /// The command that prints these figures again (`--json`, and `jq` with a figure's key, picks one).
    public let command: String

    /// Analyses `matrix`, restricted to `settings.pool` when it names one.
    public init(_ matrix: CorrectnessMatrix, settings: Settings = .init()) throws(AnalysisError) {
        let matrix = try settings.pool.map { p throws(AnalysisError) in try matrix.selecting(models: p) } ?? matrix
        var words = ["teamllm", "analyze", matrix.sourceArgument]
        if let b = matrix.benchmark { words += ["--benchmark", b] }
        if let g = settings.grader { words += ["--grader", g] }
        if let d = settings.dataDir, matrix.prompts != nil { words += ["--data-dir", d] }
        if let p = settings.pool { words += ["--models", p.joined(separator: ",")] }
        if settings.coverage != .complete { words += ["--coverage", settings.coverage.description] }
        if settings.delta != 0.05 { words += ["--delta", "\(settings.delta)"] }
        if settings.resamples != 2000 { words += ["--resamples", "\(settings.resamples)"] }
        if settings.seed != 0 { words += ["--seed", "\(settings.seed)"] }
        if settings.subsets != 60 { words += ["--subsets", "\(settings.subsets)"] }
        if let p = settings.replays.probe { words += ["--probe", p] }
        if settings.replays.probes != 3 { words += ["--probes", "\(settings.replays.probes)"] }
        if settings.replays.neighbours != 5 { words += ["--neighbours", "\(settings.replays.neighbours)"] }
        command = words.joined(separator: " ")
        let pool = try ScoredPool(matrix, coverage: settings.coverage)
        let pairwise = PairwiseErrors(pool)
        hasRecords = matrix.hasRecords
        source = matrix.source; sourceArgument = matrix.sourceArgument; benchmark = matrix.benchmark; models = matrix.models
        coFailure = try CoFailure(pool, pairwise: pairwise, delta: settings.delta, resamples: settings.resamples, seed: settings.seed)
        self.pairwise = pairwise
        if settings.subsets < 1 { throw .option("--subsets must be at least 1, got \(settings.subsets)") }
        poolCurve = settings.poolCurve ? PoolCurve(pool, pairwise: pairwise, subsets: settings.subsets, seed: settings.seed) : nil
        var replaySettings = settings.replays
        replaySettings.seed = settings.seed
        replays = try PolicyReplays(matrix, pool: pool, settings: replaySettings)
    }

    enum Keys: String, CodingKey { case source, benchmark, pool, phi, tetrachoric, poolCurve, replays, command }

    public func encode(to encoder: Encoder) throws {
        try coFailure.encode(to: encoder)
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(source, forKey: .source)
        try c.encodeIfPresent(benchmark, forKey: .benchmark)
        try c.encode(models, forKey: .pool) // `models` is CoFailure's per-model accuracies
        try c.encode(pairwise.phi, forKey: .phi)
        try c.encode(pairwise.tetrachoric, forKey: .tetrachoric)
        try c.encodeIfPresent(poolCurve, forKey: .poolCurve)
        try c.encode(replays, forKey: .replays)
        try c.encode(command, forKey: .command)
    }

    /// The JSON object (snake_case keys, sorted).
    public func json() throws -> Data {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return try e.encode(self)
    }
}
