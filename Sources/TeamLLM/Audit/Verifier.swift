import Foundation

/// What `verify` found, and how far it looked.
public struct VerifyReport: Sendable {
    /// Problems, the first bad record first; empty when the run is sound.
    public var problems: [String]
    /// What was checked: every record, or the anchored prefix of a live run.
    public let extent: String
    /// The run digest of what was checked (`RunDigest`), nil when the header is unreadable.
    public let digest: String?
    /// Facts worth knowing that are not problems, e.g. records a crash left after the last anchor.
    public let notes: [String]
    /// The cache folder checked.
    public var cache: String? = nil
}

/// Re-checks a run end to end: every seal and chain, every stream against its anchors, every frozen file
/// against the header, every cached request and body against its hash, every cache row against its row
/// hash and the index against its table, every grade against its attempt (by grading the stored answer again).
public enum Verifier {
    /// Checks a consistent view of the run (see `RunFolder.reading`), with the cache the run recorded
    /// unless one is given.
    public static func verify(_ folder: RunFolder, cache given: ResponseCache? = nil) throws -> VerifyReport {
        let sealed: (header: RunHeader, seal: String)
        do { sealed = try folder.readSealedHeader() } catch {
            return VerifyReport(problems: ["header.json: \(error)"], extent: "nothing (no readable header)", digest: nil, notes: [])
        }
        var cache = given
        var report: VerifyReport
        do {
            report = try folder.reading { extent in
                if cache == nil {
                    do { cache = try ResponseCache(root: folder.cacheURL(extent), readOnly: true) } catch {
                        return VerifyReport(problems: ["cannot open the run's cache: \(error)"], extent: extent.summary, digest: nil, notes: [])
                    }
                }
                return check(folder, sealed: sealed, cache: cache!, extent: extent)
            }
        } catch {
            return VerifyReport(problems: ["\(error)"], extent: "nothing past sessions.jsonl", digest: nil, notes: [])
        }
        // Checks of the whole cache (shared by other runs) need no view of this run's records: made after the
        // read gate is released, so they never hold a writer back.
        if let cache {
            report.problems += cache.structuralProblems().map { "cache index.sqlite: \($0)" }
            report.problems += cache.packProblems().map { "cache packs/\($0)" }
            report.cache = cache.root.path
        }
        return report
    }

