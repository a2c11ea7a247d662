import Foundation

/// What every cell of a sweep shares while it runs, and the two ends of a cell's trip through the
/// pipeline: admission (where it stands, its request, the cache) and finishing (its records).
struct CellContext: Sendable {
    let requests: RequestBuilder
    let cache: ResponseCache
    /// Where paid responses are stored as they return, in group commits.
    let paidStore: GroupCommit
    let journal: RunJournal
    let runID: String
    /// This process, as the holder of cache claims on the requests it pays for.
    let claimOwner: ClaimOwner
    /// This session's operational settings (retries and their backoff are read here).
    var settings = OperationalSettings(concurrency: 8, budgetUSD: .zero)
    /// `--retry-failed`: a COMPLETED cell whose last attempt failed gets a new attempt, graded if it answers.
    var retryFailed = false
    /// Implementations of the program graders the plan names (the sandbox's), by identity.
    var programGraders: [GraderIdentity: any ProgramGrader] = [:]
    var plan: SweepPlan { requests.plan }

    init(requests: RequestBuilder, cache: ResponseCache, journal: RunJournal, runID: String, claimOwner: ClaimOwner) {
        self.requests = requests
        self.cache = cache
        paidStore = GroupCommit(cache: cache)
        self.journal = journal
        self.runID = runID
        self.claimOwner = claimOwner
    }
    var providers: [ProviderKind: any Provider] { requests.providers }

    /// The most a cell can cost: its rendered prompt (estimated, plus a 64-token margin for tokenizers
    /// that count higher) and `max_tokens` of output, at registry prices.
    func ceiling(_ cell: PlannedCell) -> USD {
        let model = plan.model(of: cell)
        guard plan.provider(of: cell) != .replay else { return .zero }
        let estimate = (try? TokenEstimate.prompt(requests.request(for: cell).0.messages)) ?? plan.item(of: cell).question.utf8.count
        let promptTokens = estimate + 64
        // With re-asks of truncated answers, the worst case asks at every limit in turn.
        let sampling = plan.manifest.sampling
        let asks = 1 + (sampling.reaskMaxTokens?.count ?? 0)
        return USD.cost(tokens: promptTokens * asks, perMillion: model.inputPerMTok)
            + USD.cost(tokens: sampling.maxTokens + (sampling.reaskMaxTokens ?? []).reduce(0, +), perMillion: model.outputPerMTok)
    }

    /// The cells among these whose exact request the cache already holds (they cost nothing to run).
    func cachedCells(_ cells: [PlannedCell]) throws -> Set<CellID> {
        guard !cells.isEmpty else { return [] }
        let keyed = try cells.map { cell in (cell.id, Digest.sha256(try requests.request(for: cell).0.canonical())) }
        let hits = try cache.entries(keyed.map(\.1))
        return Set(keyed.filter { hits[$0.1] != nil }.map(\.0))
    }

    // MARK: Admission

    /// What admitting a group of cells found.
    struct Admission: Sendable {
        /// Cells ready to finish with no call: a cache hit, an answer on record, a repair.
        var ready: [Completion] = []
        /// Cells whose request must be sent, claimed where the call is paid.
        var calls: [Call] = []
        /// Cells whose request another live process is paying for now: admitted again a little later.
        var waiting: [PlannedCell] = []
    }

