import Foundation

/// The single writer of a run's records; also the live state they imply.
///
/// Every append is one `write(2)` of whole sealed lines, so a killed process loses nothing it appended.
/// Group commit: at most once a second (and at the end), the cache is flushed to stable storage, then
/// every stream is fsynced, so a durable record never cites a cache entry that is not; then an anchor
/// (each stream's length and head seal) is appended to the sessions stream and fsynced, so a stream cut
/// shorter than what was once durable is caught, and readers of a live run have a consistent prefix.
actor RunJournal {
    /// Appends and fsyncs block: the journal runs on a thread of its own, not the cooperative pool.
    private let executor = QueueExecutor(label: "teamllm.journal")
    nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }
    let folder: RunFolder
    private let cache: ResponseCache
    private let events: RecordStream
    private let attempts: RecordStream
    private let grades: RecordStream
    private let sessions: RecordStream
    private(set) var state: LiveState
    private var lastSync = DispatchTime.now()
    /// A group commit the timer made that failed: raised by the next append, so no failure goes unreported.
    private var timerFailure: (any Error)?
    /// The heads the last anchor recorded.
    private var anchored: [StreamHead]
    private var reserved: USD = .zero
    let cap: USD

    // Counters for progress, since this process started.
    private(set) var cellsDoneNow = 0
    private(set) var cacheHitsNow = 0

    /// This process's cache claims, renewed at every group commit.
    private let claimOwner: ClaimOwner

    init(folder: RunFolder, cache: ResponseCache, tails: [String: StreamTail], state: LiveState, cap: USD, anchored: [StreamHead],
         claimOwner: ClaimOwner) throws {
        self.anchored = anchored
        self.claimOwner = claimOwner
        self.folder = folder
        self.cache = cache
        self.state = state
        self.cap = cap
        func open<R: StreamRecord>(_ t: R.Type) throws -> RecordStream {
            try RecordStream(url: folder.stream(t), tail: tails[R.stream] ?? StreamTail(count: 0, lastHash: SealedLine.genesis, torn: nil))
        }
        events = try open(EventRecord.self)
        attempts = try open(AttemptRecord.self)
        grades = try open(GradeRecord.self)
        sessions = try open(SessionRecord.self)
    }

    /// Where a cell stands: its phase, its final attempt, and whether that attempt is graded.
    struct CellSnapshot: Sendable {
        let phase: Phase
        let last: LiveState.AttemptSummary?
        let graded: Bool
        /// Attempts on record: the next one is numbered one more.
        let attempts: Int
        /// COMPLETED without the attempt or grade it must have (a torn line went to quarantine).
        var needsRepair: Bool { phase == .completed && !CellOutcome.isWhole(final: last) { _ in graded } }
        /// The cell's next step is a new attempt (`LiveState.needsAttempt`).
        func needsAttempt(retryFailed: Bool) -> Bool { LiveState.needsAttempt(phase: phase, last: last, retryFailed: retryFailed) }
    }

    /// Where each of a batch of cells stands.
    func snapshots(_ cells: [CellID]) -> [CellSnapshot] {
        cells.map { cell in
            let last = CellOutcome.final(state.attempts[cell])
            return CellSnapshot(phase: state.ledger.phase(cell), last: last, graded: last.map { state.graded.contains($0.attempt) } ?? false,
                                attempts: state.attempts[cell]?.count ?? 0)
        }
    }
    var spend: USD { state.spend }
    /// What cells admitted and not yet recorded may still cost.
    var reservedNow: USD { reserved }
    /// Which of these attempt ids have a grade on record.
    func graded(_ ids: [String]) -> Set<String> { Set(ids.filter { state.graded.contains($0) }) }
    var sweepPhase: Phase { state.ledger.sweep }
    /// How many planned cells are COMPLETED.
    func completed(of cells: [PlannedCell]) -> Int { cells.reduce(0) { $0 + (state.ledger.phase($1.id) == .completed ? 1 : 0) } }

    /// Writes cell transitions (each checked against the ledger first) with one append.
    func record(_ transitions: [Encoded<EventRecord>]) throws {
        if let timerFailure { throw timerFailure }
        guard !transitions.isEmpty else { return }
        // Checked before, applied after the append, so the live state never runs ahead of the file.
        // A batch holds one transition per cell, so each is checked against the ledger as it stands.
        let first = events.count + 1
        for (i, e) in transitions.enumerated() { try state.ledger.check(e.record, line: first + i) }
        try events.append(transitions)
        for (i, e) in transitions.enumerated() { try state.ledger.apply(e.record, line: first + i) }
        cellsDoneNow += transitions.count { $0.record.to == .completed }
    }

    /// Writes a sweep transition (and syncs: these are rare and mark milestones).
    func recordSweep(_ t: Transition) throws {
        let e = EventRecord(scope: "sweep", cell: nil, from: t.from, to: t.to)
        try state.ledger.check(e, line: events.count + 1)
        try events.append(e)
        try state.ledger.apply(e, line: events.count)
        try sync()
    }

    /// Writes the PENDING → EXECUTING events of a batch about to make its calls.
    func recordStarted(_ transitions: [Encoded<EventRecord>]) throws {
        try record(transitions)
        try syncIfDue()
    }

    /// Writes what a batch of cells did, stream by stream: new attempts, then EXECUTING → VERIFYING, then
    /// grades, then VERIFYING → COMPLETED. A resume accepts a kill between any two of these writes.
    func record(_ batch: BatchRecords) throws {
        if let timerFailure { throw timerFailure }
        try attempts.append(batch.attempts)
        for a in batch.attempts {
            state.add(a.record)
            if a.record.status == .cacheHit { cacheHitsNow += 1 }
        }
        try record(batch.executed)
        try grades.append(batch.grades)
        for g in batch.grades { state.add(g.record) }
        try record(batch.completed)
        // Only here, between batches, do the streams stand where an anchor may be taken.
        try syncIfDue()
    }

    /// Planned cells that are not COMPLETED, or completed with an answer but no grade: the sweep's own check
    /// before it is COMPLETED (the records were chain-checked when read, and everything since was written here).
    func unfinished(of cells: [PlannedCell]) -> [String] {
        var out: [String] = []
        for c in cells {
            let phase = state.ledger.phase(c.id)
            guard phase == .completed else { out.append("cell \(c.id) is \(phase.rawValue.uppercased())"); continue }
            guard let last = CellOutcome.final(state.attempts[c.id]) else { out.append("cell \(c.id) is COMPLETED with no attempt"); continue }
            if !CellOutcome.isWhole(final: last, graded: state.graded.contains) { out.append("cell \(c.id) is COMPLETED but \(last.attempt) has no grade") }
        }
        return out
    }

    func record(_ s: SessionRecord) throws {
        try sessions.append(s)
        try sync()
    }

    /// Reserves what each cell may still cost against the budget, in order; nil for a cell that would take
    /// spend and reservations past the cap (later, cheaper cells may still fit). A cell with an attempt on
    /// record costs nothing more, unless a new one will be made (its last was stopped by the provider, or
    /// `retryFailed` gives a failed cell another), so it reserves nothing and always fits.
    func reserve(_ ceilings: [(CellID, USD)], retryFailed: Bool = false) -> [USD?] {
        ceilings.map { cell, ceiling in
            let needed = state.needsAttempt(cell, retryFailed: retryFailed) ? ceiling : USD.zero
            guard state.spend + reserved + needed <= cap else { return nil }
            reserved = reserved + needed
            return needed
        }
    }

    func release(_ reservations: [USD]) {
        for r in reservations { reserved = USD(reserved.value - r.value) }
    }

    /// The timer's group commit: a failure is kept and raised by the next append.
    func tick() {
        do { try syncIfDue() } catch { timerFailure = timerFailure ?? error }
    }

    /// Group commit if the last one was over a second ago (the sweep's timer calls it, so records appended
    /// before a long quiet spell, such as slow calls, become durable within about a second).
    func syncIfDue() throws {
        let now = DispatchTime.now()
        if now.uptimeNanoseconds - lastSync.uptimeNanoseconds > 1_000_000_000 { try sync() }
    }

    /// Group commit: cache first, then the records that cite it, then the anchor that vouches for them.
    func sync() throws {
        try cache.sync()
        try cache.renewClaims(owner: claimOwner)
        for s in [events, attempts, grades] { try s.sync() }
        let heads = [events, attempts, grades].map { StreamHead(stream: $0.name, count: $0.count, head: $0.lastHash) }
        if heads != anchored {
            try sessions.append(SessionRecord.anchor(heads))
            anchored = heads
        }
        try sessions.sync()
        lastSync = DispatchTime.now()
    }
}

/// What a batch of cells adds to the records once its calls are made, encoded off the journal's actor.
struct BatchRecords: Sendable {
    var attempts: [Encoded<AttemptRecord>] = []
    var executed: [Encoded<EventRecord>] = []
    var grades: [Encoded<GradeRecord>] = []
    var completed: [Encoded<EventRecord>] = []
}