    private static func check(_ folder: RunFolder, sealed: (header: RunHeader, seal: String), cache: ResponseCache, extent: ReadExtent) -> VerifyReport {
        var problems: [String] = extent.anchors.problems
        var notes: [String] = []
        var heads: [StreamHead] = []
        let header = sealed.header

        func checkFile(_ url: URL, _ expected: String, _ what: String) {
            guard let data = FileManager.default.contents(atPath: url.path) else { problems.append("\(url.lastPathComponent): missing"); return }
            let actual = Digest.sha256(data)
            if actual != expected { problems.append("\(url.lastPathComponent): hashes to \(actual.prefix(12))… but the header records \(what) \(expected.prefix(12))…") }
        }
        checkFile(folder.manifestJSON, header.manifestHash, "manifest hash")
        checkFile(folder.manifestYAML, header.manifestSourceHash, "manifest source hash")
        checkFile(folder.registryJSON, header.registryHash, "registry hash")
        checkFile(folder.planTSV, header.planHash, "plan hash")

        // Streamed: no stream is held in memory; attempts keep only what grades are checked against.
        var state = RunState()
        struct Seen { let cell: CellID; let failed: Bool }
        var attempts: [String: Seen] = [:]
        struct Last: AttemptOutcome { let attempt: String; let status: AttemptStatus; let seq: Int }
        // Streamed in record order, so each cell's entry ends as `CellOutcome.final` of its attempts.
        var lastAttempt: [CellID: Last] = [:]
        var graded = Set<String>()
        var gradedBy = Set<String>()
        var answers: [String: String] = [:]
        var batch: [(AttemptRecord, Int)] = []
        func checkBatch() throws {
            let stored = try cache.stored(batch.map(\.0.request))
            for (r, seq) in batch {
                let place = "attempts.jsonl:\(seq) (\(r.attempt))"
                guard let responseHash = r.response else { problems.append("\(place): \(r.status.rawValue) attempt without a response hash"); continue }
                guard let s = stored[r.request] else { problems.append("\(place): cache has no entry for request \(r.request.prefix(12))…"); continue }
                if !s.entry.isIntact { problems.append("\(place): \(CacheError.corruptRow(requestKey: r.request))"); continue }
                if Digest.sha256(s.request) != r.request { problems.append("\(place): the cached request no longer hashes to its key \(r.request.prefix(12))…"); continue }
                if s.entry.responseHash != responseHash { problems.append("\(place): cache entry holds response \(s.entry.responseHash.prefix(12))…, the attempt recorded \(responseHash.prefix(12))…"); continue }
                do { _ = try cache.body(responseHash, pack: s.pack, offset: s.offset, length: s.length) } catch { problems.append("\(place): \(error)"); continue }
                answers[r.attempt] = s.entry.answerText
            }
            batch.removeAll(keepingCapacity: true)
        }
        /// Reads one stream as far as the extent reaches; a cut or torn end is a problem, not a stop.
        func read<R: StreamRecord>(_ type: R.Type, each: (Stamped<R>) throws -> Void) throws {
            let url = folder.stream(type)
            let (tail, found) = try RunRecords.scan(folder, type, extent, each: each)
            problems += found.map(\.description)
            heads.append(StreamHead(stream: R.stream, count: tail.count, head: tail.lastHash))
            if !extent.live, R.stream != SessionRecord.stream, let last = extent.anchors.last,
               let anchored = last.heads.first(where: { $0.stream == R.stream }), tail.count > anchored.count {
                notes.append("\(url.lastPathComponent): \(tail.count - anchored.count) records after the last anchor (sessions.jsonl:\(last.seq)), from a process that stopped before its next group commit; the next resume anchors them")
            }
        }
        do {
            try read(EventRecord.self) { try state.apply($0.payload, line: $0.seq) }
            try read(AttemptRecord.self) { a in
                let r = a.payload
                if attempts[r.attempt] != nil { problems.append("attempts.jsonl:\(a.seq) (\(r.attempt)): attempt id appears twice") }
                attempts[r.attempt] = Seen(cell: r.cell, failed: r.status == .failed)
                lastAttempt[r.cell] = Last(attempt: r.attempt, status: r.status, seq: a.seq)
                if state.phase(r.cell) < .executing {
                    problems.append("attempts.jsonl:\(a.seq) (\(r.attempt)): cell \(r.cell) never entered EXECUTING in events.jsonl")
                }
                if r.status != .failed { batch.append((r, a.seq)) }
                if batch.count >= 2000 { try checkBatch() }
            }
            try checkBatch()
            var launched = false
            try read(SessionRecord.self) { s in
                if s.payload.kind == .launch || s.payload.kind == .resume { launched = true }
                guard let torn = s.payload.torn else { return }
                checkFile(folder.quarantine.appendingPathComponent(torn.quarantine), torn.sha256, "torn-line hash (sessions.jsonl:\(s.seq))")
            }
            // Every session that wrote records left a launch or resume record: a stream emptied has lost its anchors too.
            if !launched { problems.append("sessions.jsonl holds no launch or resume record: it was emptied or cut before its first whole line") }
            var unsafeGrades = 0
            try read(GradeRecord.self) { g in
                let r = g.payload
                let place = "grades.jsonl:\(g.seq) (\(r.cell))"
                graded.insert(r.attempt)
                // A new grader version may re-grade an answer (appending a grade); the same version twice is a repeat.
                guard gradedBy.insert("\(r.attempt)\u{1F}\(r.grader)\u{1F}\(r.graderVersion)").inserted else {
                    problems.append("\(place): \(r.attempt) is already graded by \(r.grader) version \(r.graderVersion)"); return
                }
                guard let attempt = attempts[r.attempt], attempt.cell == r.cell, !attempt.failed else {
                    problems.append("\(place): grades attempt \(r.attempt), which is not a completed attempt of this cell"); return
                }
                guard let text = answers[r.attempt] else { return } // the attempt's own problem is already listed
                // Each grade is re-made by the version that made it; a version this build lacks is a problem, not a skip.
                guard let (kind, identity) = GraderCatalog.entry(named: r.grader, version: r.graderVersion) else {
                    problems.append("\(place): graded by \(r.identity), which this build does not have (versions of \(r.grader): \(GraderCatalog.versions(of: r.grader).joined(separator: ", ")))"); return
                }
                if let config = r.graderConfig, config != identity.configHash {
                    problems.append("\(place): \(r.identity) ran with configuration \(config.prefix(12))…, this build's \(r.identity) has \(identity.configHash.prefix(12))…"); return
                }
                switch kind {
                case let .text(grader):
                    let again = grader.grade(response: text, item: r.item)
                    if !r.holds(again) {
                        problems.append("\(place): regrading the stored answer gives \(again.verdict.rawValue) ('\(again.extracted ?? "")'), the record says \(r.verdict.rawValue) ('\(r.extracted ?? "")')")
                    }
                case .program:
                    // Running the programs again is regrade's work; here the record must agree with itself and the answer.
                    if let why = ExecutionCheck.problem(r, answer: text) { problems.append("\(place): \(why)") }
                    if r.execution?.unsafe == true { unsafeGrades += 1 }
                }
            }
            if unsafeGrades > 0 { notes.append("\(unsafeGrades) code grades were made with --unsafe-no-sandbox (no bubblewrap, no user switch)") }
        } catch {
            return VerifyReport(problems: problems + ["\(error)"], extent: extent.summary, digest: nil, notes: notes)
        }

        let attempted = Set(attempts.values.map(\.cell))
        for (cell, last) in lastAttempt.sorted(by: { $0.value.seq < $1.value.seq })
        where state.phase(cell) == .completed && !CellOutcome.isWhole(final: last, graded: graded.contains) {
            problems.append("attempts.jsonl:\(last.seq) (\(last.attempt)): cell \(cell) is COMPLETED but its answer has no grade")
        }
        for (cell, phase) in state.phases where phase >= .verifying && !attempted.contains(cell) {
            problems.append("events.jsonl: cell \(cell) reached \(phase.rawValue.uppercased()) with no attempt on record")
        }
        return VerifyReport(problems: problems, extent: extent.summary, digest: RunDigest.compute(headerSeal: sealed.seal, heads: heads), notes: notes)
    }
}
