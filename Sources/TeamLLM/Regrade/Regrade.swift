import Foundation

/// `teamllm regrade`: grades every stored final answer of a run again with one grader version, at $0.
///
/// Nothing is called: answers come from the response cache. New grade records are appended (the old ones
/// stay, so `verify` re-checks both, each with its own version); an answer this version already graded is
/// skipped, so an interrupted regrade run again finishes the rest and repeats no grade. The item a grader
/// sees is rebuilt from the answer's earlier grade record (gold, options as shown), so no dataset is needed.
/// Unless `benchmarks` names them, only answers an earlier version of the same grader graded are regraded: a
/// boxed-math grader has nothing to say about a multiple-choice answer.
public enum Regrade {
    /// Answers graded and appended per batch (each batch is one append; group commits follow the journal's clock).
    public static let batchSize = 4096

    /// Regrades the run in `folder` with `grader`, holding the run's lock throughout. `afterBatch` is told how many
    /// grades are appended so far (tests interrupt a regrade with it).
    public static func run(_ folder: RunFolder, grader: any Grader, benchmarks: Set<String>? = nil, cache given: ResponseCache? = nil,
                           stop: StopSignal? = nil, batchSize: Int = batchSize, afterBatch: (@Sendable (Int) -> Void)? = nil) async throws -> RegradeReport {
        let lock = try RunLock(folder)
        defer { withExtendedLifetime(lock) {} }
        let loaded = try RunJournal.load(folder)
        let cache = try given ?? ResponseCache(root: folder.cacheURL(), readOnly: true)
        let claimOwner = ClaimOwner.current(run: folder.id)
        let journal = try RunJournal(folder: folder, cache: cache, tails: loaded.tails, state: loaded.state, cap: .zero,
                                     anchored: loaded.anchored, claimOwner: claimOwner)
        for note in loaded.torn { try await journal.record(SessionRecord.torn(note)) }
        try await journal.record(SessionRecord.regrading(grader.identity, environment: RunEnvironment.current()))

        // Every record, now that torn tails are cut and recorded (this process holds the lock: nothing else writes).
        let state = try RunState.read(folder, ReadExtent(live: false, anchors: anchors(folder)))
        let planned = try folder.plannedCells()
        let identity = grader.identity

        var todo: [(cell: CellID, attempt: AttemptRecord, item: GradingItem)] = []
        var already = 0, failed = 0, ungraded = 0, otherGrader = 0
        for p in planned {
            if let benchmarks, !benchmarks.contains(p.cell.benchmark) { otherGrader += 1; continue }
            guard let final = CellOutcome.final(state.attempts[p.cell]) else { ungraded += 1; continue }
            guard final.status != .failed else { failed += 1; continue }
            let grades = state.grades[final.attempt] ?? []
            if grades.contains(where: { $0.grader == identity.name && $0.graderVersion == identity.version }) { already += 1; continue }
            // The item as the run's own grader saw it; a cell never graded has no record of it (its run is unfinished).
            guard let first = grades.first else { ungraded += 1; continue }
            if benchmarks == nil, !grades.contains(where: { $0.grader == identity.name }) { otherGrader += 1; continue }
            todo.append((p.cell, final, first.item))
        }

        var added = 0
        var stopped = false
        for start in stride(from: 0, to: todo.count, by: batchSize) {
            if (stop?.level ?? 0) > 0 { stopped = true; break }
            let batch = Array(todo[start..<min(todo.count, start + batchSize)])
            let answers = try cache.entries(batch.map(\.attempt.request))
            for b in batch where answers[b.attempt.request] == nil {
                throw RunError.corrupt("attempt \(b.attempt.attempt) cites request \(b.attempt.request.prefix(12))…, which the cache \(cache.root.path) does not hold")
            }
            // Grading is CPU-bound and pure: spread over the cores.
            let records = try await batch.concurrentMap { b in
                try Encoded(GradeRecord(cell: b.cell, attempt: b.attempt.attempt, grader: identity, item: b.item,
                                        grade: grader.grade(response: answers[b.attempt.request]!.answerText, item: b.item)))
            }
            var appended = BatchRecords()
            appended.grades = records
            try await journal.record(appended)
            added += records.count
            afterBatch?(added)
        }
        try await journal.sync()
        try? cache.release(owner: claimOwner)
        let after = try RunState.read(folder, ReadExtent(live: false, anchors: anchors(folder)))
        return RegradeReport.compare(folder: folder, planned: planned.map(\.cell), state: after, grader: identity,
                                     counts: .init(added: added, already: already, failedCalls: failed, ungraded: ungraded, otherGrader: otherGrader,
                                                   left: todo.count - added, stopped: stopped))
    }

    /// The anchors of the sessions stream as it stands (read by the lock's holder, so nothing is mid-append).
    private static func anchors(_ folder: RunFolder) throws -> StreamAnchors {
        var a = StreamAnchors()
        try StreamReader.records(folder.stream(SessionRecord.self), SessionRecord.self) { a.add($0) }
        return a
    }
}
