import ArgumentParser
import Foundation
import TeamLLM
import TeamLLMAnalysis

/// Which matrix an analysis reads and how: shared by `analyze` and `report`.
struct AnalysisOptions: ParsableArguments {
    @Argument(help: "Run id or run folder (or use --matrix).") var run: String?
    @Option(help: "A CSV matrix made elsewhere: an 'item' column, then one 0/1 column per model (empty = missing).") var matrix: String?
    @Option(help: "The benchmark to analyse (needed when the run has several).") var benchmark: String?
    @Option(help: "Comma-separated models forming the pool (default: every model of the matrix).") var models: String?
    @Option(help: "complete (items every model answered) or a fraction: items answered by at least that share of the pool.") var coverage = "complete"
    @Option(help: "NAME@VERSION: count this grader version's grades (default: each answer's newest grade).") var grader: String?
    @Option(help: "δ of the certificate: β_lo is the one-sided lower limit at 1 − δ.") var delta = 0.05
    @Option(help: "Query-bootstrap resamples for the oracle gain's interval.") var resamples = 2000
    @Option(help: "Seed of the bootstrap, the pool-size subsets and the kNN split.") var seed: UInt64 = 0
    @Option(help: "Random k-subsets per pool size.") var subsets = 60
    @Option(help: "σ-routing's probe model (default: the cheapest per item).") var probe: String?
    @Option(help: "σ-routing's probe samples.") var probes = 3
    @Option(help: "Neighbours of the kNN router.") var neighbours = 5
    @OptionGroup var paths: Paths

    /// The analysis these options ask for.
    func analysis() throws -> Analysis {
        var settings = Analysis.Settings()
        settings.coverage = try Coverage(coverage)
        (settings.delta, settings.resamples, settings.seed, settings.subsets) = (delta, resamples, seed, subsets)
        settings.replays.probe = probe; settings.replays.probes = probes; settings.replays.neighbours = neighbours
        settings.grader = grader
        settings.pool = models.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        let m: CorrectnessMatrix
        switch (run, matrix) {
        case let (nil, file?):
            guard let data = FileManager.default.contents(atPath: file) else { throw RunError.notFound("matrix file \(file)") }
            m = try CorrectnessMatrix.csv(data, file: file)
        case let (ref?, nil):
            let data = (paths.dataDir ?? ProcessInfo.processInfo.environment["TEAMLLM_DATA_DIR"]).flatMap { $0.isEmpty ? nil : $0 }
            settings.dataDir = data
            m = try CorrectnessMatrix.load(try paths.run(ref), benchmark: benchmark, grader: GraderSelection(spec: grader),
                                           dataDir: data.map { URL(fileURLWithPath: $0) }, registryDir: URL(fileURLWithPath: paths.registry))
        default:
            throw ValidationError("name a run, or a matrix file with --matrix, not both")
        }
        return try Analysis(m, settings: settings)
    }
}

struct Analyze: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The co-failure certificate, error correlations, pool-size curve and policy replays of a matrix.",
        discussion: "Every figure is defined in docs/analyses.md. Missing cells never count as wrong.")
    @OptionGroup var options: AnalysisOptions
    @Flag(help: "Print one JSON object (keys include beta, oracle_gain, certified_max_gain, mean_tetrachoric, beta_single_factor).") var json = false

    func run() async throws {
        do {
            let a = try options.analysis()
            FileHandle.standardOutput.write(json ? try a.json() + Data("\n".utf8) : Data(a.render().utf8))
        } catch let e as ValidationError { throw e } catch { throw fail(error) }
    }
}