    /// Admits cells to the pipeline: writes their PENDING → EXECUTING events (before any call, so a paid
    /// response found in the cache after a kill is known to be this run's own), prepares each request
    /// that must be made, asks the cache once, and claims the paid misses (see `ClaimOwner`).
    ///
    /// A cell past EXECUTING whose attempt or grade line a crash tore (it went to quarantine) is brought to
    /// a verifiable state by appending what is missing, never by stepping back: its attempt is recorded
    /// again (from the cache entry its call left, so nothing is paid twice) and its answer graded.
    func admit(_ cells: [PlannedCell], reserved: [USD]) async throws -> Admission {
        let snapshots = await journal.snapshots(cells.map(\.id))
        var started: [Encoded<EventRecord>] = []
        var admitted: [Admitted] = []
        for (i, snapshot) in snapshots.enumerated() {
            let walk: Walk
            switch Progress.resume(at: snapshot.phase) {
            case let .pending(p):
                let (e, t) = p.start()
                started.append(try Self.event(t, cells[i].id))
                walk = .executing(e)
            case let .executing(e): walk = .executing(e)
            case let .verifying(v): walk = .verifying(v)
            case .completed:
                guard snapshot.needsRepair || snapshot.needsAttempt(retryFailed: retryFailed) else { continue }
                walk = .completed
            }
            admitted.append(Admitted(cell: cells[i], snapshot: snapshot, walk: walk, reserved: reserved[i]))
        }
        try await journal.recordStarted(started)

        var out = Admission()
        // An attempt recorded before an interruption stands; only cells without one make one, and cells whose
        // last attempt was stopped by the provider (a rejected key, an empty account) make a new one.
        let needing = admitted.filter { $0.snapshot.needsAttempt(retryFailed: retryFailed) }
        out.ready = admitted.filter { !$0.snapshot.needsAttempt(retryFailed: retryFailed) }.map { Completion(admitted: $0) }
        guard !needing.isEmpty else { return out }
        let requests = self.requests
        let prepared = try await needing.concurrentMap { a in
            // A truncated answer on record to be asked again: the next attempt sends the larger limit.
            try Self.prepare(requests, a.cell, n: a.snapshot.attempts + 1, maxTokens: a.snapshot.last?.reaskAt)
        }
        let hits = try cache.entries(prepared.map(\.key))
        var misses: [Int] = []
        for (i, p) in prepared.enumerated() {
            if let hit = hits[p.key] { out.ready.append(Completion(admitted: needing[i], made: fromCache(p, hit, needing[i].snapshot))) } else { misses.append(i) }
        }
        let paid = misses.filter { providers[prepared[$0].request.provider]?.callsArePaid == true }
        let claims = try await cache.claimOffPool(paid.map { prepared[$0].key }, owner: claimOwner)
        var toCall = misses.filter { claims[prepared[$0].key]?.mayCall ?? true }
        out.waiting = misses.filter { !(claims[prepared[$0].key]?.mayCall ?? true) }.map { needing[$0].cell }
        // The cells waiting for another process hold no reservation here: they reserve again when admitted again.
        for i in misses where !(claims[prepared[i].key]?.mayCall ?? true) { await journal.release([needing[i].reserved]) }
        // A process that is gone may have written its response to a pack and died before indexing it.
        if claims.values.contains(where: { if case .takenOver = $0 { true } else { false } }) {
            _ = try cache.recoverUnindexed()
            let found = try cache.entries(toCall.map { prepared[$0].key })
            for i in toCall {
                if let hit = found[prepared[i].key] {
                    var c = Completion(admitted: needing[i], made: fromCache(prepared[i], hit, needing[i].snapshot))
                    c.claimed = prepared[i].key
                    out.ready.append(c)
                }
            }
            toCall = toCall.filter { found[prepared[$0].key] == nil }
        }
        out.calls = toCall.map { i in
            Call(admitted: needing[i], prepared: prepared[i], provider: providers[prepared[i].request.provider]!,
                 claimed: claims[prepared[i].key] != nil ? prepared[i].key : nil)
        }
        return out
    }

    static func prepare(_ requests: RequestBuilder, _ cell: PlannedCell, n: Int, maxTokens: Int?) throws -> Prepared {
        let (request, prompt, template) = try requests.request(for: cell, maxTokens: maxTokens)
        let bytes = try request.canonical()
        var p = Prepared(cell: cell, request: request, bytes: bytes, key: Digest.sha256(bytes), prompt: prompt, template: template).numbered(n)
        p.maxTokens = maxTokens
        return p
    }

    /// What follows a truncated answer: the call at the larger limit, or its answer if the cache holds it.
    enum Reask {
        case call(Call)
        case ready(Completion)
    }

    /// The cell of `call` asked again at `limit`, as its next attempt (its own request and cache key).
    func reask(_ call: Call, at limit: Int) throws -> Reask {
        let p = try Self.prepare(requests, call.admitted.cell, n: call.prepared.n + 1, maxTokens: limit)
        if let hit = try cache.entries([p.key])[p.key] { return .ready(Completion(admitted: call.admitted, made: fromCache(p, hit, call.admitted.snapshot))) }
        var next = call
        next.prepared = p
        next.claimed = nil
        next.failures = 0
        return .call(next)
    }

