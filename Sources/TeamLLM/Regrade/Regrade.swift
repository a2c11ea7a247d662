import Foundation

/// The grader a regrade uses: a text grader, or a program grader with where its items' rows are read from
/// (grade records keep the gold and options, not the tests: a code regrade reads the frozen datasets again).
public enum RegradeGrader: Sendable {
    case text(any Grader)
    case program(any ProgramGrader, dataDir: URL, registryDir: URL)

    public var identity: GraderIdentity {
        switch self {
        case let .text(g): g.identity
        case let .program(g, _, _): g.identity
        }
    }
}

/// `teamllm regrade`: grades every stored final answer of a run again with one grader version, at $0.
///
/// Nothing is called: answers come from the response cache. New grade records are appended (the old ones
/// stay, so `verify` re-checks both, each with its own version); an answer this version already graded is
/// skipped, so an interrupted regrade run again finishes the rest and repeats no grade. The item a text grader
/// sees is rebuilt from the answer's earlier grade record (gold, options as shown), so no dataset is needed; a
/// program grader's tests come from the datasets, checked against their frozen hashes.
/// Unless `benchmarks` names them, only answers an earlier version of the same grader graded are regraded: a
/// boxed-math grader has nothing to say about a multiple-choice answer.
///
/// With a `shard`, only the cells the shard owns are graded, and their grades go to the shard's own sealed
/// file (`RegradeShard`), not to the run: several processes or machines grade one run side by side, and
/// `merge` appends their files to the run.
public enum Regrade {
    /// Answers graded and appended per batch (each batch is one append; group commits follow the journal's clock).
    public static let batchSize = 4096

    /// Regrades the run in `folder` with `grader`, holding the run's lock throughout (a shard holds it only while it
    /// reads the run). `afterBatch` is told how many grades are appended so far (tests interrupt a regrade with it).
    public static func run(_ folder: RunFolder, grader: RegradeGrader, benchmarks: Set<String>? = nil, shard: RegradeShard? = nil,
                           cache given: ResponseCache? = nil, stop: StopSignal? = nil, batchSize: Int = batchSize,
                           afterBatch: (@Sendable (Int) -> Void)? = nil) async throws -> RegradeReport {
        var lock: RunLock? = try RunLock(folder)
        defer { withExtendedLifetime(lock) {} }
        let loaded = try RunJournal.load(folder, for: .regrade)
        let cache = try given ?? ResponseCache(root: folder.cacheURL(), readOnly: true)
        let identity = grader.identity
        // A torn line the load moved to quarantine is recorded in the run, whoever loaded it (a shard too).
        let journal = try await journal(folder, loaded, cache: cache)
        let sink: GradeSink
        if let shard {
            // A shard writes only its own file: the run is released for the other shards once it is read.
            try await journal.sync()
            sink = .shard(try shard.open(folder, grader: identity))
            lock = nil
        } else {
            try await journal.record(SessionRecord.regrading(identity, environment: RunEnvironment.current()))
            sink = .run(journal)
        }

        // The attempts are in the journal's state, the grades beside it (a torn last grade line was cut by the load).
        let live = loaded.state
        var grades = loaded.grades
        if case let .shard(s) = sink { for r in s.written { grades[r.attempt, default: []].append(r) } }
        let planned = try folder.plannedCells()
        let rows: [String: [Int: [String: JSONNode]]]
        if case let .program(_, dataDir, registryDir) = grader { rows = try datasetRows(folder, dataDir: dataDir, registryDir: registryDir) } else { rows = [:] }

        var todo: [Job] = []
        var finals: [CellID: String] = [:]
        var already = 0, failed = 0, ungraded = 0, otherGrader = 0
        for p in planned {
            let final = CellOutcome.final(live.attempts[p.cell])
            if let final { finals[p.cell] = final.attempt }
            if let benchmarks, !benchmarks.contains(p.cell.benchmark) { otherGrader += 1; continue }
            if let shard, !shard.owns(p.cell) { otherGrader += 1; continue }
            guard let final else { ungraded += 1; continue }
            guard final.status != .failed else { failed += 1; continue }
            let grades = grades[final.attempt] ?? []
            if grades.contains(where: { $0.grader == identity.name && $0.graderVersion == identity.version }) { already += 1; continue }
            // The item as the run's own grader saw it; a cell never graded has no record of it (its run is unfinished).
            guard let first = grades.first else { ungraded += 1; continue }
            if benchmarks == nil, !grades.contains(where: { $0.grader == identity.name }) { otherGrader += 1; continue }
            var item = first.item
            if case .program = grader {
                guard let row = rows[p.cell.benchmark]?[p.itemIndex] else {
                    throw RunError.corrupt("cell \(p.cell): its dataset has no row \(p.itemIndex)")
                }
                item.fields = row
            }
            todo.append(Job(cell: p.cell, attempt: final, item: item))
        }

        var added = 0
        var stopped = false
        let batches = stride(from: 0, to: todo.count, by: batchSize).map { todo[$0..<min(todo.count, $0 + batchSize)] }
        // The next batch's answers are read from the cache (one thread, off the cooperative pool) while this one is graded.
        func reading(_ batch: ArraySlice<Job>) -> Task<[String: String], any Error> {
            let keys = batch.map(\.attempt.request)
            return Task { try await withCheckedThrowingContinuation { done in DispatchQueue.global().async { done.resume(with: Result { try cache.answers(keys) }) } } }
        }
        var next = batches.first.map(reading)
        for (i, batch) in batches.enumerated() {
            if (stop?.level ?? 0) > 0 { stopped = true; break }
            let answers = try await next!.value
            next = i + 1 < batches.count ? reading(batches[i + 1]) : nil
            for b in batch where answers[b.attempt.request] == nil {
                throw RunError.corrupt("attempt \(b.attempt.attempt) cites request \(b.attempt.request.prefix(12))…, which the cache \(cache.root.path) does not hold")
            }
            let made = try await grade(Array(batch), answers: answers, with: grader)
            let records = try zip(batch, made).map { b, g in try Encoded(GradeRecord(cell: b.cell, attempt: b.attempt.attempt, grader: identity, item: b.item, grade: g)) }
            switch sink {
            case let .run(journal):
                var appended = BatchRecords()
                appended.grades = records
                try await journal.record(appended)
            case let .shard(s): try s.append(records)
            }
            for r in records { grades[r.record.attempt, default: []].append(r.record) }
            added += records.count
            afterBatch?(added)
        }
        _ = try? await next?.value // a stopped regrade leaves no read behind it
        switch sink {
        case let .run(journal): try await journal.sync()
        case let .shard(s): try s.sync()
        }
        var report = RegradeReport.compare(folder: folder, planned: planned.map(\.cell), finals: finals, grades: grades, grader: identity,
                                           counts: .init(added: added, already: already, failedCalls: failed, ungraded: ungraded, otherGrader: otherGrader,
                                                         left: todo.count - added, stopped: stopped))
        report.shardFile = shard?.file(in: folder, grader: identity).path
        return report
    }

