import Foundation

/// A cell of the plan: identity, seed, and where its item and model come from.
public struct PlannedCell: Sendable {
    public let id: CellID
    public let seed: Int
    let benchmarkIndex: Int
    let itemIndex: Int
    let modelIndex: Int
}

/// Every cell of a sweep with its seed, in the order of work. Derived from the manifest alone,
/// so two launches of one manifest plan identical cells.
public struct SweepPlan: Sendable {
    public let manifest: Manifest
    public let datasets: [Dataset]
    /// Items chosen per benchmark, in dataset order.
    public let items: [[Item]]
    public let models: [ModelEntry]
    public let cells: [PlannedCell]
    /// The cell list as frozen into `plan.tsv`: `<cell id>\t<seed>\t<item index>` per line, in work order.
    public let table: String
    /// sha256 of `table`: the plan hash.
    public let hash: String
    /// Each benchmark's grader (the manifest's, else the registry entry's) with its identity, resolved once;
    /// nil for a grader this build lacks (manifest validation refuses those before a plan is made).
    let graders: [(kind: GraderKind, identity: GraderIdentity)?]

    public init(manifest: Manifest, registry: Registry, dataDir: URL) throws {
        self.manifest = manifest
        let datasets = try manifest.benchmarks.map { try Dataset.load(registry.benchmark($0.ref), dataDir: dataDir, registryDir: registry.root) }
        self.datasets = datasets
        self.models = try manifest.models.map { try registry.model($0.ref) }
        var items: [[Item]] = []
        for (b, (sel, ds)) in zip(manifest.benchmarks, datasets).enumerated() {
            var chosen = ds.items
            if let subset = sel.subset {
                let known = Set(ds.items.map(\.id))
                if let j = subset.firstIndex(where: { !known.contains($0) }) {
                    // Located by field path; the caller, which has the manifest text, adds file, line and column.
                    throw ConfigError(file: "", line: 0, column: 0, path: "benchmarks[\(b)].subset[\(j)]",
                                      message: "the dataset \(ds.benchmark.file) has no item '\(subset[j])' (\(ds.items.count) items, ids such as \(ds.items.prefix(3).map { "'\($0.id)'" }.joined(separator: ", ")))")
                }
                let wanted = Set(subset)
                chosen = chosen.filter { wanted.contains($0.id) }
            }
            if let limit = sel.limit, limit < chosen.count {
                let keep = Set(chosen.map { ($0.id, Seeds.subsetKey(shuffleSeed: sel.shuffleSeed, benchmark: sel.ref, item: $0.id)) }
                    .sorted { $0.1 < $1.1 }.prefix(limit).map(\.0))
                chosen = chosen.filter { keep.contains($0.id) }
            }
            if sel.shuffleChoices == true {
                // One order per item, the same for every model and sample: all models answer the same question.
                for k in chosen.indices where chosen[k].choices != nil {
                    chosen[k].choiceOrder = MultipleChoice.shuffledOrder(count: chosen[k].choices!.count,
                                                                          seed: Seeds.choiceOrder(master: manifest.seed, benchmark: sel.ref, item: chosen[k].id))
                }
            }
            items.append(chosen)
        }
        self.items = items
        var cells: [(PlannedCell, String)] = []
        for (b, sel) in manifest.benchmarks.enumerated() {
            for (i, item) in items[b].enumerated() {
                for (m, model) in manifest.models.enumerated() {
                    for s in 0..<manifest.sampling.samples {
                        let id = CellID(benchmark: sel.ref, item: item.id, model: model.ref, sample: s)
                        cells.append((PlannedCell(id: id, seed: Seeds.cell(master: manifest.seed, id), benchmarkIndex: b,
                                                  itemIndex: i, modelIndex: m), Seeds.orderKey(master: manifest.seed, id)))
                    }
                }
            }
        }
        self.cells = cells.sorted { $0.1 < $1.1 }.map(\.0)
        var digestInput = ""
        digestInput.reserveCapacity(self.cells.count * 60)
        for c in self.cells { digestInput += "\(c.id)\t\(c.seed)\t\(items[c.benchmarkIndex][c.itemIndex].index)\n" }
        self.table = digestInput
        self.hash = Digest.sha256(digestInput)
        self.graders = zip(manifest.benchmarks, datasets).map { sel, ds in
            try? GraderCatalog.entry(spec: sel.grader ?? ds.benchmark.grader)
        }
    }

    func item(of cell: PlannedCell) -> Item { items[cell.benchmarkIndex][cell.itemIndex] }
    func benchmark(of cell: PlannedCell) -> BenchmarkEntry { datasets[cell.benchmarkIndex].benchmark }
    /// `name@version` of the grader of a cell's benchmark: the manifest's, else the registry entry's.
    func graderSpec(of cell: PlannedCell) -> String { manifest.benchmarks[cell.benchmarkIndex].grader ?? benchmark(of: cell).grader }
    /// The grader of a cell's benchmark and its identity, nil when this build lacks it.
    func grader(of cell: PlannedCell) -> (kind: GraderKind, identity: GraderIdentity)? { graders[cell.benchmarkIndex] }

    /// The identities of the program graders this plan's benchmarks need (each must be given an implementation).
    var programGraders: [GraderIdentity] {
        graders.reduce(into: []) { out, g in
            if let g, case .program = g.kind, !out.contains(g.identity) { out.append(g.identity) }
        }
    }
    func model(of cell: PlannedCell) -> ModelEntry { models[cell.modelIndex] }
    func provider(of cell: PlannedCell) -> ProviderKind { manifest.models[cell.modelIndex].provider }
}
