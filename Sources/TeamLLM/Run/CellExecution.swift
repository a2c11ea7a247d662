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

    /// The most a cell can cost: its prompt (about 4 characters a token) plus `max_tokens` of output.
    func ceiling(_ cell: PlannedCell) -> USD {
        let model = plan.model(of: cell)
        guard plan.provider(of: cell) != .replay else { return .zero }
        let promptTokens = plan.item(of: cell).question.utf8.count / 4 + 64
        return USD.cost(tokens: promptTokens, perMillion: model.inputPerMTok)
            + USD.cost(tokens: plan.manifest.sampling.maxTokens, perMillion: model.outputPerMTok)
    }

    /// Walks one cell forward from wherever the records say it stands.
    func run(_ cell: PlannedCell) async throws {
        var progress = Progress.resume(at: await journal.phase(cell.id))
        var answer: String?
        if case let .pending(p) = progress {
            let (e, t) = p.start()
            try await journal.record(t, cell: cell.id)
            progress = .executing(e)
        }
        if case let .executing(e) = progress {
            answer = try await obtainAttempt(cell)
            let (v, t) = e.executed()
            try await journal.record(t, cell: cell.id)
            progress = .verifying(v)
        }
        if case let .verifying(v) = progress {
            try await gradeFinalAttempt(cell, answer: answer)
            try await journal.record(v.verified(), cell: cell.id)
        }
    }

    /// Makes sure the cell has an attempt on record, calling the provider only if no response is stored.
    /// Returns the answer text when it is at hand.
    private func obtainAttempt(_ cell: PlannedCell) async throws -> String? {
        let existing = await journal.attempts(of: cell.id)
        if !existing.isEmpty { return nil } // recorded before an interruption: it stands
        let (request, promptHash, templateHash) = try requests.request(for: cell)
        let requestBytes = try request.canonical()
        let key = Digest.sha256(requestBytes)
        let n = existing.count + 1
        let attemptID = "\(cell.id)#\(n)"
        func record(_ status: AttemptStatus, response: String?, metering: CacheEntry.Metering?, cost: USD, costSource: String,
                    origin: String? = nil, recovered: Bool? = nil, failure: AttemptFailure? = nil) async throws {
            try await journal.record(AttemptRecord(
                attempt: attemptID, cell: cell.id, n: n, status: status, request: key, prompt: promptHash, template: templateHash,
                seed: cell.seed, model: cell.id.model, provider: request.provider, baseURL: request.baseURL,
                modelUsed: metering?.modelUsed, providerUsed: metering?.providerUsed, tokens: metering?.tokens, costUSD: cost,
                costSource: costSource, latencyMs: status == .cacheHit ? 0 : (metering?.latencyMs ?? 0), response: response,
                cacheOrigin: origin, recovered: recovered, failure: failure, at: metering?.at ?? Clock.now()))
        }

        if let hit = try cache.lookup(key) {
            if hit.originRun == runID && hit.originAttempt == attemptID {
                // Our own paid call was stored before the process died, but its record was not: write it now.
                try await record(.ok, response: hit.responseHash, metering: hit.metering, cost: hit.metering.costUSD,
                                 costSource: hit.metering.costSource, recovered: true)
            } else {
                try await record(.cacheHit, response: hit.responseHash, metering: hit.metering, cost: .zero, costSource: "cache_hit",
                                 origin: "\(hit.originRun)/\(hit.originAttempt)")
            }
            return hit.answerText
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
            try await record(.ok, response: stored.responseHash, metering: metering, cost: response.cost, costSource: response.costSource)
            return response.answerText
        } catch let failure as AttemptFailure {
            try await record(.failed, response: nil, metering: nil, cost: .zero, costSource: "none", failure: failure)
            return nil
        }
    }

    /// Grades the cell's final attempt unless it already has a grade (so no cell is graded twice).
    private func gradeFinalAttempt(_ cell: PlannedCell, answer: String?) async throws {
        guard let attempt = await journal.attempts(of: cell.id).last, attempt.status != .failed,
              await journal.grades(of: attempt.attempt).isEmpty else { return }
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
        try await journal.record(GradeRecord(cell: cell.id, attempt: attempt.attempt, grader: grader.name, graderVersion: grader.version,
                                             extracted: g.extracted, span: g.span.map { [$0.lowerBound, $0.upperBound] }, rule: g.rule,
                                             gold: item.gold, verdict: g.verdict, reason: g.reason))
    }
}