    struct Job: Sendable {
        let cell: CellID
        let attempt: LiveState.AttemptSummary
        let item: GradingItem
    }

    /// Where a regrade's grades go: the run's own grade stream, or a shard's file.
    private enum GradeSink {
        case run(RunJournal)
        case shard(RegradeShard.Writer)
    }

    /// The grades of one batch, in order. Text grading is CPU-bound and pure: spread over the cores. Program
    /// grading runs one program per worker of the grader, each worker taking every n-th job.
    static func grade(_ batch: [Job], answers: [String: String], with grader: RegradeGrader) async throws -> [Grade] {
        switch grader {
        case let .text(g):
            return try await batch.concurrentMap { b in g.grade(response: answers[b.attempt.request]!, item: b.item) }
        case let .program(g, _, _):
            return await g.grade(batch.map { (answers[$0.attempt.request]!, $0.item) })
        }
    }

    /// The journal a regrade or merge appends through, after recording what the load repaired. A regrade pays for
    /// nothing: no budget, and no cache claims for the journal to renew.
    private static func journal(_ folder: RunFolder, _ loaded: RunJournal.Loaded, cache: ResponseCache) async throws -> RunJournal {
        let journal = try RunJournal(folder: folder, cache: cache, tails: loaded.tails, state: loaded.state, cap: .zero,
                                     anchored: loaded.anchored, claimOwner: ClaimOwner.current(run: folder.id))
        for note in loaded.torn { try await journal.record(SessionRecord.torn(note)) }
        return journal
    }

