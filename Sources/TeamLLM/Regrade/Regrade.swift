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
        let loaded = try RunJournal.load(folder, for: .regrade)
        let cache = try given ?? ResponseCache(root: folder.cacheURL(), readOnly: true)
        // A regrade pays for nothing: no budget, and no cache claims for the journal to renew.
        let journal = try RunJournal(folder: folder, cache: cache, tails: loaded.tails, state: loaded.state, cap: .zero,
                                     anchored: loaded.anchored, claimOwner: ClaimOwner.current(run: folder.id))
        for note in loaded.torn { try await journal.record(SessionRecord.torn(note)) }
        try await journal.record(SessionRecord.regrading(grader.identity, environment: RunEnvironment.current()))

        // The attempts are in the journal's state, the grades beside it (a torn last grade line was cut by the load).
        let live = loaded.state
        var grades = loaded.grades
        let planned = try folder.plannedCells()
        let identity = grader.identity

        var todo: [(cell: CellID, attempt: LiveState.AttemptSummary, item: GradingItem)] = []
        var finals: [CellID: String] = [:]
        var already = 0, failed = 0, ungraded = 0, otherGrader = 0
        for p in planned {
            let final = CellOutcome.final(live.attempts[p.cell])
            if let final { finals[p.cell] = final.attempt }
            if let benchmarks, !benchmarks.contains(p.cell.benchmark) { otherGrader += 1; continue }
            guard let final else { ungraded += 1; continue }
            guard final.status != .failed else { failed += 1; continue }
            let grades = grades[final.attempt] ?? []
            if grades.contains(where: { $0.grader == identity.name && $0.graderVersion == identity.version }) { already += 1; continue }
            // The item as the run's own grader saw it; a cell never graded has no record of it (its run is unfinished).
            guard let first = grades.first else { ungraded += 1; continue }
            if benchmarks == nil, !grades.contains(where: { $0.grader == identity.name }) { otherGrader += 1; continue }
            todo.append((p.cell, final, first.item))
        }

        var added = 0
        var stopped = false
        let batches = stride(from: 0, to: todo.count, by: batchSize).map { todo[$0..<min(todo.count, $0 + batchSize)] }
        // The next batch's answers are read from the cache (one thread, off the cooperative pool) while this one is graded.
        func reading(_ batch: ArraySlice<(cell: CellID, attempt: LiveState.AttemptSummary, item: GradingItem)>) -> Task<[String: String], any Error> {
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
            // Grading is CPU-bound and pure: spread over the cores.
            let records = try await Array(batch).concurrentMap { b in
                try Encoded(GradeRecord(cell: b.cell, attempt: b.attempt.attempt, grader: identity, item: b.item,
                                        grade: grader.grade(response: answers[b.attempt.request]!, item: b.item)))
            }
            var appended = BatchRecords()
            appended.grades = records
            try await journal.record(appended)
            for r in records { grades[r.record.attempt, default: []].append(r.record) }
            added += records.count
            afterBatch?(added)
        }
        _ = try? await next?.value // a stopped regrade leaves no read behind it
        try await journal.sync()
        return RegradeReport.compare(folder: folder, planned: planned.map(\.cell), finals: finals, grades: grades, grader: identity,
                                     counts: .init(added: added, already: already, failedCalls: failed, ungraded: ungraded, otherGrader: otherGrader,
                                                   left: todo.count - added, stopped: stopped))
    }
}
