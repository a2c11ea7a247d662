import Foundation
import Testing
@testable import TeamLLM

@Suite("offline providers")
struct ProviderTests {
    func entry(_ format: AnswerFormat) -> BenchmarkEntry {
        BenchmarkEntry(id: "b", file: "f", sha256: String(repeating: "0", count: 64), format: "jsonl", idField: nil, questionField: "q",
                       goldField: "a", goldPattern: nil, answerFormat: format, template: "t", grader: "numeric-exact")
    }

    /// One simulated call for a made-up item: the provider is told the item through its prompt index only.
    func call(_ settings: SimulatedSettings, item: Int, gold: String, format: AnswerFormat = .number, model: ModelEntry, seed: Int = 1,
              choices: [String]? = nil, order: [Int]? = nil) async throws -> ProviderResponse {
        let messages = [ChatMessage(role: "user", content: "question \(item)")]
        var question = Item(index: item, id: "\(item)", question: "question \(item)", gold: gold, fields: [:])
        question.choices = choices
        question.choiceOrder = order
        let asked = PromptIndex.Entry(benchmark: entry(format), item: question)
        let p = SimulatedProvider(settings: settings, prompts: try PromptIndex([(messages, asked)]), models: [model], masterSeed: seed)
        let request = ProviderRequest(provider: .simulated, baseURL: p.baseURL(for: model), model: model.slug,
                                      messages: messages, temperature: 0, maxTokens: 300, seed: item, sample: 0)
        return try await p.complete(request)
    }

    @Test("the simulated pool hits its accuracy and common-mode rate, deterministically, with plausible wrong answers")
    func simulated() async throws {
        let model = try #require(try Fixtures.registry().models["sim-mid"])
        let settings = SimulatedSettings(commonMode: 0.1, sleepScale: 0, accuracy: ["sim-mid": 0.7])
        let p = SimulatedProvider(settings: settings, prompts: PromptIndex(), models: [model], masterSeed: 1)
        let grader = NumericExactMatch()
        var correct = 0, common = 0
        let n = 3000
        for i in 0..<n {
            let r = try await call(settings, item: i, gold: "\(i * 7 + 3)", model: model)
            let g = grader.grade(response: r.answerText, gold: "\(i * 7 + 3)")
            #expect(g.verdict != .ungradable)
            if g.verdict == .correct { correct += 1 }
            if p.isCommonFailure(benchmark: "b", item: "\(i)", masterSeed: 1) {
                common += 1
                #expect(g.verdict == .incorrect)
            }
        }
        #expect(abs(Double(common) / Double(n) - 0.1) < 0.02)
        #expect(abs(Double(correct) / Double(n) - 0.9 * 0.7) < 0.03)
        let a = try await call(settings, item: 5, gold: "38", model: model), b = try await call(settings, item: 5, gold: "38", model: model)
        #expect(a.body == b.body)
        #expect(String(decoding: a.body, as: UTF8.self).contains(#""simulated":{"#))
        #expect(a.cost == USD.cost(tokens: a.usage!.input, perMillion: model.inputPerMTok) + USD.cost(tokens: a.usage!.output, perMillion: model.outputPerMTok))
    }

    @Test("two items that ask the same question are told apart by the request's cell seed, so each is graded against its own gold")
    func repeatedQuestion() async throws {
        let model = try #require(try Fixtures.registry().models["sim-small"])
        let messages = [ChatMessage(role: "user", content: "the same question")]
        let bench = entry(.number)
        let a = Item(index: 0, id: "0", question: "the same question", gold: "111", fields: [:])
        let b = Item(index: 1, id: "1", question: "the same question", gold: "222", fields: [:])
        let prompts = try PromptIndex([(messages, .init(benchmark: bench, item: a)), (messages, .init(benchmark: bench, item: b))])
        let p = SimulatedProvider(settings: SimulatedSettings(commonMode: 0, sleepScale: 0, accuracy: ["sim-small": 1]), prompts: prompts,
                                  models: [model], masterSeed: 7)
        for item in [a, b] {
            let seed = Seeds.cell(master: 7, CellID(benchmark: bench.id, item: item.id, model: model.id, sample: 0))
            let request = ProviderRequest(provider: .simulated, baseURL: p.baseURL(for: model), model: model.slug, messages: messages,
                                          temperature: 0, maxTokens: 300, seed: seed, sample: 0)
            let answer = try await p.complete(request)
            #expect(answer.answerText.hasSuffix("#### \(item.gold)"), "\(answer.answerText)")
        }
    }

