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
        async let loading = ProviderSet.make(manifest: manifest, registry: registry, dataDir: options.dataDir)
        let plan = try YAMLValue.locating(in: manifestText, file: url.path) { try SweepPlan(manifest: manifest, registry: registry, dataDir: options.dataDir) }
        let providers = try await loading
        let frozen = FrozenRegistry(plan: plan, registry: registry)
        // The cache opens before the run folder is made: a cache that cannot be opened leaves nothing behind.
        let cache = try ResponseCache(root: options.cacheURL(manifest))
        let (folder, isResume) = try RunFolder.prepare(options: options, manifest: manifest, manifestText: manifestText, plan: plan,
                                                   registry: frozen, recordingHashes: providers.recordingHashes)
        let lock = try RunLock(folder)
        defer { withExtendedLifetime(lock) {} }

        let header = try folder.readHeader()
        guard header.planHash == plan.hash else {
            throw RunError.corrupt("run \(folder.id) was planned as \(header.planHash.prefix(12))… but the manifest now plans \(plan.hash.prefix(12))…; datasets or seeds differ")
        }

        let loaded = try RunJournal.load(folder)
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
}
