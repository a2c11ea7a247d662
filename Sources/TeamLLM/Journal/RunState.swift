import Foundation
import Synchronization

/// Every record of a run, read and checked (seals, `seq`, `prev` chains).
public struct RunRecords: Sendable {
    public let folder: RunFolder
    public let header: RunHeader
    public let events: [Stamped<EventRecord>]
    public let attempts: [Stamped<AttemptRecord>]
    public let grades: [Stamped<GradeRecord>]
    public let sessions: [Stamped<SessionRecord>]

    /// Reads a run's records (a consistent view: see `RunFolder.reading`); a torn last line is an error here.
    public static func read(_ folder: RunFolder) throws -> RunRecords {
        try folder.reading { extent in
            func load<R: StreamRecord>(_ type: R.Type) throws -> [Stamped<R>] {
                var out: [Stamped<R>] = []
                try RunRecords.stream(folder, type, extent) { out.append($0) }
                return out
            }
            return RunRecords(folder: folder, header: try folder.readHeader(), events: try load(EventRecord.self),
                              attempts: try load(AttemptRecord.self), grades: try load(GradeRecord.self), sessions: try load(SessionRecord.self))
        }
    }
}

extension RunRecords {
    /// Hands over a run's records of one type in order, as far as `extent` reaches, checked against every
    /// anchor; a torn last line is an error here (only a resume repairs it). Returns where the stream ended.
    @discardableResult
    public static func stream<R: StreamRecord>(_ folder: RunFolder, _ type: R.Type, _ extent: ReadExtent,
                                               each: (Stamped<R>) throws -> Void) throws -> StreamTail {
        let (tail, problems) = try scan(folder, type, extent, each: each)
        if let first = problems.first { throw first }
        return tail
    }

    /// `stream`, handing back how the stream ends wrongly (missing, a torn last line, cut short of an
    /// anchor) instead of throwing it, so a checker can go on; a broken seal or chain still throws.
    public static func scan<R: StreamRecord>(_ folder: RunFolder, _ type: R.Type, _ extent: ReadExtent,
                                             each: (Stamped<R>) throws -> Void) throws -> (tail: StreamTail, problems: [RunError]) {
        let url = folder.stream(type)
        guard FileManager.default.fileExists(atPath: url.path) else {
            return (StreamTail(count: 0, lastHash: SealedLine.genesis, torn: nil), [RunError.notFound(url.path)])
        }
        let tail = try StreamReader.records(url, type, limit: extent.limit(R.stream), anchored: extent.anchors.heads[R.stream] ?? [:], each: each)
        var problems: [RunError] = []
        if let torn = tail.torn { problems.append(.torn(file: url.lastPathComponent, offset: torn.offset, length: torn.bytes.count)) }
        do { try extent.checkLength(R.stream, tail) } catch let e as RunError { problems.append(e) }
        return (tail, problems)
    }
}

/// Runs independent jobs (one per stream file) side by side on the machine's cores; each job writes only
/// its own result, read after all have returned. The first error, in job order, is thrown.
func sideBySide(_ jobs: [() throws -> Void]) throws {
    // Safe to send: the caller gives jobs that touch disjoint state (each writes only its own variables),
    // each job runs exactly once, and `concurrentPerform` returns only after every job has finished, so
    // every write happens before the caller reads.
    struct Jobs: @unchecked Sendable { let list: [() throws -> Void] }
    let box = Jobs(list: jobs)
    let errors = Mutex<[Int: any Error]>([:])
    DispatchQueue.concurrentPerform(iterations: box.list.count) { i in
        do { try box.list[i]() } catch { errors.withLock { $0[i] = error } }
    }
    if let first = errors.withLock({ $0.sorted { $0.key < $1.key }.first?.value }) { throw first }
}

/// The phase of every cell and of the sweep, replayed from events; only forward single steps pass.
public struct PhaseLedger: Sendable {
    public var sweep: Phase = .pending
    public var phases: [CellID: Phase] = [:]

    public init() {}

    /// Applies one transition, checking it is the single legal forward step.
    mutating func apply(_ e: EventRecord, line: Int) throws {
        try check(e, line: line)
        if let cell = e.cell { phases[cell] = e.to } else { sweep = e.to }
    }

    /// Throws, naming the line, unless the transition is the single legal forward step from where its subject stands.
    func check(_ e: EventRecord, line: Int) throws {
        let current: Phase
        let subject: String
        switch (e.scope, e.cell) {
        case ("sweep", nil):
            current = sweep; subject = "the sweep"
        case let ("cell", .some(cell)):
            current = phases[cell] ?? .pending; subject = "cell \(cell)"
        default:
            throw RunError.replay(file: "events.jsonl", line: line, reason: "event has scope '\(e.scope)' and cell \(e.cell.map { "\($0)" } ?? "none")")
        }
        guard e.from == current, current.successor == e.to else {
            let kind = e.to <= e.from ? "backward" : (e.from != current ? "out-of-order" : "skipped")
            throw RunError.replay(file: "events.jsonl", line: line,
                                  reason: "\(kind) transition \(e.from.rawValue.uppercased()) → \(e.to.rawValue.uppercased()) for \(subject), which was \(current.rawValue.uppercased()); transitions only go forward one step")
        }
    }

    /// The phase of a cell (PENDING when it has no events).
    public func phase(_ cell: CellID) -> Phase { phases[cell] ?? .pending }
}

