import Foundation

/// The single writer of a run's records; also the live state they imply.
///
/// Every append is one `write(2)` of a sealed line, so a killed process loses nothing it appended.
/// Group commit: at most once a second (and at the end), the cache is flushed to stable storage and
/// then every stream is fsynced, so a durable record never cites a cache entry that is not.
actor RunJournal {
    let folder: RunFolder
    private let cache: ResponseCache
    private let events: RecordStream
    private let attempts: RecordStream
    private let grades: RecordStream
    private let sessions: RecordStream
    private(set) var state: RunState
    private var lastSync = DispatchTime.now()
    private var reserved: USD = .zero
    let cap: USD

    // Counters for progress, since this process started.
    private(set) var cellsDoneNow = 0
    private(set) var cacheHitsNow = 0

    init(folder: RunFolder, cache: ResponseCache, tails: [String: StreamTail], state: RunState, cap: USD) throws {
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

    func phase(_ cell: CellID) -> Phase { state.phase(cell) }
    func attempts(of cell: CellID) -> [AttemptRecord] { state.attempts[cell] ?? [] }
    func grades(of attempt: String) -> [GradeRecord] { state.grades[attempt] ?? [] }
    var spend: USD { state.spend }
    var sweepPhase: Phase { state.sweep }

    /// Writes a cell transition.
    func record(_ t: Transition, cell: CellID) throws {
        let e = EventRecord(scope: "cell", cell: cell, from: t.from, to: t.to)
        try state.apply(e, line: events.count + 1)
        try events.append(e)
        if t.to == .completed { cellsDoneNow += 1 }
        syncIfDue()
    }

    /// Writes a sweep transition (and syncs: these are rare and mark milestones).
    func recordSweep(_ t: Transition) throws {
        let e = EventRecord(scope: "sweep", cell: nil, from: t.from, to: t.to)
        try state.apply(e, line: events.count + 1)
        try events.append(e)
        sync()
    }

    func record(_ a: AttemptRecord) throws {
        try attempts.append(a)
        state.add(a)
        if a.status == .cacheHit { cacheHitsNow += 1 }
        syncIfDue()
    }

    func record(_ g: GradeRecord) throws {
        try grades.append(g)
        state.add(g)
    }

    func record(_ s: SessionRecord) throws {
        try sessions.append(s)
        sync()
    }

    /// Reserves a cell's cost ceiling against the budget; false when it would exceed the cap.
    func reserve(_ ceiling: USD) -> Bool {
        guard state.spend + reserved + ceiling <= cap else { return false }
        reserved = reserved + ceiling
        return true
    }

    func release(_ ceiling: USD) { reserved = USD(reserved.value - ceiling.value) }

    private func syncIfDue() {
        let now = DispatchTime.now()
        if now.uptimeNanoseconds - lastSync.uptimeNanoseconds > 1_000_000_000 { sync() }
    }

    /// Group commit: cache first, then the records that cite it.
    func sync() {
        cache.sync()
        for s in [events, attempts, grades, sessions] { s.sync() }
        lastSync = DispatchTime.now()
    }
}
