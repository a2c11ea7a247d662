import Foundation

/// Builds the exact request of a cell from the plan, the registry's template and the provider.
struct RequestBuilder: Sendable {
    let plan: SweepPlan
    let registry: Registry
    let providers: [ProviderKind: any Provider]

    /// The request a cell sends, with its prompt and template hashes.
    func request(for cell: PlannedCell) throws -> (ProviderRequest, prompt: String, template: String) {
        let bench = plan.benchmark(of: cell), item = plan.item(of: cell), model = plan.model(of: cell)
        guard let template = registry.templates[bench.template] else {
            throw RegistryError.unknown(kind: "template", ref: bench.template, known: registry.templates.keys.sorted())
        }
        var fields = item.fields
        fields["question"] = item.question
        let messages = try template.render(fields)
        let kind = plan.provider(of: cell)
        guard let provider = providers[kind] else { throw RunError.corrupt("no provider for \(kind.rawValue)") }
        let request = ProviderRequest(provider: kind, baseURL: provider.baseURL(for: model), model: model.slug, messages: messages,
                                      temperature: plan.manifest.sampling.temperature, maxTokens: plan.manifest.sampling.maxTokens,
                                      seed: cell.seed, sample: cell.id.sample)
        return (request, try CanonicalJSON.hash(messages), template.hash)
    }
}

/// What every cell of a sweep shares while it runs.
struct CellContext: Sendable {
    let requests: RequestBuilder
    let cache: ResponseCache
    let journal: RunJournal
    let runID: String
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

    /// Walks one cell forward from wherever the records say it stands.
    func run(_ cell: PlannedCell) async throws {
        let snapshot = await journal.snapshot(cell.id)
        var progress = Progress.resume(at: snapshot.phase)
        var last = snapshot.last
        var answer: String?
        if case let .pending(p) = progress {
            let (e, t) = p.start()
            try await journal.record(t, cell: cell.id)
            progress = .executing(e)
        }
        if case let .executing(e) = progress {
            var attempt: Encoded<AttemptRecord>?
            if last == nil { // an attempt recorded before an interruption stands
                (attempt, answer) = try await makeAttempt(cell, wasExecuting: snapshot.phase == .executing)
                last = attempt.map { LiveState.AttemptSummary(attempt: $0.record.attempt, status: $0.record.status, request: $0.record.request) }
            }
            let (v, t) = e.executed()
            try await journal.record(attempt, then: t, cell: cell.id)
            progress = .verifying(v)
        }
        if case let .verifying(v) = progress {
            let grade = snapshot.graded ? nil : try grade(cell, attempt: last, answer: answer)
            try await journal.record(grade, then: v.verified(), cell: cell.id)
        }
    }

    /// The cell's first attempt: from the cache if it holds the exact request, else one provider call.
    /// Returns the record to write and the answer text.
    ///
    /// `wasExecuting`: the cell entered EXECUTING before this process started, so a cache entry this very
    /// attempt paid for may exist without its record (a fresh run folder with a reused id never qualifies).
    private func makeAttempt(_ cell: PlannedCell, wasExecuting: Bool) async throws -> (Encoded<AttemptRecord>, String?) {
        let (request, promptHash, templateHash) = try requests.request(for: cell)
        let requestBytes = try request.canonical()
        let key = Digest.sha256(requestBytes)
        let n = 1
        let attemptID = "\(cell.id)#\(n)"
        func record(_ status: AttemptStatus, response: String?, metering: CacheEntry.Metering?, cost: USD, costSource: String,
                    origin: String? = nil, recovered: Bool? = nil, failure: AttemptFailure? = nil) throws -> Encoded<AttemptRecord> {
            try Encoded(AttemptRecord(
                attempt: attemptID, cell: cell.id, n: n, status: status, request: key, prompt: promptHash, template: templateHash,
                seed: cell.seed, model: cell.id.model, provider: request.provider, baseURL: request.baseURL,
                modelUsed: metering?.modelUsed, providerUsed: metering?.providerUsed, tokens: metering?.tokens, costUSD: cost,
                costSource: costSource, latencyMs: status == .cacheHit ? 0 : (metering?.latencyMs ?? 0), response: response,
                cacheOrigin: origin, recovered: recovered, failure: failure, at: metering?.at ?? Clock.now()))
        }

        if let hit = try cache.lookup(key) {
            if wasExecuting && hit.originRun == runID && hit.originAttempt == attemptID {
                // Our own paid call was stored before the process died, but its record was not: write it now.
                return (try record(.ok, response: hit.responseHash, metering: hit.metering, cost: hit.metering.costUSD,
                                   costSource: hit.metering.costSource, recovered: true), hit.answerText)
            }
            return (try record(.cacheHit, response: hit.responseHash, metering: hit.metering, cost: .zero, costSource: "cache_hit",
                               origin: "\(hit.originRun)/\(hit.originAttempt)"), hit.answerText)
        }

        let kind = plan.provider(of: cell)
        let context = ItemContext(benchmark: plan.benchmark(of: cell), item: plan.item(of: cell), modelEntry: plan.model(of: cell),
                                  masterSeed: plan.manifest.seed)
        do {
            let response = try await providers[kind]!.complete(request, context: context)
            let metering = CacheEntry.Metering(modelUsed: response.modelUsed, providerUsed: response.providerUsed, tokens: response.usage,
                                               costUSD: response.cost, costSource: response.costSource, latencyMs: response.latencyMs,
                                               at: Clock.now())
            let stored = try cache.store(requestKey: key, request: requestBytes, body: response.body, answerText: response.answerText,
                                         originRun: runID, originAttempt: attemptID, metering: metering)
            // If another process stored this request first, its entry is the one the cache keeps: the attempt
            // cites it and its answer is graded, so every grade can be re-derived from the cache.
            return (try record(.ok, response: stored.responseHash, metering: metering, cost: response.cost, costSource: response.costSource),
                    stored.answerText)
        } catch let failure as AttemptFailure {
            // A cancelled call says nothing about the model: leave the cell EXECUTING so a resume calls again.
            if failure.kind == "cancelled" || Task.isCancelled { throw CancellationError() }
            return (try record(.failed, response: nil, metering: nil, cost: .zero, costSource: "none", failure: failure), nil)
        }
    }

    /// The grade of the cell's final attempt, or nil when that attempt failed (nothing to grade).
    private func grade(_ cell: PlannedCell, attempt: LiveState.AttemptSummary?, answer: String?) throws -> Encoded<GradeRecord>? {
        guard let attempt, attempt.status != .failed else { return nil }
        let bench = plan.benchmark(of: cell)
        guard let grader = GraderCatalog.grader(named: bench.grader) else { throw RunError.corrupt("grader \(bench.grader) is not available") }
        var text = answer
        if text == nil {
            guard let entry = try cache.lookup(attempt.request) else {
                throw RunError.corrupt("attempt \(attempt.attempt) cites request \(attempt.request.prefix(12))…, which the cache does not hold")
            }
            text = entry.answerText
        }
        let item = plan.item(of: cell)
        let g = grader.grade(response: text!, gold: item.gold)
        return try Encoded(GradeRecord(cell: cell.id, attempt: attempt.attempt, grader: grader.name, graderVersion: grader.version,
                                       extracted: g.extracted, span: g.span.map { [$0.lowerBound, $0.upperBound] }, rule: g.rule,
                                       gold: item.gold, verdict: g.verdict, reason: g.reason))
    }
}
