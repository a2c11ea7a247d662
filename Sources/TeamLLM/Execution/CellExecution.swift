import Foundation

/// Builds the exact request of a cell from the plan, the registry's template and the provider.
struct RequestBuilder: Sendable {
    let plan: SweepPlan
    let registry: Registry
    let providers: [ProviderKind: any Provider]

    /// The messages that ask an item: its benchmark's template rendered with the item's fields.
    static func messages(item: Item, benchmark bench: BenchmarkEntry, registry: Registry) throws -> [ChatMessage] {
        try template(of: bench, registry).render(item.fields.merging(["question": item.question]) { $1 })
    }

    private static func template(of bench: BenchmarkEntry, _ registry: Registry) throws -> PromptTemplate {
        guard let template = registry.templates[bench.template] else {
            throw RegistryError.unknown(kind: "template", ref: bench.template, known: registry.templates.keys.sorted())
        }
        return template
    }

    /// The request a cell sends, with its prompt and template hashes.
    func request(for cell: PlannedCell) throws -> (ProviderRequest, prompt: String, template: String) {
        let bench = plan.benchmark(of: cell), item = plan.item(of: cell), model = plan.model(of: cell)
        let template = try Self.template(of: bench, registry)
        let messages = try Self.messages(item: item, benchmark: bench, registry: registry)
        let kind = plan.provider(of: cell)
        guard let provider = providers[kind] else { throw RunError.corrupt("no provider for \(kind.rawValue)") }
        let sampling = plan.manifest.sampling
        let request = ProviderRequest(provider: kind, baseURL: provider.baseURL(for: model), model: model.slug, messages: messages,
                                      temperature: sampling.temperature, maxTokens: sampling.maxTokens, seed: cell.seed, sample: cell.id.sample,
                                      topP: sampling.topP, stop: sampling.stop)
        return (request, try CanonicalJSON.hash(messages), template.hash)
    }
}

/// What every cell of a sweep shares while it runs.
struct CellContext: Sendable {
    let requests: RequestBuilder
    let cache: ResponseCache
    let journal: RunJournal
    let runID: String
    /// This process, as the holder of cache claims on the requests it pays for.
    let claimOwner: ClaimOwner
    /// This session's operational settings (retries and their backoff are read here).
    var settings = OperationalSettings(concurrency: 8, budgetUSD: .zero)
    /// `--retry-failed`: a COMPLETED cell whose last attempt failed gets a new attempt, graded if it answers.
    var retryFailed = false
    var plan: SweepPlan { requests.plan }
    var providers: [ProviderKind: any Provider] { requests.providers }

    /// The most a cell can cost: its rendered prompt (estimated, plus a 64-token margin for tokenizers
    /// that count higher) and `max_tokens` of output, at registry prices.
    func ceiling(_ cell: PlannedCell) -> USD {
        let model = plan.model(of: cell)
        guard plan.provider(of: cell) != .replay else { return .zero }
        let estimate = (try? TokenEstimate.prompt(requests.request(for: cell).0.messages)) ?? plan.item(of: cell).question.utf8.count
        let promptTokens = estimate + 64
        return USD.cost(tokens: promptTokens, perMillion: model.inputPerMTok)
            + USD.cost(tokens: plan.manifest.sampling.maxTokens, perMillion: model.outputPerMTok)
    }

    /// The cells among these whose exact request the cache already holds (they cost nothing to run).
    func cachedCells(_ cells: [PlannedCell]) throws -> Set<CellID> {
        guard !cells.isEmpty else { return [] }
        let keyed = try cells.map { cell in (cell.id, Digest.sha256(try requests.request(for: cell).0.canonical())) }
        let hits = try cache.entries(keyed.map(\.1))
        return Set(keyed.filter { hits[$0.1] != nil }.map(\.0))
    }

