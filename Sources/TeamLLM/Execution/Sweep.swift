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
    /// Overrides of the manifest's operational settings for this session (recorded in its session record).
    public var budgetUSD: USD?
    public var concurrency: Int?
    /// Give cells whose last attempt failed (retries exhausted, a failure that ends the cell) new attempts.
    public var retryFailed = false
    /// Providers to use instead of the ones the manifest names, by kind: test doubles run through the real executor.
    public var providers: [ProviderKind: any Provider] = [:]
    /// Builds the providers the substrate does not build itself (OpenRouter over HTTP), once the plan and
    /// this session's settings are known.
    public var providerFactories: [ProviderKind: @Sendable (ProviderContext) throws -> any Provider] = [:]
    /// Builds the program graders (the code sandbox, from TeamLLMSandbox) by grader name, called only when the plan
    /// grades code: a machine without bubblewrap runs every other sweep, and a code sweep there says what is missing.
    public var programGraders: [String: @Sendable () throws -> any ProgramGrader] = [:]
    /// Ctrl-C and SIGTERM, raised by the command line: stop dispatching, then cancel.
    public var stop: StopSignal?
    /// Live figures of the pipeline (calls in flight, retries).
    public var gauges = PipelineGauges()

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
        let listed = try Registry.load(from: options.registryDir)
        let manifestText: String
        do { manifestText = try String(contentsOf: url, encoding: .utf8) } catch {
            throw ConfigError(file: url.path, line: 0, column: 0, path: "", message: "cannot read the manifest (\(error.localizedDescription))")
        }
        let manifest = try Manifest.parse(manifestText, file: url.path, registry: listed)
        let registry = try listed.priced(for: manifest)
        // The recording and the datasets are the bulk of start-up and independent: read them side by side.
        async let loading = ProviderSet.load(manifest: manifest, registry: registry, dataDir: options.dataDir)
        let plan = try YAMLValue.locating(in: manifestText, file: url.path) { try SweepPlan(manifest: manifest, registry: registry, dataDir: options.dataDir) }
        let providers = try await loading
        let programGraders = try ProgramGraders.resolve(plan.programGraders, given: options.programGraders)
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

        let claimOwner = ClaimOwner.current(run: folder.id)
        defer { try? cache.release(owner: claimOwner) }
        var settings = manifest.operations
        if let b = options.budgetUSD { settings.budgetUSD = b }
        if let c = options.concurrency { settings.concurrency = c }
        let journal = try RunJournal(folder: folder, cache: cache, tails: loaded.tails, state: state, cap: settings.budgetUSD,
                                     anchored: loaded.anchored, claimOwner: claimOwner)
        // Group commit at least once a second while records wait, even when no append comes to trigger it.
        // It is stopped, and waited for, before this function returns or throws: nothing is appended after
        // the run's lock is released.
        let committer = Task {
            while !Task.isCancelled {
                guard (try? await Task.sleep(nanoseconds: 1_000_000_000)) != nil else { break }
                await journal.tick()
            }
        }
        do {
            let report = try await session()
            committer.cancel()
            await committer.value
            return report
        } catch {
            committer.cancel()
            await committer.value
            throw error
        }

        /// Everything the session does with its journal open.
        func session() async throws -> SweepReport {
            // A torn line was just cut from its stream: record it before anything else can fail or be killed.
            for note in tornNotes { try await journal.record(SessionRecord.torn(note)) }
            // Responses a crash left in a pack between its write and its index commit are indexed first, so
            // that nothing paid for is paid for again (they are recorded as recovered, or found as hits).
            let recovered = try cache.recoverUnindexed()
            if !recovered.isEmpty {
                notices.append("cache: \(recovered.count) stored responses a crash left unindexed were indexed again (none is paid for twice)")
            }
            try await journal.record(SessionRecord.start(isResume ? .resume : .launch, environment: RunEnvironment.current(), cache: cache.root, settings: settings))

            var sweep = Progress.resume(at: state.ledger.sweep)
            if case let .pending(p) = sweep {
                let (e, t) = p.start()
                try await journal.recordSweep(t)
                sweep = .executing(e)
            }

            let byKind = try providers.providers(plan: plan, registry: registry, settings: settings, options: options)
            // A provider that can check its account (a key, credits) does so before any cell starts.
            for kind in Set(plan.manifest.models.map(\.provider)).sorted(by: { $0.rawValue < $1.rawValue }) {
                if let p = byKind[kind] {
                    do { try await p.preflight() } catch { throw RunError.providerStopped(error) }
                }
            }
            var context = CellContext(requests: RequestBuilder(plan: plan, registry: registry, providers: byKind), cache: cache,
                                      journal: journal, runID: folder.id, claimOwner: claimOwner)
            context.settings = settings
            context.retryFailed = options.retryFailed
            context.programGraders = programGraders
            let todo = plan.cells.filter { state.needsWork($0.id) || state.needsAttempt($0.id, retryFailed: options.retryFailed) }
            let ticker = options.progress ? ProgressLine.start(journal: journal, gauges: options.gauges, total: plan.cells.count, done: plan.cells.count - todo.count) : nil
            let stoppedBy: String?
            let pipeline = Pipeline(context: context, stopAfter: options.stopAfter, signal: options.stop, gauges: options.gauges)
            do { stoppedBy = try await pipeline.run(todo) } catch {
                // What was written before the error is made durable and anchored before the error is reported.
                ticker?.cancel()
                try? await journal.sync()
                throw error
            }
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
    }
}

/// Matching the program graders a plan names with the implementations a command was given.
enum ProgramGraders {
    /// Each needed identity's implementation; one missing, or built with another configuration, is refused before anything runs.
    static func resolve(_ needed: [GraderIdentity], given: [String: @Sendable () throws -> any ProgramGrader]) throws -> [GraderIdentity: any ProgramGrader] {
        var out: [GraderIdentity: any ProgramGrader] = [:]
        for identity in needed {
            guard let make = given[identity.name] else { throw RunError.graderUnavailable(identity.description) }
            let g = try make()
            guard g.identity == identity else {
                throw RunError.corrupt("grader \(identity) was built as \(g.identity) with configuration \(g.identity.configHash.prefix(12))…, the run's is \(identity.configHash.prefix(12))…")
            }
            out[identity] = g
        }
        return out
    }
}
