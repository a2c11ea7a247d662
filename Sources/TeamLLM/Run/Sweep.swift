import Foundation

/// Where a sweep reads from and writes to.
public struct RunOptions: Sendable {
    public var registryDir: URL
    public var dataDir: URL
    public var runsDir: URL
    /// Live progress on stderr: automatic (a live line on a terminal, a plain line every few seconds otherwise) or off.
    public var progress: Bool
    /// Stop scheduling after this many cells (a controlled interruption, for tests and trials).
    public var stopAfter: Int?
    /// Launch into this run id instead of the one the manifest hash gives (refused if its frozen manifest differs).
    public var runID: String?

    public init(registryDir: URL, dataDir: URL, runsDir: URL, progress: Bool = true, stopAfter: Int? = nil, runID: String? = nil) {
        self.registryDir = registryDir; self.dataDir = dataDir; self.runsDir = runsDir
        self.progress = progress; self.stopAfter = stopAfter; self.runID = runID
    }

    /// The cache folder a manifest names, resolved against the runs directory.
    public func cacheURL(_ manifest: Manifest) -> URL {
        manifest.cache.hasPrefix("/") ? URL(fileURLWithPath: manifest.cache) : runsDir.appendingPathComponent(manifest.cache)
    }
}

/// How a launch or resume ended.
public struct SweepReport: Sendable {
    public let folder: RunFolder
    public let cells: Int
    public let completed: Int
    public let sweepPhase: Phase
    public let spend: USD
    /// Why scheduling stopped before every cell ran (budget cap, stop-after), if it did.
    public let stoppedBy: String?
    /// Repairs and warnings found on the way, e.g. a torn line kept in quarantine.
    public let notices: [String]
}

/// Launches a sweep from a manifest, or resumes it where it stopped.
public enum Sweep {
    /// Runs every cell of the manifest not yet COMPLETED in its run folder.
    public static func run(manifest url: URL, options: RunOptions) async throws -> SweepReport {
        let registry = try Registry.load(from: options.registryDir)
        let manifestText: String
        do { manifestText = try String(contentsOf: url, encoding: .utf8) } catch {
            throw ConfigError(file: url.path, line: 0, column: 0, path: "", message: "cannot read the manifest (\(error.localizedDescription))")
        }
        let manifest = try Manifest.parse(manifestText, file: url.path, registry: registry)
        // The recording and the datasets are the bulk of start-up and independent: read them side by side.
        async let loading = makeProviders(manifest: manifest, registry: registry, dataDir: options.dataDir)
        let plan = try YAMLValue.locating(in: manifestText, file: url.path) { try SweepPlan(manifest: manifest, registry: registry, dataDir: options.dataDir) }
        let providers = try await loading
        let frozen = freeze(plan: plan, registry: registry)
        // The cache opens before the run folder is made: a cache that cannot be opened leaves nothing behind.
        let cache = try ResponseCache(root: options.cacheURL(manifest))
        let (folder, isResume) = try prepareFolder(options: options, manifest: manifest, manifestText: manifestText, plan: plan,
                                                   registry: frozen, recordingHashes: providers.recordingHashes)
        let lock = try RunLock(folder)
        defer { withExtendedLifetime(lock) {} }

        let header = try folder.readHeader()
        guard header.planHash == plan.hash else {
            throw RunError.corrupt("run \(folder.id) was planned as \(header.planHash.prefix(12))… but the manifest now plans \(plan.hash.prefix(12))…; datasets or seeds differ")
        }

        let loaded = try loadRecords(folder)
        let state = loaded.state, tornNotes = loaded.torn
        var notices = tornNotes.map {
            "\($0.stream).jsonl: incomplete last line at byte \($0.offset) (\($0.length) bytes, left by a crash) moved to quarantine/\($0.quarantine); its work will be redone"
        }

        // Responses a crash left in a pack between its write and its index commit are indexed first, so
        // that nothing paid for is paid for again (they are recorded as recovered, or found as hits).
        let recovered = try cache.recoverUnindexed()
        let claimOwner = ClaimOwner.current(run: folder.id)
        defer { try? cache.release(owner: claimOwner) }
        let journal = try RunJournal(folder: folder, cache: cache, tails: loaded.tails, state: state, cap: manifest.budgetUSD,
                                     anchored: loaded.anchored, claimOwner: claimOwner)
        if !recovered.isEmpty {
            notices.append("cache: \(recovered.count) stored responses a crash left unindexed were indexed again (none is paid for twice)")
        }
        try await journal.record(SessionRecord.start(isResume ? .resume : .launch, environment: RunEnvironment.current(), cache: cache.root))
        for note in tornNotes { try await journal.record(SessionRecord.torn(note)) }

        var sweep = Progress.resume(at: state.ledger.sweep)
        if case let .pending(p) = sweep {
            let (e, t) = p.start()
            try await journal.recordSweep(t)
            sweep = .executing(e)
        }

        let context = CellContext(requests: RequestBuilder(plan: plan, registry: registry, providers: providers.byKind), cache: cache,
                                  journal: journal, runID: folder.id, claimOwner: claimOwner)
        let todo = plan.cells.filter { state.needsWork($0.id) }
        let ticker = options.progress ? ProgressLine.start(journal: journal, total: plan.cells.count, done: plan.cells.count - todo.count) : nil
        let stoppedBy = try await execute(todo, context: context, concurrency: manifest.concurrency, stopAfter: options.stopAfter)
        ticker?.cancel()
        _ = await ticker?.value

        let completed = await journal.completed(of: plan.cells)
        if completed == plan.cells.count {
            if case let .executing(e) = sweep {
                let (v, t) = e.executed()
                try await journal.recordSweep(t)
                sweep = .verifying(v)
            }
            if case let .verifying(v) = sweep {
                try await journal.sync()
                let problems = await journal.unfinished(of: plan.cells)
                guard problems.isEmpty else {
                    throw RunError.corrupt("every cell was run but the sweep does not check out: \(problems.prefix(3).joined(separator: "; "))")
                }
                try await journal.recordSweep(v.verified())
            }
        }
        try await journal.sync()
        return SweepReport(folder: folder, cells: plan.cells.count, completed: completed, sweepPhase: await journal.sweepPhase,
                           spend: await journal.spend, stoppedBy: stoppedBy, notices: notices)
    }