    /// An attempt served by the cache: a hit, or (for a cell already EXECUTING before this process) this very
    /// attempt's own paid response, stored before a crash took its record.
    private func fromCache(_ p: Prepared, _ hit: CacheEntry, _ snapshot: RunJournal.CellSnapshot) -> Made {
        // Any attempt of this cell in this run (a retry's number may be past the records a crash left).
        let prefix = "\(p.cell.id)#"
        if snapshot.phase >= .executing && hit.originRun == runID && hit.originAttempt.hasPrefix(prefix),
           let n = Int(hit.originAttempt.dropFirst(prefix.count)) {
            let own = p.numbered(n)
            return Made(record: own.record(.ok, response: hit.responseHash, metering: hit.metering, cost: hit.metering.costUSD,
                                           costSource: hit.metering.costSource, recovered: true), answer: hit.answerText)
        }
        return Made(record: p.record(.cacheHit, response: hit.responseHash, metering: hit.metering, cost: .zero, costSource: "cache_hit",
                                     origin: "\(hit.originRun)/\(hit.originAttempt)"), answer: hit.answerText)
    }

    // MARK: Calls

    /// One try of a call: the provider answers, and a paid response is stored in the cache the moment it returns.
    func attempt(_ call: Call) async -> CallOutcome {
        switch await self.call(call) {
        case let .outcome(outcome): outcome
        case let .paid(r, m): await store(call, r, m)
        }
    }

    /// What a call gave back, before anything is stored: an outcome, or a paid response still to store.
    enum Returned: Sendable {
        case outcome(CallOutcome)
        case paid(ProviderResponse, CacheEntry.Metering)
    }

    /// The call itself: the provider answers (the pipeline frees the call's slot here, before the store).
    // A separate function: a `do throws(AttemptFailure)` inside a task closure was miscompiled in
    // release builds (Swift 6.3.1 returned a garbage tuple from the child task).
    func call(_ call: Call) async -> Returned {
        let r: ProviderResponse
        do { r = try await call.provider.complete(call.prepared.request) } catch {
            return .outcome(error.kind == .cancelled || Task.isCancelled ? .cancelled : .failure(error))
        }
        var m = CacheEntry.Metering(modelUsed: r.modelUsed, providerUsed: r.providerUsed, tokens: r.usage, costUSD: r.cost,
                                    costSource: r.costSource, latencyMs: r.latencyMs, at: Clock.now())
        m.call = r.call
        return call.provider.callsArePaid ? .paid(r, m) : .outcome(.response(r, m, stored: nil))
    }

    /// Stores a paid response (in a group commit), even if the sweep is cancelled meanwhile: the call was paid for.
    func store(_ call: Call, _ r: ProviderResponse, _ m: CacheEntry.Metering) async -> CallOutcome {
        do {
            let stored = try await paidStore.store(payment(call.prepared, r, m))
            Faults.afterPaidStore()
            return .response(r, m, stored: stored)
        } catch {
            return .storeFailed(error)
        }
    }

    /// How long to wait before retrying after `failures` failures, the last being `f`: capped exponential
    /// backoff with jitter, or the provider's own Retry-After when that is longer.
    func backoffMs(failures: Int, last f: AttemptFailure) -> Double {
        let backoff = min(30_000, settings.retryBaseMs << min(failures - 1, 16))
        return max(Double(backoff) * Double.random(in: 0.8...1.2), Double(f.retryAfterMs ?? 0))
    }

    private func payment(_ p: Prepared, _ r: ProviderResponse, _ m: CacheEntry.Metering) -> ResponseCache.Payment {
        ResponseCache.Payment(requestKey: p.key, request: p.bytes, body: r.body, answerText: r.answerText,
                              originRun: runID, originAttempt: p.attemptID, metering: m)
    }

    // MARK: Finishing