    @Test("failure kinds carry the reaction the issue prescribes; records written with the old names still read")
    func failureTaxonomy() throws {
        // Must-not-retry first: a rejected key ends the run, an empty account stops dispatch, a bad request ends the cell.
        #expect(FailureKind.auth.disposition == .endsRun)
        #expect(FailureKind.insufficientCredits.disposition == .stopsDispatch)
        for kind in [FailureKind.invalidRequest, .contextTooLong, .moderation, .noProvider, .noRecording, .truncatedOutput] {
            #expect(kind.disposition == .endsCell, "\(kind)")
        }
        for kind in [FailureKind.rateLimited, .timeout, .upstreamError, .connectionFailed, .malformedBody, .errorInBody, .missingChoices] {
            #expect(kind.disposition == .retryable, "\(kind)")
        }
        let old = try CanonicalJSON.decode(AttemptFailure.self, from: Data(#"{"kind":"malformed_response","message":"m"}"#.utf8))
        #expect(old.kind == .malformedBody)
        #expect(throws: (any Error).self) { try CanonicalJSON.decode(AttemptFailure.self, from: Data(#"{"kind":"nonsense","message":"m"}"#.utf8)) }
        let full = AttemptFailure(kind: .rateLimited, message: "slow down", httpStatus: 429, retryAfterMs: 2000, chargedUSD: .zero, generationID: "gen-1")
        #expect(String(decoding: try CanonicalJSON.encode(full), as: UTF8.self)
            == #"{"charged_usd":"0","generation_id":"gen-1","http_status":429,"kind":"rate_limited","message":"slow down","retry_after_ms":2000}"#)
    }

    @Test("simulated answers follow the benchmark's format")
    func formats() async throws {
        let model = try #require(try Fixtures.registry().models["sim-small"])
        let never = SimulatedSettings(commonMode: 1, sleepScale: 0, accuracy: ["sim-small": 1])
        let letter = try await call(never, item: 1, gold: "B", format: .letter, model: model)
        #expect(letter.answerText.contains("Answer: ") && !letter.answerText.hasSuffix("Answer: B"))
        // With options shown in a shuffled order, the letter is the one the prompt showed for the gold option.
        let shuffled = try await call(SimulatedSettings(commonMode: 0, sleepScale: 0, accuracy: ["sim-small": 1]), item: 1, gold: "0", format: .letter,
                                      model: model, choices: ["w", "x", "y", "z"], order: [2, 3, 0, 1])
        #expect(shuffled.answerText.hasSuffix("Answer: C"))
        #expect(MultipleChoice().grade(response: shuffled.answerText, item: GradingItem(gold: "0", choices: ["y", "z", "w", "x"], choiceOrder: [2, 3, 0, 1])).verdict == .correct)
        let wrongLetter = try await call(never, item: 1, gold: "0", format: .letter, model: model, choices: ["w", "x", "y", "z"], order: [2, 3, 0, 1])
        #expect(wrongLetter.answerText.contains("Answer: ") && !wrongLetter.answerText.hasSuffix("Answer: C"))
        let boxed = try await call(never, item: 1, gold: "\\frac{1}{2}", format: .boxed, model: model)
        #expect(boxed.answerText.contains("\\boxed{") && !boxed.answerText.contains("\\boxed{\\frac{1}{2}}"))
        let always = SimulatedSettings(commonMode: 0, sleepScale: 0, accuracy: ["sim-small": 1])
        let right = try await call(always, item: 1, gold: "\\frac{1}{2}", format: .boxed, model: model)
        #expect(right.answerText.contains("\\boxed{\\frac{1}{2}}"))
        let program = try await call(always, item: 2, gold: "def f():\n    return 1", format: .program, model: model)
        #expect(program.answerText.hasPrefix("```python\ndef f():"))
    }

    @Test("replay answers from the recording, and a question it lacks is a typed failure")
    func replay() async throws {
        let registry = try Fixtures.registry()
        let models = registry.models.values.filter { $0.replay != nil }
        let p = try ReplayProvider(recording: registry.recordings["gsm8k-gpt3-solutions"]!, models: Array(models), dataDir: Fixtures.dataDir)
        let model = registry.models["gpt3-175b-verification"]!
        let data = try Dataset.load(registry.benchmarks["gsm8k"]!, dataDir: Fixtures.dataDir)
        let prompts = try PromptIndex(data.items.prefix(3).map { item in
            ([ChatMessage(role: "user", content: item.question)], PromptIndex.Entry(benchmark: data.benchmark, item: item))
        })
        let replay = p.answering(prompts)
        func request(_ question: String) -> ProviderRequest {
            ProviderRequest(provider: .replay, baseURL: p.baseURL(for: model), model: model.slug, messages: [ChatMessage(role: "user", content: question)],
                            temperature: 0, maxTokens: 1, seed: 0, sample: 0)
        }
        let answer = try await replay.complete(request(data.items[0].question))
        #expect(answer.answerText.hasSuffix("A: 18"))
        #expect(answer.cost == .zero && answer.costSource == "recorded" && answer.latencyMs == nil)
        do { _ = try await replay.complete(request("not a prompt of the plan")); Issue.record("answered a prompt it was not given") } catch {
            #expect(error.kind == .noRecording)
        }
    }

    @Test("a provider injected into a sweep runs through the real executor and sees requests only (no item, no gold)")
    func injected() async throws {
        /// A test double: answers every request with a fixed wrong number, fails every fifth with a typed failure.
        final class Scripted: Provider, @unchecked Sendable {
            // Safe: `seen` is only touched under `lock`.
            let kind = ProviderKind.simulated
            let callsArePaid = true
            private let lock = NSLock()
            private var seen: [ProviderRequest] = []
            var requests: [ProviderRequest] { lock.withLock { seen } }
            func baseURL(for model: ModelEntry) -> String { "scripted:" + model.id }
            func complete(_ request: ProviderRequest) async throws(AttemptFailure) -> ProviderResponse {
                let n = lock.withLock { seen.append(request); return seen.count }
                if n % 5 == 0 { throw AttemptFailure(kind: .invalidRequest, message: "call \(n)", httpStatus: 400) }
                return ProviderResponse(body: Data("{\"n\":\(n)}".utf8), answerText: "#### -1", usage: TokenUsage(input: 1, output: 1),
                                        cost: USD(exactly: "0.001")!, costSource: "metered", modelUsed: request.model, providerUsed: "scripted", latencyMs: 1)
            }
        }
        let double = Scripted()
        let dir = Fixtures.tempDir("inject")
        var options = Fixtures.options(runsDir: dir.appendingPathComponent("runs"))
        options.providers = [.simulated: double]
        let r = try await Sweep.run(manifest: Fixtures.write(Fixtures.simulatedManifest(name: "inject", items: 10), to: dir), options: options)
        #expect(r.sweepPhase == .completed && r.completed == 20)
        #expect(double.requests.count == 20)
        let attempts = try RunRecords.read(r.folder).attempts.map(\.payload)
        #expect(attempts.filter { $0.failure?.kind == .invalidRequest && $0.failure?.httpStatus == 400 }.count == 4)
        #expect(attempts.allSatisfy { $0.baseURL.hasPrefix("scripted:") })
        let cells = try Matrix.build(r.folder).cells
        #expect(cells.filter { $0.verdict == .incorrect }.count == 16 && cells.filter { $0.verdict == .missing }.count == 4)
    }

    @Test("a dataset whose sha256 differs from the registry's is refused with both hashes")
    func datasetHash() throws {
        var bench = try #require(try Fixtures.registry().benchmarks["gsm8k"])
        bench = BenchmarkEntry(id: bench.id, file: bench.file, sha256: String(repeating: "a", count: 64), format: bench.format, idField: nil,
                               questionField: bench.questionField, goldField: bench.goldField, goldPattern: bench.goldPattern,
                               answerFormat: bench.answerFormat, template: bench.template, grader: bench.grader)
        do { _ = try Dataset.load(bench, dataDir: Fixtures.dataDir); Issue.record("accepted a dataset with another hash") } catch {
            #expect("\(error)".contains(String(repeating: "a", count: 64)))
            #expect("\(error)".contains("3730d312f6e3440559ace48831e51066acaca737f6eabec99bccb9e4b3c39d14"))
        }
    }

    /// A test double whose answer to each request is scripted by the request's seed and how often it was asked.
    final class Faulty: Provider, @unchecked Sendable {
        // Safe: `asked` is only touched under `lock`.
        let kind = ProviderKind.simulated
        let callsArePaid = true
        private let lock = NSLock()
        private var asked: [Int: Int] = [:]
        let script: @Sendable (_ seed: Int, _ time: Int) -> AttemptFailure?
        init(script: @escaping @Sendable (Int, Int) -> AttemptFailure?) { self.script = script }
        func baseURL(for model: ModelEntry) -> String { "faulty:" + model.id }
        func complete(_ request: ProviderRequest) async throws(AttemptFailure) -> ProviderResponse {
            let time = lock.withLock { asked[request.seed, default: 0] += 1; return asked[request.seed]! }
            if let failure = script(request.seed, time) { throw failure }
            return ProviderResponse(body: Data("{\"seed\":\(request.seed)}".utf8), answerText: "#### 0", usage: TokenUsage(input: 1, output: 1),
                                    cost: USD(exactly: "0.001")!, costSource: "metered", modelUsed: request.model, providerUsed: "faulty", latencyMs: 1)
        }
    }

    @Test("retryable failures are retried as numbered attempts with the same request; exhausted retries complete the cell as missing with its typed reason")
    func retries() async throws {
        let dir = Fixtures.tempDir("retries")
        // Seeds ending in 0–2: rate limited once, then fine. Ending in 3: a 502 every time. Others: fine at once.
        let double = Faulty { seed, time in
            switch seed % 10 {
            case 0...2 where time == 1: AttemptFailure(kind: .rateLimited, message: "slow down", httpStatus: 429, retryAfterMs: 5)
            case 3: AttemptFailure(kind: .upstreamError, message: "bad gateway", httpStatus: 502)
            default: nil
            }
        }
        var options = Fixtures.options(runsDir: dir.appendingPathComponent("runs"))
        options.providers = [.simulated: double]
        let manifest = Fixtures.simulatedManifest(name: "retries", items: 30) + "\nretries: 2\nretry_base_ms: 1\n"
        let r = try await Sweep.run(manifest: Fixtures.write(manifest, to: dir), options: options)
        #expect(r.sweepPhase == .completed && r.completed == 60)
        let attempts = try RunRecords.read(r.folder).attempts.map(\.payload)
        for cell in Set(attempts.map(\.cell)) {
            let mine = attempts.filter { $0.cell == cell }
            #expect(mine.map(\.n) == Array(1...mine.count), "attempts of \(cell) are not numbered 1…n: \(mine.map(\.n))")
            #expect(Set(mine.map(\.request)).count == 1 && Set(mine.map(\.seed)).count == 1, "a retry changed the request of \(cell)")
            switch mine[0].seed % 10 {
            case 0...2: #expect(mine.map(\.status) == [.failed, .ok] && mine[0].failure?.kind == .rateLimited && mine[0].failure?.retryAfterMs == 5)
            case 3: #expect(mine.count == 3 && mine.allSatisfy { $0.status == .failed && $0.failure?.httpStatus == 502 })
            default: #expect(mine.map(\.status) == [.ok])
            }
        }
        let exhausted = try Matrix.build(r.folder).cells.filter { $0.reason?.contains("upstream_error") == true }
        #expect(!exhausted.isEmpty && exhausted.allSatisfy { $0.verdict == .missing && $0.attempt?.hasSuffix("#3") == true })
        #expect(try Verifier.verify(r.folder).problems == [])
    }

    @Test("a 402 stops the sweep with a message that says what to do; the cell stays EXECUTING and the next session continues the run")
    func insufficientCredits() async throws {
        let dir = Fixtures.tempDir("credits")
        let broke = Faulty { seed, _ in seed % 7 == 0 ? AttemptFailure(kind: .insufficientCredits, message: "requires more credits", httpStatus: 402) : nil }
        var options = Fixtures.options(runsDir: dir.appendingPathComponent("runs"))
        options.providers = [.simulated: broke]
        let url = try Fixtures.write(Fixtures.simulatedManifest(name: "credits", items: 30), to: dir)
        do {
            _ = try await Sweep.run(manifest: url, options: options)
            Issue.record("a 402 did not stop the sweep")
        } catch let e as RunError {
            #expect("\(e)".contains("cannot pay") && "\(e)".contains("run the same command"), "\(e)")
        }
        let folder = RunFolder(url: dir.appendingPathComponent("runs").appendingPathComponent(
            try Manifest.parse(String(contentsOf: url, encoding: .utf8), file: "m", registry: Fixtures.registry()).runID()))
        let status = try RunStatus.read(folder)
        #expect((status.byPhase[.executing] ?? 0) > 0 && status.sweep == .executing)
        // Credits added: the same manifest continues the same run; the stopped cells get a new attempt.
        options.providers = [.simulated: Faulty { _, _ in nil }]
        let r = try await Sweep.run(manifest: url, options: options)
        #expect(r.sweepPhase == .completed && r.completed == 60)
        let attempts = try RunRecords.read(r.folder).attempts.map(\.payload)
        let stopped = attempts.filter { $0.failure?.kind == .insufficientCredits }
        #expect(!stopped.isEmpty)
        for a in stopped { #expect(attempts.contains { $0.cell == a.cell && $0.n == a.n + 1 && $0.status == .ok }) }
        #expect(try Verifier.verify(r.folder).problems == [])
    }

    @Test("a resume with retryFailed gives cells whose retries ran out new attempts, numbered on, and grades them")
    func retryFailed() async throws {
        let dir = Fixtures.tempDir("retryfailed")
        let url = try Fixtures.write(Fixtures.simulatedManifest(name: "retryfailed", items: 20) + "\nretries: 1\nretry_base_ms: 1\n", to: dir)
        var options = Fixtures.options(runsDir: dir.appendingPathComponent("runs"))
        options.providers = [.simulated: Faulty { seed, _ in seed % 4 == 0 ? AttemptFailure(kind: .timeout, message: "no answer", httpStatus: 408) : nil }]
        let first = try await Sweep.run(manifest: url, options: options)
        #expect(first.sweepPhase == .completed)
        let missing = try Matrix.build(first.folder).cells.filter { $0.verdict == .missing }
        #expect(!missing.isEmpty && missing.allSatisfy { $0.attempt?.hasSuffix("#2") == true })
        // Without the flag a finished run stays as it is; with it, the failed cells are tried again.
        options.providers = [.simulated: Faulty { _, _ in nil }]
        _ = try await Sweep.run(manifest: url, options: options)
        #expect(try Matrix.build(first.folder).cells.filter { $0.verdict == .missing }.count == missing.count)
        options.retryFailed = true
        let again = try await Sweep.run(manifest: url, options: options)
        #expect(again.sweepPhase == .completed)
        let cells = try Matrix.build(again.folder).cells
        #expect(cells.allSatisfy { $0.verdict != .missing })
        for m in missing {
            let now = try #require(cells.first { $0.item == m.item && $0.model == m.model })
            #expect(now.attempt?.hasSuffix("#3") == true && now.grader != nil, "\(now)")
        }
        #expect(try Verifier.verify(again.folder).problems == [])
    }
}