    /// The run folder: created (frozen) on first launch, or checked against the manifest and registry on resume.
    private static func prepareFolder(options: RunOptions, manifest: Manifest, manifestText: String, plan: SweepPlan,
                                      registry frozen: FrozenRegistry, recordingHashes: [(String, String)]) throws -> (RunFolder, isResume: Bool) {
        if let id = options.runID { try RunFolder.checkID(id) }
        let folderURL = options.runsDir.appendingPathComponent(try options.runID ?? manifest.runID())
        do { try FileManager.default.createDirectory(at: options.runsDir, withIntermediateDirectories: true) } catch {
            throw RunError.cannotWrite(path: options.runsDir.path, reason: SystemError.words(error))
        }
        if FileManager.default.fileExists(atPath: folderURL.path) {
            let folder = RunFolder(url: folderURL)
            try checkSameLaunch(folder, manifest: manifest, registry: frozen)
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
        let folder = try RunFolder.create(at: folderURL, manifest: manifest, manifestText: manifestText, planTable: plan.table, registry: frozen) { registryHash in
            let fp = Fingerprint(run: folderURL.lastPathComponent, manifestHash: try manifest.hash(), manifestSourceHash: Digest.sha256(manifestText),
                                 planHash: plan.hash, registryHash: registryHash, cells: plan.cells.count, datasets: datasets, environment: env)
            return RunHeader(run: fp.run, manifestHash: fp.manifestHash, manifestSourceHash: fp.manifestSourceHash, planHash: fp.planHash,
                             registryHash: registryHash, cells: fp.cells, datasets: datasets, environment: env,
                             fingerprint: try CanonicalJSON.hash(fp), createdAt: Clock.now())
        }
        // Another launcher may have created it first; then this is a resume of theirs.
        if folder.url != folderURL { return (folder, true) }
        return (folder, false)
    }

    /// What resume reads back: the live state, where each stream ends, torn tails it kept, and the last anchor.
    struct Loaded {
        var state: LiveState
        var tails: [String: StreamTail]
        var torn: [TornLineNote]
        var anchored: [StreamHead]
    }

    /// Reads every stream into the live state, keeping no lines; a torn tail goes to quarantine and the chain continues.
    ///
    /// Every stream is held to the anchors in sessions.jsonl: a stream shorter than what was once anchored
    /// is refused (whole records were cut), except for a torn last line, the one thing a crash can leave.
    private static func loadRecords(_ folder: RunFolder) throws -> Loaded {
        // Sessions first (small): its anchors are checked while the other three are read side by side
        // (each job writes only its own variables); torn tails are moved only once all four read cleanly.
        var anchors = StreamAnchors()
        var named = Set<String>()
        let s = try StreamReader.records(folder.stream(SessionRecord.self), SessionRecord.self) {
            anchors.add($0)
            if let q = $0.payload.torn?.quarantine { named.insert(q) }
        }
        var events = LiveState(), attempts = LiveState(), grades = LiveState()
        var e = StreamTail(count: 0, lastHash: SealedLine.genesis), a = e, g = e
        let heads = anchors.heads
        try sideBySide([
            { e = try StreamReader.records(folder.stream(EventRecord.self), EventRecord.self, anchored: heads[EventRecord.stream] ?? [:]) {
                try events.ledger.apply($0.payload, line: $0.seq) } },
            { a = try StreamReader.records(folder.stream(AttemptRecord.self), AttemptRecord.self, anchored: heads[AttemptRecord.stream] ?? [:]) {
                attempts.add($0.payload) } },
            { g = try StreamReader.records(folder.stream(GradeRecord.self), GradeRecord.self, anchored: heads[GradeRecord.stream] ?? [:]) {
                grades.add($0.payload) } },
        ])
        for (stream, tail) in [(EventRecord.stream, e), (AttemptRecord.stream, a), (GradeRecord.stream, g)] {
            guard let h = anchors.highest(stream), h.count > tail.count else { continue }
            // The anchored last line may be the one a crash tore (power loss, a damaged sector): it is kept
            // in quarantine and redone. Anything shorter lost whole records, which resume must not paper over.
            if tail.torn != nil && h.count == tail.count + 1 { continue }
            throw RunError.cut(stream: stream, count: tail.count, anchored: h.count, place: h.place)
        }
        var state = attempts
        state.ledger = events.ledger
        state.graded = grades.graded
        var tails: [String: StreamTail] = [:]
        var torn: [TornLineNote] = []
        for (stream, var tail) in [(EventRecord.stream, e), (AttemptRecord.stream, a), (GradeRecord.stream, g), (SessionRecord.stream, s)] {
            if let t = tail.torn {
                let url = folder.url.appendingPathComponent("\(stream).jsonl")
                let kept = try RecordStream.quarantine(t, of: url, into: folder.quarantine)
                torn.append(TornLineNote(stream: stream, offset: t.offset, length: t.bytes.count, sha256: Digest.sha256(t.bytes), quarantine: kept, kept: tail.count))
                tail.torn = nil
            }
            tails[stream] = tail
        }
        // A kill between cutting a torn tail and recording it leaves a kept file no record names: name it now.
        let kept = (try? FileManager.default.contentsOfDirectory(atPath: folder.quarantine.path)) ?? []
        for file in kept.sorted() where file.hasSuffix(".torn") && !named.contains(file) && !torn.contains(where: { $0.quarantine == file }) {
            let parts = file.dropLast(5).components(separatedBy: "-at-")
            guard parts.count == 2, let offset = Int(parts[1].split(separator: "-").first ?? ""),
                  let bytes = FileManager.default.contents(atPath: folder.quarantine.appendingPathComponent(file).path) else { continue }
            torn.append(TornLineNote(stream: parts[0], offset: offset, length: bytes.count, sha256: Digest.sha256(bytes), quarantine: file, kept: nil))
        }
        return Loaded(state: state, tails: tails, torn: torn, anchored: anchors.last?.heads ?? [])
    }

    /// Cells per batch: large enough that a batch's one SQLite transaction and one write per stream
    /// cost little per cell, small enough that progress and the records move every few milliseconds.
    static let batchSize = 256

    /// Runs cells batch by batch, two batches at a time so that one batch's serial steps (cache
    /// transaction, appends) overlap the other's encoding and grading; returns why it stopped early, if it did.
    ///
    /// Each of the two lanes gets its share of the manifest's `concurrency`, so calls in flight never exceed it.
    /// When the budget cannot cover a whole batch, the part it covers runs and nothing else starts until the
    /// running batches have turned their reservations into real spend; scheduling stops at the cap only
    /// when nothing is running and not one more cell fits.
    private static func execute(_ todo: [PlannedCell], context: CellContext, concurrency: Int, stopAfter: Int?) async throws -> String? {
        var stoppedBy: String?
        var next = 0
        var waitingForBudget = false
        let lanes = min(2, max(concurrency, 1))
        var free = (0..<lanes).map { lane in concurrency / lanes + (lane < concurrency % lanes ? 1 : 0) }
        try await withThrowingTaskGroup(of: (share: Int, reserved: [USD]).self) { group in
            var running = 0
            while true {
                if stoppedBy == nil, !waitingForBudget, next < todo.count, let share = free.popLast() {
                    var end = min(todo.count, next + batchSize)
                    if let limit = stopAfter, end >= limit {
                        end = max(next, limit)
                        stoppedBy = "stop-after \(limit)"
                    }
                    let candidates = Array(todo[next..<end])
                    let reserved = await context.journal.reserve(candidates.map { ($0.id, context.ceiling($0)) })
                    if reserved.count < candidates.count {
                        if stoppedBy != nil { stoppedBy = nil } // the budget, not stop-after, decides this batch's end
                        if reserved.isEmpty && running == 0 { stoppedBy = "budget cap" }
                        waitingForBudget = true
                    }
                    if reserved.isEmpty { free.append(share); continue }
                    let batch = Array(candidates.prefix(reserved.count))
                    next += batch.count
                    running += 1
                    group.addTask {
                        do { try await context.run(batch, concurrency: share) } catch {
                            await context.journal.release(reserved)
                            throw error
                        }
                        return (share, reserved)
                    }
                    continue
                }
                guard running > 0, let (share, reserved) = try await group.next() else { break }
                running -= 1
                await context.journal.release(reserved)
                free.append(share)
                waitingForBudget = false
            }
        }
        return stoppedBy
    }

    /// Refuses to continue a run with a manifest or registry other than the ones it was frozen with.
    private static func checkSameLaunch(_ folder: RunFolder, manifest: Manifest, registry: FrozenRegistry) throws {
        let frozen = try folder.manifest()
        let diff = try manifest.differences(from: frozen)
        guard diff.isEmpty else { throw RunError.manifestMismatch(run: folder.id, fields: diff) }
        let frozenRegistry = try folder.registry()
        guard frozenRegistry == registry else {
            var changed: [String] = []
            for m in registry.models where !frozenRegistry.models.contains(m) { changed.append("model \(m.id)") }
            for b in registry.benchmarks where !frozenRegistry.benchmarks.contains(b) { changed.append("benchmark \(b.id)") }
            for r in registry.recordings where !frozenRegistry.recordings.contains(r) { changed.append("recording \(r.id)") }
            for t in registry.templates where !frozenRegistry.templates.contains(t) { changed.append("template \(t.name)") }
            throw RunError.registryChanged(run: folder.id, fields: changed)
        }
    }

    static func freeze(plan: SweepPlan, registry: Registry) -> FrozenRegistry {
        let benchmarks = plan.datasets.map(\.benchmark)
        let recordings = Set(plan.models.compactMap { m in
            plan.manifest.models.first { $0.ref == m.id }?.provider == .replay ? m.replay?.recording : nil
        }).sorted().compactMap { registry.recordings[$0] }
        let templates = Set(benchmarks.map(\.template)).sorted().compactMap { registry.templates[$0] }
        return FrozenRegistry(models: plan.models, benchmarks: benchmarks, recordings: recordings, templates: templates)
    }

    struct Providers: Sendable {
        var byKind: [ProviderKind: any Provider] = [:]
        var recordingHashes: [(String, String)] = []
    }

    static func makeProviders(manifest: Manifest, registry: Registry, dataDir: URL) throws -> Providers {
        var out = Providers()
        let kinds = Set(manifest.models.map(\.provider))
        if kinds.contains(.replay) {
            // Manifest validation guarantees every replayed model's recording covers the sweep's one benchmark.
            let replayed = try manifest.models.filter { $0.provider == .replay }.map { try registry.model($0.ref) }
            let ids = Set(replayed.compactMap { $0.replay?.recording })
            guard ids.count == 1, let id = ids.first, let rec = registry.recordings[id] else {
                throw RunError.corrupt("replayed models must come from one recording; found \(ids.sorted())")
            }
            let provider = try ReplayProvider(recording: rec, models: replayed, dataDir: dataDir)
            out.byKind[.replay] = provider
            out.recordingHashes.append((rec.file, provider.sha256))
        }
        if kinds.contains(.simulated), let s = manifest.providers.simulated {
            out.byKind[.simulated] = SimulatedProvider(settings: s)
        }
        return out
    }
}