    /// Records what a group of completions did, stream by stream, with one append per stream: new attempts,
    /// EXECUTING → VERIFYING, grades, VERIFYING → COMPLETED. Free responses (replays) are stored first, in
    /// one transaction; claims and reservations are released after the records are appended. Cells whose
    /// grader runs programs stay VERIFYING: they come back as grading jobs, and `graded` (jobs done since the
    /// last write) are recorded here, grade and VERIFYING → COMPLETED. Returns the failure of a provider that
    /// said stop (the cell stays EXECUTING for the next session), if any, and the new grading jobs.
    func finish(_ completions: [Completion], graded: [GradedJob] = []) async throws -> (stop: AttemptFailure?, grading: [GradingJob]) {
        var completions = completions
        let unstored = completions.indices.filter { completions[$0].unstored != nil }
        let kept = try await cache.storeOffPool(unstored.map { i in
            let u = completions[i].unstored!
            return payment(u.prepared, u.response, u.metering)
        })
        for (i, entry) in zip(unstored, kept) {
            let u = completions[i].unstored!
            completions[i].made = Made(record: u.prepared.record(.ok, response: entry.responseHash, metering: u.metering, cost: u.response.cost,
                                                                 costSource: u.response.costSource), answer: entry.answerText)
        }
        // A re-recorded attempt (its line was torn) may have kept its grade: that grade stands.
        let alreadyGraded = await journal.graded(completions.compactMap { $0.made?.record.attempt })
        var steps: [Step] = []
        var stop: AttemptFailure?
        for c in completions {
            guard let a = c.admitted else {
                steps.append(Step(cell: nil, attempts: c.made.map { [$0.record] } ?? [], answer: nil, last: nil, executed: nil, verifying: nil, graded: true))
                continue
            }
            let new = c.made
            let last = new.map { LiveState.AttemptSummary(attempt: $0.record.attempt, status: $0.record.status, request: $0.record.request,
                                                           failureKind: $0.record.failure?.kind) } ?? a.snapshot.last
            let graded = new.map { alreadyGraded.contains($0.record.attempt) } ?? a.snapshot.graded
            if let last, last.interrupted, let failure = new?.record.failure {
                // The provider said stop: the attempt is recorded, the cell stays EXECUTING for the next session.
                stop = stop ?? failure
                steps.append(Step(cell: a.cell, attempts: [new!.record], answer: nil, last: last, executed: nil, verifying: nil, graded: true))
                continue
            }
            let (executed, verifying): (Transition?, Verifying?)
            switch a.walk {
            case let .executing(e):
                let (v, t) = e.executed()
                (executed, verifying) = (t, v)
            case let .verifying(v): (executed, verifying) = (nil, v)
            case .completed: (executed, verifying) = (nil, nil)
            }
            steps.append(Step(cell: a.cell, attempts: new.map { [$0.record] } ?? [], answer: new?.answer, last: last,
                              executed: executed, verifying: verifying, graded: graded))
        }
        // Answers of attempts recorded by an earlier process are read back from the cache.
        let answers = try cache.entries(steps.compactMap { s in
            s.answer == nil && !s.graded && s.last.map { $0.status != .failed } == true ? s.last!.request : nil
        })
        // A cell that cannot be finished (e.g. its grader is missing) does not hold back the others:
        // everything that could be finished is written, then the first error is raised.
        let finished = try await steps.concurrentMap { step in Result { try self.finish(step, answers: answers) } }
        var records = BatchRecords()
        var firstError: (any Error)?
        var grading: [GradingJob] = []
        for result in finished {
            switch result {
            case let .success(f):
                records.attempts += f.attempts
                if let e = f.executed { records.executed.append(e) }
                if let g = f.grade { records.grades.append(g) }
                if let c = f.completed { records.completed.append(c) }
                if let j = f.job { grading.append(j) }
            case let .failure(error): firstError = firstError ?? error
            }
        }
        for done in graded {
            records.grades.append(try Encoded(GradeRecord(cell: done.job.cell.id, attempt: done.job.attempt, grader: done.job.identity,
                                                          item: done.job.item, grade: done.grade)))
            if let v = done.job.verifying { records.completed.append(try Self.event(v.verified(), done.job.cell.id)) }
        }
        try await journal.record(records)
        let claimed = completions.compactMap(\.claimed)
        if !claimed.isEmpty { try await cache.releaseOffPool(claimed, owner: claimOwner) }
        await journal.release(completions.compactMap { $0.admitted?.reserved })
        if let firstError { throw firstError }
        return (stop, grading)
    }

