import Foundation
import TeamLLM

/// The dense model × item × sample matrix every analysis reads: one typed cell per position, built in a single
/// pass over a run's matrix (or a 0/1 CSV from elsewhere), nothing looked up by string afterwards.
public struct CorrectnessMatrix: Sendable {
    /// One position of the matrix.
    public struct Cell: Sendable, Equatable {
        public var verdict: MatrixVerdict
        /// The grade's canonical answer, interned per item (equal answers share the number); nil when none.
        public var answer: Int32?
        public var costUSD: Double
        public var tokensIn: Int?
        public var tokensOut: Int?
        public var latencyMs: Int?

        static let missing = Cell(verdict: .missing, answer: nil, costUSD: 0, tokensIn: nil, tokensOut: nil, latencyMs: nil)
    }

    /// Where the matrix came from, as a researcher would name it (a run and benchmark, or a file).
    public let source: String
    /// The command-line argument that reads the same matrix again (a run id, or `--matrix FILE`).
    public let sourceArgument: String
    public let benchmark: String?
    public let models: [String]
    public let items: [String]
    /// Samples per (model, item): the largest sample index seen plus one.
    public let samples: Int
    /// Each item's prompt text, when the datasets could be read; the kNN router needs it.
    public let prompts: [String]?
    /// Why there are no prompts, when the datasets were asked for and could not be read.
    public var promptsNote: String? = nil
    /// Whether costs, latencies and answers were recorded (a run) or only verdicts (a CSV).
    public let hasRecords: Bool
    var cells: [Cell]

    /// The cell of `model`, `item`, `sample` (indices).
    @inline(__always)
    public subscript(model: Int, item: Int, sample: Int) -> Cell { cells[(model * items.count + item) * samples + sample] }

    /// A matrix from given cells (tests and the CSV reader).
    public init(source: String, sourceArgument: String, benchmark: String?, models: [String], items: [String], samples: Int,
                prompts: [String]? = nil, hasRecords: Bool, cells: [Cell]) {
        precondition(cells.count == models.count * items.count * samples)
        (self.source, self.sourceArgument, self.benchmark, self.models, self.items, self.samples, self.prompts, self.hasRecords, self.cells)
            = (source, sourceArgument, benchmark, models, items, samples, prompts, hasRecords, cells)
    }

    /// The dense matrix of one benchmark of a run, from its rebuilt matrix (`Matrix.build`): one pass over the cells.
    /// `benchmark` may be omitted when the run has one; `prompts` maps item id to prompt text when known.
    public static func of(_ matrix: Matrix, run: String, benchmark: String?, prompts: [String: String]? = nil) throws(AnalysisError) -> CorrectnessMatrix {
        var benchmarks: [String] = []
        for c in matrix.cells where benchmarks.last != c.benchmark && !benchmarks.contains(c.benchmark) { benchmarks.append(c.benchmark) }
        let chosen: String
        if let benchmark {
            guard benchmarks.contains(benchmark) else {
                throw .benchmark("benchmark '\(benchmark)' is not in run \(run) (benchmarks: \(benchmarks.joined(separator: ", ")))")
            }
            chosen = benchmark
        } else {
            guard benchmarks.count == 1 else {
                throw .benchmark("run \(run) has \(benchmarks.count) benchmarks (\(benchmarks.joined(separator: ", "))): choose one with --benchmark")
            }
            chosen = benchmarks[0]
        }
        var models: [String] = [], items: [String] = []
        var modelIndex: [String: Int] = [:], itemIndex: [String: Int] = [:]
        var samples = 1
        let mine = matrix.cells.filter { $0.benchmark == chosen }
        for c in mine {
            if modelIndex[c.model] == nil { modelIndex[c.model] = models.count; models.append(c.model) }
            if itemIndex[c.item] == nil { itemIndex[c.item] = items.count; items.append(c.item) }
            samples = max(samples, c.sample + 1)
        }
        var cells = [Cell](repeating: .missing, count: models.count * items.count * samples)
        var answers: [[String: Int32]] = Array(repeating: [:], count: items.count)
        for c in mine {
            let m = modelIndex[c.model]!, i = itemIndex[c.item]!
            let answer = c.canonical.map { key -> Int32 in
                if let n = answers[i][key] { return n }
                let n = Int32(answers[i].count); answers[i][key] = n; return n
            }
            cells[(m * items.count + i) * samples + c.sample] = Cell(
                verdict: c.verdict, answer: c.verdict == .missing ? nil : answer, costUSD: NSDecimalNumber(decimal: c.costUSD.value).doubleValue,
                tokensIn: c.tokensIn, tokensOut: c.tokensOut, latencyMs: c.latencyMs)
        }
        let texts = prompts.map { p in items.map { p[$0] ?? "" } }
        return CorrectnessMatrix(source: "run \(run), benchmark \(chosen)", sourceArgument: run, benchmark: chosen, models: models,
                                 items: items, samples: samples, prompts: texts, hasRecords: true, cells: cells)
    }

    /// The same matrix restricted to `names`, in the order given.
    public func selecting(models names: [String]) throws(AnalysisError) -> CorrectnessMatrix {
        var picked: [Int] = []
        for n in names {
            guard let m = models.firstIndex(of: n) else { throw .unknownModel(n, known: models) }
            if !picked.contains(m) { picked.append(m) }
        }
        var out: [Cell] = []
        out.reserveCapacity(picked.count * items.count * samples)
        for m in picked { out += cells[(m * items.count * samples)..<((m + 1) * items.count * samples)] }
        return CorrectnessMatrix(source: source, sourceArgument: sourceArgument, benchmark: benchmark, models: picked.map { models[$0] },
                                 items: items, samples: samples, prompts: prompts, hasRecords: hasRecords, cells: out)
    }
}

extension CorrectnessMatrix {
    /// The dense matrix of one benchmark of a run, counting the grades `grader` selects; with a data folder the
    /// items' prompts are read too (hash-checked against the run's frozen registry), for the kNN router.
    public static func load(_ folder: RunFolder, benchmark: String?, grader: GraderSelection = .newest,
                            dataDir: URL? = nil, registryDir: URL? = nil) throws -> CorrectnessMatrix {
        let matrix = try Matrix.build(folder, grader: grader)
        var prompts: [String: String]?
        var note: String?
        if let dataDir {
            // Only the kNN router needs the prompts: a dataset that cannot be read takes it out, not the analysis.
            do {
                var texts: [String: String] = [:]
                for b in try folder.registry().benchmarks where benchmark == nil || b.id == benchmark {
                    for item in try Dataset.load(b, dataDir: dataDir, registryDir: registryDir).items { texts[item.id] = item.question }
                }
                prompts = texts
            } catch {
                note = "the prompts could not be read from \(dataDir.path): \(error)"
            }
        }
        var m = try of(matrix, run: folder.id, benchmark: benchmark, prompts: prompts)
        m.promptsNote = note
        return m
    }
}