/// Where every cell stands, with every attempt and grade, derived only from the records.
public struct RunState: Sendable {
    public var ledger = PhaseLedger()
    public var attempts: [CellID: [AttemptRecord]] = [:]
    /// Grades by attempt id, in record order.
    public var grades: [String: [GradeRecord]] = [:]
    /// What this run paid (cache hits cost nothing).
    public var spend: USD = .zero

    public init() {}

    public var sweep: Phase { ledger.sweep }
    public var phases: [CellID: Phase] { ledger.phases }

    /// Reads a run's records straight into its state, holding no record arrays; a backward or
    /// skipped transition is rejected naming its record, a torn last line is an error.
    public static func read(_ folder: RunFolder) throws -> RunState {
        try folder.reading { try read(folder, $0) }
    }

    /// Reads a run's records as far as `extent` reaches.
    public static func read(_ folder: RunFolder, _ extent: ReadExtent) throws -> RunState {
        var events = RunState(), attempts = RunState(), grades = RunState()
        try sideBySide([
            { try RunRecords.stream(folder, EventRecord.self, extent) { try events.apply($0.payload, line: $0.seq) } },
            { try RunRecords.stream(folder, AttemptRecord.self, extent) { attempts.add($0.payload) } },
            { try RunRecords.stream(folder, GradeRecord.self, extent) { grades.add($0.payload) } },
        ])
        var state = attempts
        state.ledger = events.ledger
        state.grades = grades.grades
        return state
    }

    /// Applies one transition, checking it is the single legal forward step.
    mutating func apply(_ e: EventRecord, line: Int) throws { try ledger.apply(e, line: line) }

    mutating func add(_ a: AttemptRecord) {
        attempts[a.cell, default: []].append(a)
        if a.status == .ok { spend = spend + a.costUSD }
    }

    mutating func add(_ g: GradeRecord) { grades[g.attempt, default: []].append(g) }

    /// The phase of a cell (PENDING when it has no events).
    public func phase(_ cell: CellID) -> Phase { ledger.phase(cell) }
}

/// What a running sweep needs to know of its records, and no more (it is held for every cell).
struct LiveState: Sendable {
    /// The part of an attempt later steps of its cell look at.
    struct AttemptSummary: Sendable {
        let attempt: String
        let status: AttemptStatus
        let request: String
        var failureKind: FailureKind? = nil
        /// A truncated answer the cell asks again at this limit.
        var reaskAt: Int? = nil
        /// A failure that stopped the sweep (a rejected key, an empty account): the cell stays EXECUTING and
        /// the next session makes a new attempt.
        var interrupted: Bool { failureKind.map { $0.disposition == .stopsDispatch || $0.disposition == .endsRun } ?? false }
    }
    var ledger = PhaseLedger()
    var attempts: [CellID: [AttemptSummary]] = [:]
    /// Attempt ids that have a grade.
    var graded: Set<String> = []
    var spend: USD = .zero

    mutating func add(_ a: AttemptRecord) {
        add(cell: a.cell, AttemptSummary(attempt: a.attempt, status: a.status, request: a.request, failureKind: a.failure?.kind, reaskAt: a.reaskAt),
            cost: a.costUSD)
    }

    /// The fields of an attempt record a running sweep keeps: read alone on resume, which decodes every attempt.
    struct AttemptFields: Decodable, Sendable {
        struct Failure: Decodable, Sendable { let kind: FailureKind }
        let attempt: String
        let cell: CellID
        let status: AttemptStatus
        let request: String
        let costUSD: USD
        let failure: Failure?
        let reaskAt: Int?
        enum CodingKeys: String, CodingKey { case attempt, cell, status, request, failure, costUSD = "cost_usd", reaskAt = "reask_at" }
    }

    mutating func add(_ a: AttemptFields) {
        add(cell: a.cell, AttemptSummary(attempt: a.attempt, status: a.status, request: a.request, failureKind: a.failure?.kind, reaskAt: a.reaskAt),
            cost: a.costUSD)
    }

    private mutating func add(cell: CellID, _ summary: AttemptSummary, cost: USD) {
        attempts[cell, default: []].append(summary)
        if summary.status == .ok { spend = spend + cost }
    }

    mutating func add(_ g: GradeRecord) { graded.insert(g.attempt) }

    /// True when a cell's next step is a new attempt: it has none, its last was stopped by the provider, its
    /// last failed with a retryable failure before the cell moved on (an interruption between retries), or
    /// `retryFailed` gives a COMPLETED cell whose last attempt failed another one.
    static func needsAttempt(phase: Phase, last: AttemptSummary?, retryFailed: Bool) -> Bool {
        guard let last else { return true }
        if phase == .executing, last.status == .failed, last.failureKind?.disposition == .retryable { return true }
        // A truncated answer to be asked again at a larger limit (killed before the re-ask was recorded).
        if phase == .executing, last.reaskAt != nil { return true }
        return last.interrupted || (retryFailed && phase == .completed && last.status == .failed)
    }

    /// `needsAttempt` for a cell of this state.
    func needsAttempt(_ cell: CellID, retryFailed: Bool) -> Bool {
        Self.needsAttempt(phase: ledger.phase(cell), last: CellOutcome.final(attempts[cell]), retryFailed: retryFailed)
    }

    /// True while a cell is not COMPLETED, or is COMPLETED without the attempt or grade it must have
    /// (a crash tore that line; resume appends it again).
    func needsWork(_ cell: CellID) -> Bool {
        ledger.phase(cell) != .completed || !CellOutcome.isWhole(final: CellOutcome.final(attempts[cell]), graded: graded.contains)
    }
}