    private func finish(_ step: Step, answers: [String: CacheEntry]) throws -> Finished {
        let id = step.cell?.id
        var grade: Encoded<GradeRecord>?
        var job: GradingJob?
        if !step.graded, let cell = step.cell {
            switch try grading(cell, attempt: step.last, answer: step.answer ?? step.last.flatMap { answers[$0.request]?.answerText }) {
            case let .text(g)?: grade = g
            case let .program(cell, attempt, answer, item, identity)?:
                // Graded in the pipeline's grading lane; the cell stays VERIFYING until its grade is written.
                job = GradingJob(cell: cell, attempt: attempt, answer: answer, item: item, identity: identity, verifying: step.verifying)
            case nil: break
            }
        }
        let completed = job == nil ? try step.verifying.map { try Self.event($0.verified(), id!) } : nil
        return Finished(attempts: try step.attempts.map(Encoded.init), executed: try step.executed.map { try Self.event($0, id!) },
                        grade: grade, completed: completed, job: job)
    }

    private static func event(_ t: Transition, _ cell: CellID) throws -> Encoded<EventRecord> {
        try Encoded(EventRecord(scope: "cell", cell: cell, from: t.from, to: t.to))
    }

    /// How the cell's final attempt is graded: a text grade made now, or a program grader's job; nil when that
    /// attempt failed (nothing to grade).
    private func grading(_ cell: PlannedCell, attempt: LiveState.AttemptSummary?, answer: String?) throws -> Grading? {
        guard let attempt, attempt.status != .failed else { return nil }
        let bench = plan.benchmark(of: cell)
        guard let (kind, identity) = plan.grader(of: cell) else {
            throw RunError.corrupt("benchmark \(bench.id): grader \(plan.graderSpec(of: cell)) is not in this build")
        }
        guard let text = answer else {
            throw RunError.corrupt("attempt \(attempt.attempt) cites request \(attempt.request.prefix(12))…, which the cache does not hold")
        }
        let item = plan.item(of: cell).grading
        switch kind {
        case let .text(grader):
            return .text(try Encoded(GradeRecord(cell: cell.id, attempt: attempt.attempt, grader: identity, item: item,
                                                 grade: grader.grade(response: text, item: item))))
        case .program:
            return .program(cell, attempt.attempt, text, item, identity)
        }
    }

    private enum Grading {
        case text(Encoded<GradeRecord>)
        case program(PlannedCell, String, String, GradingItem, GraderIdentity)
    }
}

// MARK: The values a cell carries through the pipeline

/// The typestate a cell continues from.
enum Walk: Sendable {
    case executing(Executing)
    case verifying(Verifying)
    /// COMPLETED already; only a missing attempt or grade is appended.
    case completed
}

/// A cell taken into the pipeline: where it stood, and what it reserved against the budget.
struct Admitted: Sendable {
    let cell: PlannedCell
    let snapshot: RunJournal.CellSnapshot
    let walk: Walk
    let reserved: USD
}

/// A request to send for an admitted cell.
struct Call: Sendable {
    let admitted: Admitted
    /// The request, numbered as the attempt its next try makes.
    var prepared: Prepared
    let provider: any Provider
    /// The cache claim this process holds on the request, released once its cell is recorded.
    var claimed: String?
    /// Retryable failures of this request in this session.
    var failures = 0
    var model: String { admitted.cell.id.model }
}

/// How one try of a call ended.
enum CallOutcome: Sendable {
    /// With its metering, and the cache entry when the response was stored as it arrived (a paid call).
    case response(ProviderResponse, CacheEntry.Metering, stored: CacheEntry?)
    case failure(AttemptFailure)
    /// Says nothing about the model: the cell stays EXECUTING for the next resume.
    case cancelled
    /// A paid response came back but the cache could not store it.
    case storeFailed(any Error)
}

/// Something to record: a cell ready to finish (with the attempt it just made, if any), or, with no
/// admitted cell, a retried failure's attempt recorded on its own as soon as it happens.
struct Completion: Sendable {
    var admitted: Admitted?
    var made: Made?
    /// A free response (a replay) still to be stored, with the attempt it answers.
    var unstored: (prepared: Prepared, response: ProviderResponse, metering: CacheEntry.Metering)?
    var claimed: String?

    init(admitted: Admitted?, made: Made? = nil) {
        self.admitted = admitted
        self.made = made
    }