    /// The rows of every benchmark the run froze, by benchmark and item index, read and hash-checked again.
    static func datasetRows(_ folder: RunFolder, dataDir: URL, registryDir: URL) throws -> [String: [Int: [String: JSONNode]]] {
        var out: [String: [Int: [String: JSONNode]]] = [:]
        for b in try folder.registry().benchmarks {
            let ds = try Dataset.load(b, dataDir: dataDir, registryDir: registryDir)
            out[b.id] = Dictionary(ds.items.map { ($0.index, $0.row) }, uniquingKeysWith: { a, _ in a })
        }
        return out
    }
}

extension Regrade {
    /// Appends the grades of shard files (`RegradeShard`) to the run, holding its lock: each file's chain and header
    /// are checked (this run, a grader this build has with the same configuration), each grade must be of its cell's
    /// final answer, and a grade the run already holds from this version is skipped, so a merge repeated, or shards
    /// that overlap, add nothing twice.
    public static func merge(_ folder: RunFolder, shards files: [URL], cache given: ResponseCache? = nil) async throws -> RegradeReport {
        let lock = try RunLock(folder)
        defer { withExtendedLifetime(lock) {} }
        let loaded = try RunJournal.load(folder, for: .regrade)
        let cache = try given ?? ResponseCache(root: folder.cacheURL(), readOnly: true)
        var read: [(file: URL, grades: [Stamped<GradeRecord>])] = []
        var identity: GraderIdentity?
        for file in files {
            let (header, grades) = try RegradeShard.read(file, for: folder)
            let parts = header.grader.split(separator: "@", maxSplits: 1).map(String.init)
            guard parts.count == 2, let entry = GraderCatalog.entry(named: parts[0], version: parts[1]) else {
                throw RunError.corrupt("\(file.path): graded by \(header.grader), which this build does not have")
            }
            guard entry.identity.configHash == header.graderConfig else {
                throw RunError.corrupt("\(file.path): \(header.grader) ran with configuration \(header.graderConfig.prefix(12))…, this build's has \(entry.identity.configHash.prefix(12))…")
            }
            if let identity, identity != entry.identity { throw RunError.corrupt("\(file.path): graded by \(header.grader), the other shards by \(identity)") }
            identity = entry.identity
            read.append((file, grades))
        }
        guard let identity else { throw RunError.notFound("shard files to merge") }
        let journal = try await journal(folder, loaded, cache: cache)
        try await journal.record(SessionRecord.regrading(identity, environment: RunEnvironment.current()))

        let live = loaded.state
        var grades = loaded.grades
        let planned = try folder.plannedCells()
        var finals: [CellID: String] = [:]
        for p in planned { if let f = CellOutcome.final(live.attempts[p.cell]) { finals[p.cell] = f.attempt } }
        var added = 0, already = 0
        var batch = BatchRecords()
        for (file, stamped) in read {
            for s in stamped {
                let r = s.payload
                guard r.grader == identity.name, r.graderVersion == identity.version, r.graderConfig == identity.configHash else {
                    throw RunError.corrupt("\(file.lastPathComponent):\(s.seq): a grade by \(r.identity) in a shard of \(identity)")
                }
                guard let final = CellOutcome.final(live.attempts[r.cell]), final.attempt == r.attempt, final.status != .failed else {
                    throw RunError.corrupt("\(file.lastPathComponent):\(s.seq): grades attempt \(r.attempt), which is not the final answer of cell \(r.cell)")
                }
                if (grades[r.attempt] ?? []).contains(where: { $0.grader == r.grader && $0.graderVersion == r.graderVersion }) { already += 1; continue }
                batch.grades.append(try Encoded(r))
                grades[r.attempt, default: []].append(r)
                added += 1
                if batch.grades.count >= batchSize {
                    try await journal.record(batch)
                    batch = BatchRecords()
                }
            }
        }
        try await journal.record(batch)
        try await journal.sync()
        // Answers an earlier version of this grader graded that no shard covered are left for another merge or regrade.
        var left = 0
        for p in planned {
            guard let f = CellOutcome.final(live.attempts[p.cell]), f.status != .failed, let gs = grades[f.attempt],
                  gs.contains(where: { $0.grader == identity.name }) else { continue }
            if !gs.contains(where: { $0.graderVersion == identity.version && $0.grader == identity.name }) { left += 1 }
        }
        return RegradeReport.compare(folder: folder, planned: planned.map(\.cell), finals: finals, grades: grades, grader: identity,
                                     counts: .init(added: added, already: already, failedCalls: 0, ungraded: 0, otherGrader: 0, left: left, stopped: false))
    }
}