    /// Walks a batch of cells forward from wherever the records say each stands, with at most
    /// `concurrency` provider calls in flight.
    ///
    /// Work is grouped per batch, not per cell: the PENDING → EXECUTING transitions are written first
    /// (before any call, so a paid response found in the cache after a kill is known to be this run's
    /// own); the cache is asked once; the misses are called, at most `concurrency` at a time, and stored
    /// in one transaction; then attempts, grades and transitions are encoded on every core and appended
    /// with one write per stream. A cell whose call was cancelled stays EXECUTING for the next resume.
    ///
    /// A cell past EXECUTING whose attempt or grade line a crash tore (it went to quarantine) is brought to
    /// a verifiable state by appending what is missing, never by stepping back: its attempt is recorded
    /// again (from the cache entry its call left, so nothing is paid twice) and its answer graded.
    func run(_ batch: [PlannedCell], concurrency: Int) async throws {
        let snapshots = await journal.snapshots(batch.map(\.id))
        var started: [Encoded<EventRecord>] = []
        var walks: [(index: Int, walk: Walk)] = []
        for (i, snapshot) in snapshots.enumerated() {
            switch Progress.resume(at: snapshot.phase) {
            case let .pending(p):
                let (e, t) = p.start()
                started.append(try Self.event(t, batch[i].id))
                walks.append((i, .executing(e)))
            case let .executing(e): walks.append((i, .executing(e)))
            case let .verifying(v): walks.append((i, .verifying(v)))
            case .completed: if snapshot.needsRepair || snapshot.needsAttempt(retryFailed: retryFailed) { walks.append((i, .completed)) }
            }
        }
        try await journal.recordStarted(started)

        // An attempt recorded before an interruption stands; only cells without one make one, and cells whose
        // last attempt was stopped by the provider (a rejected key, an empty account) make a new one.
        let needing = walks.map(\.index).filter { snapshots[$0].needsAttempt(retryFailed: retryFailed) }
        let made = try await makeAttempts(needing.map { batch[$0] }, wasExecuting: needing.map { snapshots[$0].phase >= .executing },
                                          firstN: needing.map { snapshots[$0].attempts + 1 }, concurrency: concurrency)
        let fresh = Dictionary(uniqueKeysWithValues: zip(needing, made).compactMap { i, m in m.map { (i, $0) } })
        // A re-recorded attempt (its line was torn) may have kept its grade: that grade stands.
        let alreadyGraded = await journal.graded(fresh.values.map(\.record.attempt))
        var steps: [Step] = []
        var cancelled = false
        var stop: AttemptFailure?
        for (i, walk) in walks {
            let new = fresh[i]
            if needing.contains(i) && new == nil { cancelled = true; continue }
            let last = new.map { LiveState.AttemptSummary(attempt: $0.record.attempt, status: $0.record.status, request: $0.record.request,
                                                           failureKind: $0.record.failure?.kind) } ?? snapshots[i].last
            let graded = new.map { alreadyGraded.contains($0.record.attempt) } ?? snapshots[i].graded
            if let last, last.interrupted, let failure = new?.record.failure {
                // The provider said stop: the attempts are recorded, the cell stays EXECUTING for the next session.
                stop = stop ?? failure
                steps.append(Step(cell: batch[i], attempts: new.map { $0.failures + [$0.record] } ?? [], answer: nil, last: last, executed: nil,
                                  completing: nil, graded: true))
                continue
            }
            let (executed, completing): (Transition?, Transition?)
            switch walk {
            case let .executing(e):
                let (v, t) = e.executed()
                (executed, completing) = (t, v.verified())
            case let .verifying(v): (executed, completing) = (nil, v.verified())
            case .completed: (executed, completing) = (nil, nil)
            }
            steps.append(Step(cell: batch[i], attempts: new.map { $0.failures + [$0.record] } ?? [], answer: new?.answer, last: last,
                              executed: executed, completing: completing, graded: graded))
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
        for result in finished {
            switch result {
            case let .success(f):
                records.attempts += f.attempts
                if let e = f.executed { records.executed.append(e) }
                if let g = f.grade { records.grades.append(g) }
                if let c = f.completed { records.completed.append(c) }
            case let .failure(error): firstError = firstError ?? error
            }
        }
        try await journal.record(records)
        if let firstError { throw firstError }
        if let stop { throw RunError.providerStopped(stop) }
        if cancelled { throw CancellationError() }
    }

    /// The typestate a cell continues from in this batch.
    private enum Walk: Sendable {
        case executing(Executing)
        case verifying(Verifying)
        /// COMPLETED already; only a missing attempt or grade is appended.
        case completed
    }

    /// A cell between its attempt and COMPLETED.
    private struct Step: Sendable {
        let cell: PlannedCell
        /// The attempts made in this batch, to be written: retried failures, then the final one.
        let attempts: [AttemptRecord]
        let answer: String?
        /// The cell's final attempt (this batch's or one on record).
        let last: LiveState.AttemptSummary?
        let executed: Transition?
        /// VERIFYING → COMPLETED, unless the cell is COMPLETED already.
        let completing: Transition?
        let graded: Bool
    }

    /// The records a step adds, encoded.
    private struct Finished: Sendable {
        let attempts: [Encoded<AttemptRecord>]
        let executed: Encoded<EventRecord>?
        let grade: Encoded<GradeRecord>?
        let completed: Encoded<EventRecord>?
    }

    private func finish(_ step: Step, answers: [String: CacheEntry]) throws -> Finished {
        let grade = step.graded ? nil : try grade(step.cell, attempt: step.last, answer: step.answer ?? step.last.flatMap { answers[$0.request]?.answerText })
        return Finished(attempts: try step.attempts.map(Encoded.init), executed: try step.executed.map { try Self.event($0, step.cell.id) },
                        grade: grade, completed: try step.completing.map { try Self.event($0, step.cell.id) })
    }

    private static func event(_ t: Transition, _ cell: CellID) throws -> Encoded<EventRecord> {
        try Encoded(EventRecord(scope: "cell", cell: cell, from: t.from, to: t.to))
    }

    /// A new attempt and the answer text it brought back.
    private struct Made: Sendable {
        /// The final attempt.
        let record: AttemptRecord
        let answer: String?
        /// Attempts that failed with a retryable failure before it, in order.
        var failures: [AttemptRecord] = []
    }

    /// A cell's exact request, ready to look up and send.
    private struct Prepared: Sendable {
        let cell: PlannedCell
        let request: ProviderRequest
        let bytes: Data
        let key: String
        let prompt: String
        let template: String
        /// The attempt's number within its cell.
        var n = 1
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
                cacheOrigin: origin, recovered: recovered, failure: failure, at: metering?.at ?? Clock.now())
        }
    }

    /// Each cell's first attempt: from the cache if it holds the exact request, else one provider call;
    /// nil for a cell whose call was cancelled.
    ///
    /// `wasExecuting`: the cell entered EXECUTING before this process started, so a cache entry this very
    /// attempt paid for may exist without its record (a fresh run folder with a reused id never qualifies).
    /// A cell and the number its next attempt takes.
    private struct NumberedCell: Sendable {
        let cell: PlannedCell
        let n: Int
    }

    private func makeAttempts(_ cells: [PlannedCell], wasExecuting: [Bool], firstN: [Int], concurrency: Int) async throws -> [Made?] {
        guard !cells.isEmpty else { return [] }
        let requests = self.requests
        let prepared = try await Array(zip(cells, firstN)).map { NumberedCell(cell: $0, n: $1) }.concurrentMap { c in
            let (request, prompt, template) = try requests.request(for: c.cell)
            let bytes = try request.canonical()
            return Prepared(cell: c.cell, request: request, bytes: bytes, key: Digest.sha256(bytes), prompt: prompt, template: template).numbered(c.n)
        }
        var out = [Made?](repeating: nil, count: cells.count)
        var pending = Array(prepared.indices)
        var round = 0
        // Each round: the cache answers what it can; of the rest, paid requests are claimed first (see
        // `ClaimOwner`), and one another process is paying for right now is waited for, not paid again.
        while !pending.isEmpty {
            if round > 0 {
                guard !Task.isCancelled else { break }
                try? await Task.sleep(nanoseconds: 200_000_000)
            }
            round += 1
            let hits = try cache.entries(pending.map { prepared[$0].key })
            var misses: [Int] = []
            for i in pending {
                if let hit = hits[prepared[i].key] { out[i] = fromCache(prepared[i], hit, wasExecuting: wasExecuting[i]) } else { misses.append(i) }
            }
            let paid = misses.filter { providers[prepared[$0].request.provider]?.callsArePaid == true }
            let claims = try await cache.claimOffPool(paid.map { prepared[$0].key }, owner: claimOwner)
            var toCall = misses.filter { claims[prepared[$0].key]?.mayCall ?? true }
            pending = misses.filter { !(claims[prepared[$0].key]?.mayCall ?? true) }
            let claimed = toCall.map { prepared[$0].key }.filter { claims[$0] != nil }
            // A process that is gone may have written its response to a pack and died before indexing it.
            if claims.values.contains(where: { if case .takenOver = $0 { true } else { false } }) {
                _ = try cache.recoverUnindexed()
                let found = try cache.entries(toCall.map { prepared[$0].key })
                for i in toCall { if let hit = found[prepared[i].key] { out[i] = fromCache(prepared[i], hit, wasExecuting: wasExecuting[i]) } }
                toCall = toCall.filter { found[prepared[$0].key] == nil }
            }
            do {
                try await call(toCall, prepared, into: &out, concurrency: concurrency)
                try await cache.releaseOffPool(claimed, owner: claimOwner)
            } catch {
                try? await cache.releaseOffPool(claimed, owner: claimOwner)
                throw error
            }
        }
        return out
    }

    /// An attempt served by the cache: a hit, or (for a cell already EXECUTING before this process) this very
    /// attempt's own paid response, stored before a crash took its record.
    private func fromCache(_ p: Prepared, _ hit: CacheEntry, wasExecuting: Bool) -> Made {
        // Any attempt of this cell in this run (a retry's number may be past the records a crash left).
        let prefix = "\(p.cell.id)#"
        if wasExecuting && hit.originRun == runID && hit.originAttempt.hasPrefix(prefix), let n = Int(hit.originAttempt.dropFirst(prefix.count)) {
            let own = p.numbered(n)
            return Made(record: own.record(.ok, response: hit.responseHash, metering: hit.metering, cost: hit.metering.costUSD,
                                           costSource: hit.metering.costSource, recovered: true), answer: hit.answerText)
        }
        return Made(record: p.record(.cacheHit, response: hit.responseHash, metering: hit.metering, cost: .zero, costSource: "cache_hit",
                                     origin: "\(hit.originRun)/\(hit.originAttempt)"), answer: hit.answerText)
    }

    /// Calls the provider for the cache misses `indices` of `prepared` and stores what comes back.
    private func call(_ indices: [Int], _ prepared: [Prepared], into out: inout [Made?], concurrency: Int) async throws {
        let results = await call(indices.map { prepared[$0] }, concurrency: concurrency)
        var unstored: [(index: Int, prepared: Prepared, response: ProviderResponse, metering: CacheEntry.Metering, failures: [AttemptRecord])] = []
        var storeError: (any Error)?
        for (i, result) in zip(indices, results) {
            let failures = result.failures.enumerated().map { k, f in
                prepared[i].numbered(prepared[i].n + k).record(.failed, response: nil, metering: nil, cost: .zero, costSource: "none", failure: f)
            }
            let p = prepared[i].numbered(prepared[i].n + result.failures.count)
            switch result.final {
            case .cancelled: continue
            case let .failure(failure):
                out[i] = Made(record: p.record(.failed, response: nil, metering: nil, cost: .zero, costSource: "none", failure: failure), answer: nil,
                              failures: failures)
            case let .response(r, m, stored: entry?):
                out[i] = made(p, r, m, entry, failures)
            case let .response(r, m, stored: nil):
                unstored.append((i, p, r, m, failures))
            case let .storeFailed(error):
                storeError = storeError ?? error
            }
        }
        let kept = try await cache.storeOffPool(unstored.map { payment($0.prepared, $0.response, $0.metering) })
        for (u, entry) in zip(unstored, kept) { out[u.index] = made(u.prepared, u.response, u.metering, entry, u.failures) }
        // A paid response that could not be stored leaves its cell EXECUTING; the others are kept above.
        if let storeError { throw storeError }
    }

    private func payment(_ p: Prepared, _ r: ProviderResponse, _ m: CacheEntry.Metering) -> ResponseCache.Payment {
        ResponseCache.Payment(requestKey: p.key, request: p.bytes, body: r.body, answerText: r.answerText,
                              originRun: runID, originAttempt: p.attemptID, metering: m)
    }

    /// The `ok` attempt of a stored response. If another process stored this request first, its entry is
    /// the one the cache keeps: the attempt cites it and its answer is graded, so every grade can be
    /// re-derived from the cache.
    private func made(_ p: Prepared, _ r: ProviderResponse, _ m: CacheEntry.Metering, _ entry: CacheEntry, _ failures: [AttemptRecord]) -> Made {
        Made(record: p.record(.ok, response: entry.responseHash, metering: m, cost: r.cost, costSource: r.costSource), answer: entry.answerText,
             failures: failures)
    }

    /// How one provider call ended.
    private enum CallOutcome: Sendable {
        /// With its metering, and the cache entry when the response was stored as it arrived (a paid call).
        case response(ProviderResponse, CacheEntry.Metering, stored: CacheEntry?)
        case failure(AttemptFailure)
        /// Says nothing about the model: the cell stays EXECUTING for the next resume.
        case cancelled
        /// A paid response came back but the cache could not store it.
        case storeFailed(any Error)
    }

    /// A request's calls: the retryable failures that were retried (attempts of their own), then the final outcome.
    private struct Calls: Sendable {
        var failures: [AttemptFailure] = []
        var final: CallOutcome = .cancelled
    }

    /// Calls the provider for each request, at most `concurrency` at a time, retrying retryable failures.
    private func call(_ prepared: [Prepared], concurrency: Int) async -> [Calls] {
        guard !prepared.isEmpty else { return [] }
        let jobs: [(provider: any Provider, prepared: Prepared)] = prepared.map { p in (providers[p.request.provider]!, p) }
        return await withTaskGroup(of: (Int, Calls).self) { group in
            var out = [Calls](repeating: Calls(), count: jobs.count)
            var next = 0
            // Once the sweep is stopping, no new call starts; the rest stay `.cancelled` (their cells stay EXECUTING).
            while next < jobs.count, !Task.isCancelled {
                if next >= max(concurrency, 1), let (i, outcome) = await group.next() { out[i] = outcome }
                if Task.isCancelled { break }
                let index = next, job = jobs[index]
                next += 1
                group.addTask { (index, await self.calls(of: job.provider, job.prepared)) }
            }
            for await (i, result) in group { out[i] = result }
            return out
        }
    }

    /// One request until it succeeds, fails for good, or runs out of retries: the same request and seed each
    /// time (a transport retry never re-samples a cell), after a capped exponential backoff with jitter, or
    /// the provider's own Retry-After when that is longer.
    private func calls(of provider: any Provider, _ p: Prepared) async -> Calls {
        var result = Calls()
        while true {
            let outcome = await outcome(of: provider, p.numbered(p.n + result.failures.count))
            guard case let .failure(f) = outcome, f.kind.disposition == .retryable, result.failures.count < settings.retries else {
                result.final = outcome
                return result
            }
            result.failures.append(f)
            let backoff = min(30_000, settings.retryBaseMs << min(result.failures.count - 1, 16))
            let jittered = Double(backoff) * Double.random(in: 0.8...1.2)
            let waitMs = max(jittered, Double(f.retryAfterMs ?? 0))
            // Cancelled while waiting: the cell stays EXECUTING and the retried failures are not recorded.
            guard (try? await Task.sleep(nanoseconds: UInt64(waitMs * 1_000_000))) != nil else { return Calls() }
        }
    }

    // A separate function: a `do throws(AttemptFailure)` inside the task closure was miscompiled in
    // release builds (Swift 6.3.1 returned a garbage tuple from the child task).
    private func outcome(of provider: any Provider, _ p: Prepared) async -> CallOutcome {
        let r: ProviderResponse
        do { r = try await provider.complete(p.request) } catch {
            return error.kind == .cancelled || Task.isCancelled ? .cancelled : .failure(error)
        }
        let m = CacheEntry.Metering(modelUsed: r.modelUsed, providerUsed: r.providerUsed, tokens: r.usage, costUSD: r.cost,
                                    costSource: r.costSource, latencyMs: r.latencyMs, at: Clock.now())
        guard provider.callsArePaid else { return .response(r, m, stored: nil) }
        do { return .response(r, m, stored: try await cache.storeOffPool([payment(p, r, m)])[0]) } catch { return .storeFailed(error) }
    }

    /// The grade of the cell's final attempt, or nil when that attempt failed (nothing to grade).
    private func grade(_ cell: PlannedCell, attempt: LiveState.AttemptSummary?, answer: String?) throws -> Encoded<GradeRecord>? {
        guard let attempt, attempt.status != .failed else { return nil }
        let bench = plan.benchmark(of: cell)
        guard let grader = GraderCatalog.grader(named: bench.grader) else { throw RunError.corrupt("grader \(bench.grader) is not available") }
        guard let text = answer else {
            throw RunError.corrupt("attempt \(attempt.attempt) cites request \(attempt.request.prefix(12))…, which the cache does not hold")
        }
        let item = plan.item(of: cell)
        let g = grader.grade(response: text, gold: item.gold)
        return try Encoded(GradeRecord(cell: cell.id, attempt: attempt.attempt, grader: grader.name, graderVersion: grader.version,
                                       extracted: g.extracted, span: g.span.map { [$0.lowerBound, $0.upperBound] }, rule: g.rule,
                                       gold: item.gold, verdict: g.verdict, reason: g.reason))
    }
}

extension Array where Element: Sendable {
    /// `map` split over the machine's cores, results in order; small arrays stay on the calling task.
    func concurrentMap<T: Sendable>(_ transform: @escaping @Sendable (Element) throws -> T) async throws -> [T] {
        let parts = Swift.min(ProcessInfo.processInfo.activeProcessorCount, count / 16)
        guard parts > 1 else { return try map(transform) }
        let size = (count + parts - 1) / parts
        return try await withThrowingTaskGroup(of: (Int, [T]).self) { group in
            for p in 0..<parts {
                let slice = self[Swift.min(p * size, count)..<Swift.min((p + 1) * size, count)]
                group.addTask { (p, try slice.map(transform)) }
            }
            var results = [[T]](repeating: [], count: parts)
            for try await (p, r) in group { results[p] = r }
            return results.flatMap { $0 }
        }
    }
}