    /// The final outcome of a call for its cell.
    init(_ call: Call, _ outcome: CallOutcome) {
        self.init(admitted: call.admitted)
        claimed = call.claimed
        let p = call.prepared
        switch outcome {
        case let .response(r, m, stored: entry?):
            made = Made(record: p.record(.ok, response: entry.responseHash, metering: m, cost: r.cost, costSource: r.costSource), answer: entry.answerText)
        case let .response(r, m, stored: nil):
            unstored = (p, r, m)
        case let .failure(f):
            made = Made(record: p.record(.failed, response: nil, metering: nil, cost: f.chargedUSD ?? .zero, costSource: f.chargedUSD == nil ? "none" : "metered", failure: f), answer: nil)
        case .cancelled, .storeFailed: break
        }
    }

    /// A truncated answer recorded at once, with the larger limit its cell is asked again at.
    static func reasked(_ call: Call, _ outcome: CallOutcome, at limit: Int) -> Completion {
        var c = Completion(call, outcome)
        c.admitted = nil
        c.made?.record.reaskAt = limit
        return c
    }

    /// A retryable failure, recorded at once; the cell's next try follows.
    static func retried(_ call: Call, _ f: AttemptFailure) -> Completion {
        let p = call.prepared
        return Completion(admitted: nil, made: Made(record: p.record(.failed, response: nil, metering: nil, cost: f.chargedUSD ?? .zero,
                                                                     costSource: f.chargedUSD == nil ? "none" : "metered", failure: f), answer: nil))
    }
}

/// A new attempt and the answer text it brought back.
struct Made: Sendable {
    var record: AttemptRecord
    let answer: String?
}

/// A cell's exact request, ready to look up and send.
struct Prepared: Sendable {
    let cell: PlannedCell
    let request: ProviderRequest
    let bytes: Data
    let key: String
    let prompt: String
    let template: String
    /// The attempt's number within its cell.
    var n = 1
    /// A re-ask's limit (nil: the manifest's `max_tokens`).
    var maxTokens: Int? = nil
    var attemptID: String { "\(cell.id)#\(n)" }

    /// The same request as attempt number `n`.
    func numbered(_ n: Int) -> Prepared {
        var copy = self
        copy.n = n
        return copy
    }

    func record(_ status: AttemptStatus, response: String?, metering: CacheEntry.Metering?, cost: USD, costSource: String,
                origin: String? = nil, recovered: Bool? = nil, failure: AttemptFailure? = nil) -> AttemptRecord {
        AttemptRecord(
            attempt: attemptID, cell: cell.id, n: n, status: status, request: key, prompt: prompt, template: template,
            seed: cell.seed, model: cell.id.model, provider: request.provider, baseURL: request.baseURL,
            modelUsed: metering?.modelUsed, providerUsed: metering?.providerUsed, tokens: metering?.tokens, costUSD: cost,
            costSource: costSource, latencyMs: status == .cacheHit ? nil : metering?.latencyMs, response: response,
            cacheOrigin: origin, recovered: recovered, failure: failure, call: status == .cacheHit ? nil : metering?.call, maxTokens: maxTokens,
            at: metering?.at ?? Clock.now())
    }
}

/// A cell between its attempt and COMPLETED (or, with no cell, a retried failure's attempt alone).
private struct Step: Sendable {
    let cell: PlannedCell?
    /// The attempt made for it now, to be written.
    let attempts: [AttemptRecord]
    let answer: String?
    /// The cell's final attempt (this one or one on record).
    let last: LiveState.AttemptSummary?
    let executed: Transition?
    /// The cell in VERIFYING, to complete once graded; nil when it is COMPLETED already.
    let verifying: Verifying?
    let graded: Bool
}

/// The records a step adds, encoded.
private struct Finished: Sendable {
    let attempts: [Encoded<AttemptRecord>]
    let executed: Encoded<EventRecord>?
    let grade: Encoded<GradeRecord>?
    let completed: Encoded<EventRecord>?
    let job: GradingJob?
}

/// A cell in VERIFYING whose answer a program grader is to grade; it completes when its grade is written.
struct GradingJob: Sendable {
    let cell: PlannedCell
    let attempt: String
    let answer: String
    let item: GradingItem
    let identity: GraderIdentity
    /// nil for a COMPLETED cell whose grade line a crash tore (only the grade is appended).
    let verifying: Verifying?
}

/// A grading job and the grade it came to.
struct GradedJob: Sendable {
    let job: GradingJob
    let grade: Grade
}
