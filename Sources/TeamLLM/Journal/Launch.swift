import Foundation

extension RunFolder {
    /// The run folder: created (frozen) on first launch, or checked against the manifest and registry on resume.
    static func prepare(options: RunOptions, manifest: Manifest, manifestText: String, plan: SweepPlan,
                        registry frozen: FrozenRegistry, recordingHashes: [(String, String)]) throws -> (RunFolder, isResume: Bool) {
        if let id = options.runID { try RunFolder.checkID(id) }
        let folderURL = options.runsDir.appendingPathComponent(try options.runID ?? manifest.runID())
        do { try FileManager.default.createDirectory(at: options.runsDir, withIntermediateDirectories: true) } catch {
            throw RunError.cannotWrite(path: options.runsDir.path, reason: SystemError.words(error))
        }
        if FileManager.default.fileExists(atPath: folderURL.path) {
            let folder = RunFolder(url: folderURL)
            try folder.checkSameLaunch(manifest: manifest, registry: frozen)
            return (folder, true)
        }
        // `--run` continues a run; it never starts one under a name the manifest does not give.
        if let id = options.runID {
            throw RunError.notFound("run '\(id)' under \(options.runsDir.path) (--run continues an existing run; to launch this manifest, leave --run out)")
        }
        let datasets = Dictionary(plan.datasets.map { ($0.benchmark.file, $0.sha256) } + recordingHashes, uniquingKeysWith: { a, _ in a })
        let env = RunEnvironment.current()
        struct Fingerprint: Encodable {
            let run, manifestHash, manifestSourceHash, planHash, registryHash: String
            let cells: Int
            let datasets: [String: String]
            let environment: RunEnvironment
        }
        let (folder, created) = try create(at: folderURL, manifest: manifest, manifestText: manifestText, planTable: plan.table, registry: frozen) { registryHash in
            let fp = Fingerprint(run: folderURL.lastPathComponent, manifestHash: try manifest.hash(), manifestSourceHash: Digest.sha256(manifestText),
                                 planHash: plan.hash, registryHash: registryHash, cells: plan.cells.count, datasets: datasets, environment: env)
            return RunHeader(run: fp.run, manifestHash: fp.manifestHash, manifestSourceHash: fp.manifestSourceHash, planHash: fp.planHash,
                             registryHash: registryHash, cells: fp.cells, datasets: datasets, environment: env,
                             fingerprint: try CanonicalJSON.hash(fp), createdAt: Clock.now())
        }
        // Another launcher may have created it first; then this is a resume of theirs, held to the same checks.
        if !created { try folder.checkSameLaunch(manifest: manifest, registry: frozen) }
        return (folder, !created)
    }

    /// Refuses to continue a run with a manifest or registry other than the ones it was frozen with.
    func checkSameLaunch(manifest: Manifest, registry: FrozenRegistry) throws {
        let frozen = try self.manifest()
        let diff = try manifest.differences(from: frozen)
        guard diff.isEmpty else { throw RunError.manifestMismatch(run: id, fields: diff) }
        let frozenRegistry = try self.registry()
        guard frozenRegistry == registry else {
            var changed: [String] = []
            for m in registry.models where !frozenRegistry.models.contains(m) { changed.append("model \(m.id)") }
            for b in registry.benchmarks where !frozenRegistry.benchmarks.contains(b) { changed.append("benchmark \(b.id)") }
            for r in registry.recordings where !frozenRegistry.recordings.contains(r) { changed.append("recording \(r.id)") }
            for t in registry.templates where !frozenRegistry.templates.contains(t) { changed.append("template \(t.name)") }
            throw RunError.registryChanged(run: id, fields: changed)
        }
    }

}

extension FrozenRegistry {
    /// The models, benchmarks, recordings and templates a plan uses.
    init(plan: SweepPlan, registry: Registry) {
        let benchmarks = plan.datasets.map(\.benchmark)
        let recordings = Set(plan.models.compactMap { m in
            plan.manifest.models.first { $0.ref == m.id }?.provider == .replay ? m.replay?.recording : nil
        }).sorted().compactMap { registry.recordings[$0] }
        let templates = Set(benchmarks.map(\.template)).sorted().compactMap { registry.templates[$0] }
        self.init(models: plan.models, benchmarks: benchmarks, recordings: recordings, templates: templates)
    }
}
