import Foundation
import Testing
@testable import TeamLLM
import TeamLLMImitation
@testable import TeamLLMOpenRouter

/// Sweeps over real HTTP against the loopback imitation: faults, retries, money, keys, stops.
@Suite("sweeps over HTTP against the imitation")
struct HTTPSweepTests {
    @Test("under a 22% mixed fault rate every cell ends graded or with a typed failure, and spend equals the imitation's ledger exactly")
    func mixedFaults() async throws {
        let faults = "429=0.04,429u=0.02,500=0.03,502=0.03,503=0.02,529=0.02,error200=0.02,finish_error=0.02,no_choices=0.01,truncated=0.01"
        let bench = try await HTTPBench.start("mixed", faults: faults, items: 30)
        defer { Task { await bench.imitation.stop() } }
        let r = try await bench.run(try bench.manifest(items: 30))
        #expect(r.sweepPhase == .completed && r.completed == 60)
        let records = try RunRecords.read(r.folder)
        let attempts = records.attempts.map(\.payload)
        #expect(attempts.count > 60, "no fault was retried: \(attempts.count) attempts")
        let retried = attempts.filter { $0.status == .failed }
        #expect(retried.allSatisfy { $0.failure?.kind.disposition == .retryable }, "\(retried.map { $0.failure?.kind.rawValue ?? "?" })")
        let retriedKinds = Set(retried.compactMap { $0.failure?.kind })
        #expect(retriedKinds.isSuperset(of: [FailureKind.rateLimited, .upstreamError]))
        // Every cell: its last attempt answered and is graded, or failed with a kind.
        let graded = Set(records.grades.map(\.payload.attempt))
        for cell in Set(attempts.map(\.cell)) {
            let last = attempts.filter { $0.cell == cell }.max { $0.n < $1.n }!
            #expect(last.status == .ok ? graded.contains(last.attempt) : last.failure != nil, "cell \(cell): \(last.attempt)")
        }
        let ledger = await bench.imitation.usage(key: HTTPBench.key)
        #expect(r.spend.value == ledger, "run spend \(r.spend) vs imitation ledger \(ledger)")
        #expect(ledger > 0)
        // Each paid attempt names its generation, and the imitation billed exactly those.
        let billed = await bench.imitation.billedGenerations
        let paidIDs = attempts.filter { $0.status == .ok }.compactMap { $0.call?.generationID }
        #expect(paidIDs.sorted() == billed.sorted())
        #expect(try Verifier.verify(r.folder, cache: ResponseCache(root: bench.runs.appendingPathComponent("cache"))).problems == [])
        // Nothing on disk holds the key.
        for (path, bytes) in try bench.everyFile() {
            #expect(bytes.range(of: Data(HTTPBench.key.utf8)) == nil, "the key is in \(path)")
        }
    }

    @Test("what the client sends: seed, max_tokens, pinned routing with required parameters, attribution headers, never the cache header")
    func requestShape() async throws {
        let bench = try await HTTPBench.start("shape", items: 3)
        defer { Task { await bench.imitation.stop() } }
        let r = try await bench.run(try bench.manifest(items: 3))
        #expect(r.completed == 6)
        let chats = await bench.imitation.requests.filter { $0.path == "/api/v1/chat/completions" }
        #expect(chats.count == 6)
        let attempts = try RunRecords.read(r.folder).attempts.map(\.payload)
        for c in chats {
            let body = try #require(try JSONSerialization.jsonObject(with: c.body) as? [String: Any])
            #expect(body["max_tokens"] as? Int == 256)
            let seed = try #require(body["seed"] as? Int)
            #expect(attempts.contains { $0.seed == seed })
            let provider = try #require(body["provider"] as? [String: Any])
            #expect(provider["order"] as? [String] == ["alpha"] && provider["allow_fallbacks"] as? Bool == false && provider["require_parameters"] as? Bool == true)
            #expect(c.headers["authorization"] == "Bearer \(HTTPBench.key)")
            #expect(c.headers["http-referer"] == "https://example.org/teamllm-tests" && c.headers["x-openrouter-title"] == "TeamLLM tests")
            #expect(c.headers["x-openrouter-cache"] == nil)
        }
        // The key was checked before any cell: /key is the first request.
        #expect(await bench.imitation.requests.first?.path == "/api/v1/key")
        for a in attempts {
            #expect(a.providerUsed == "Alpha" && a.call?.mismatch == nil && a.call?.systemFingerprint != nil && a.call?.httpStatus == 200)
            #expect(a.call?.generationID?.hasPrefix("gen-") == true && a.costSource == "metered" && a.call?.ttfbMs != nil)
        }
    }

    @Test("an unpinned model without required parameters is served by providers that drop the seed, and the records show it")
    func unpinnedCaught() async throws {
        let bench = try await HTTPBench.start("unpinned", items: 20)
        defer { Task { await bench.imitation.stop() } }
        let base = "http://127.0.0.1:\(bench.port)/api/v1"
        let r = try await bench.run(try bench.manifest(items: 20, models: "  - {ref: sim-small, provider: openrouter, base_url: \"\(base)\", routing: {require_parameters: false}}"))
        #expect(r.completed == 20)
        let used = Set(try RunRecords.read(r.folder).attempts.compactMap(\.payload.providerUsed))
        #expect(used == ["Alpha", "Beta"], "providers used: \(used)")
    }

    @Test("a rejected key stops the sweep before any cell starts; a 401 mid-sweep stops it at once, resumable")
    func unauthorized() async throws {
        let bench = try await HTTPBench.start("unauth", faults: "401@4", items: 10)
        defer { Task { await bench.imitation.stop() } }
        try "sk-or-v1-wrong".write(to: bench.dir.appendingPathComponent("key"), atomically: true, encoding: .utf8)
        let manifest = try bench.manifest(items: 10, concurrency: 1)
        await #expect { try await bench.run(manifest) } throws: { e in
            guard case let RunError.providerStopped(f) = e else { return false }
            return f.kind == .auth && f.message.contains("User not found")
        }
        let registry = try Fixtures.registry()
        let folder = RunFolder(url: bench.runs.appendingPathComponent(try Manifest.load(manifest, registry: registry).runID()))
        #expect(try RunRecords.read(folder).events.allSatisfy { $0.payload.scope == "sweep" }, "a cell started with a rejected key")

        try HTTPBench.key.write(to: bench.dir.appendingPathComponent("key"), atomically: true, encoding: .utf8)
        await #expect { try await bench.run(manifest) } throws: { e in
            guard case let RunError.providerStopped(f) = e else { return false }
            return f.kind == .auth
        }
        let afterStop = try RunRecords.read(folder).attempts.map(\.payload)
        #expect(afterStop.contains { $0.failure?.kind == .auth })
        // A resume (the fault was the 4th request only) finishes the run, the stopped cell with a new attempt.
        let r = try await bench.run(manifest)
        #expect(r.sweepPhase == .completed && r.completed == 20)
        #expect(r.spend.value == (await bench.imitation.usage(key: HTTPBench.key)))
    }

    @Test("402 stops dispatching, lets calls in flight be recorded, and leaves a run that resumes with nothing paid twice")
    func paymentRequired() async throws {
        let bench = try await HTTPBench.start("credits", faults: "402@7", latency: "fixed:50", items: 10)
        defer { Task { await bench.imitation.stop() } }
        let manifest = try bench.manifest(items: 10, concurrency: 4)
        await #expect { try await bench.run(manifest) } throws: { e in
            guard case let RunError.providerStopped(f) = e else { return false }
            return f.kind == .insufficientCredits && "\(e)".contains("credit")
        }
        let r = try await bench.run(manifest)
        #expect(r.sweepPhase == .completed && r.completed == 20)
        #expect(r.spend.value == (await bench.imitation.usage(key: HTTPBench.key)))
        var paid: [String: Int] = [:]
        for a in try RunRecords.read(r.folder).attempts.map(\.payload) where a.status == .ok { paid[a.request, default: 0] += 1 }
        #expect(paid.values.allSatisfy { $0 == 1 })
    }

    @Test("the key's credit limit: the imitation's 402 before it serves, and the budget cap never exceeded by the ledger")
    func budgetAndLimit() async throws {
        let bench = try await HTTPBench.start("budget", items: 30)
        defer { Task { await bench.imitation.stop() } }
        let cap = USD(exactly: "0.002")!
        let r = try await bench.run(try bench.manifest(items: 30, budget: "0.002"))
        #expect(r.stoppedBy?.contains("budget cap") == true)
        let ledger = await bench.imitation.usage(key: HTTPBench.key)
        #expect(ledger <= cap.value && ledger > 0 && r.spend.value == ledger)
    }

    @Test("a hung connection, or one kept alive by blank lines forever, is retried after the first-byte timeout; slow keep-alives then a body are fine")
    func hangs() async throws {
        let bench = try await HTTPBench.start("hang", faults: "hang@1,hang_keepalive@2,keepalive@3", items: 3)
        defer { Task { await bench.imitation.stop() } }
        let r = try await bench.run(try bench.manifest(items: 3, concurrency: 1, extra: "timeouts: {first_byte_s: 4, total_s: 60}"))
        #expect(r.sweepPhase == .completed && r.completed == 6)
        let attempts = try RunRecords.read(r.folder).attempts.map(\.payload)
        let timeouts = attempts.filter { $0.failure?.kind == .timeout }
        // The two hung calls time out; on a machine loaded by other tests a slow answer may too, and is retried the same way.
        #expect(timeouts.count >= 2, "\(attempts.map { $0.failure?.message ?? "ok" })")
        #expect(timeouts.allSatisfy { $0.failure?.message.contains("first-byte timeout") == true })
        #expect(attempts.filter { $0.status == .ok }.count == 6)
    }

    @Test("a connection dropped in the middle of a body is a connection failure, retried")
    func droppedConnection() async throws {
        let bench = try await HTTPBench.start("dropped", faults: "close@1", items: 1)
        defer { Task { await bench.imitation.stop() } }
        let r = try await bench.run(try bench.manifest(items: 1, concurrency: 1, extra: "timeouts: {first_byte_s: 30, total_s: 60}"))
        #expect(r.sweepPhase == .completed && r.completed == 2)
        let attempts = try RunRecords.read(r.folder).attempts.map(\.payload)
        #expect(attempts.first { $0.status == .failed }?.failure?.kind == .connectionFailed, "\(attempts.map { $0.failure?.message ?? "ok" })")
        #expect(attempts.filter { $0.status == .ok }.count == 2)
    }
}

/// The real `teamllm` binary over HTTP: interrupted by signals and kill -9, resumed, and checked against the ledger.
@Suite("the teamllm binary over HTTP: Ctrl-C and kill -9")
struct HTTPProcessTests {
    func launch(_ bench: HTTPBench, _ manifest: URL, output: URL? = nil) throws -> Process {
        let p = Process()
        p.executableURL = Fixtures.binary
        p.arguments = ["run", manifest.path] + Fixtures.paths(bench.runs)
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = try output.map { FileManager.default.createFile(atPath: $0.path, contents: nil); return try FileHandle(forWritingTo: $0) } ?? FileHandle.nullDevice
        p.standardError = p.standardOutput
        try p.run()
        return p
    }

    func attemptCount(_ bench: HTTPBench, _ manifest: URL) throws -> Int {
        let id = try Manifest.load(manifest, registry: Fixtures.registry()).runID()
        return (try? Fixtures.lines(bench.runs.appendingPathComponent("\(id)/attempts.jsonl")).count) ?? 0
    }

    func waitFor(_ p: Process, attempts n: Int, _ bench: HTTPBench, _ manifest: URL) async throws {
        for _ in 0..<600 where p.isRunning {
            if try attemptCount(bench, manifest) >= n { return }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
    }

    @Test("Ctrl-C stops dispatching, records the calls in flight, exits 3 with a resumable run; the resume pays for nothing twice")
    func interrupt() async throws {
        let bench = try await HTTPBench.start("sigint", latency: "fixed:300", items: 20)
        defer { Task { await bench.imitation.stop() } }
        let manifest = try bench.manifest(items: 20, concurrency: 4)
        let log = bench.dir.appendingPathComponent("out.txt")
        let p = try launch(bench, manifest, output: log)
        try await waitFor(p, attempts: 6, bench, manifest)
        kill(p.processIdentifier, SIGINT)
        await Fixtures.exit(p)
        let out = try String(contentsOf: log, encoding: .utf8)
        #expect(p.terminationStatus == 3, "\(out)")
        #expect(out.contains("interrupted") && out.contains("finished and recorded"), "\(out)")
        #expect(!out.contains(HTTPBench.key))
        // Every call the imitation billed is on record: nothing in flight was thrown away.
        let before = await bench.imitation.billedCalls.count
        #expect(try attemptCount(bench, manifest) == before)
        let r = try await bench.run(manifest)
        #expect(r.sweepPhase == .completed && r.completed == 40)
        #expect(r.spend.value == (await bench.imitation.usage(key: HTTPBench.key)))
    }

    @Test("a second Ctrl-C cancels the calls in flight at once; the run still resumes")
    func interruptTwice() async throws {
        // The first four calls hang for two minutes: only a cancel ends them.
        let bench = try await HTTPBench.start("sigint2", faults: "hang@1,hang@2,hang@3,hang@4", items: 6)
        defer { Task { await bench.imitation.stop() } }
        let manifest = try bench.manifest(items: 6, concurrency: 4)
        let p = try launch(bench, manifest)
        for _ in 0..<1000 where (await bench.imitation.requests.count) < 5 { try await Task.sleep(nanoseconds: 20_000_000) }
        let start = Date()
        kill(p.processIdentifier, SIGINT)
        try await Task.sleep(nanoseconds: 100_000_000)
        kill(p.processIdentifier, SIGINT)
        await Fixtures.exit(p)
        #expect(Date().timeIntervalSince(start) < 20, "the second Ctrl-C did not cancel the hung calls")
        #expect(p.terminationStatus == 3)
        let r = try await bench.run(manifest)
        #expect(r.sweepPhase == .completed && r.completed == 12)
    }

    @Test("kill -9 at several moments of an HTTP sweep: the resume pays again for no stored response, and spend is what the ledger billed for recorded answers")
    func killNine() async throws {
        let bench = try await HTTPBench.start("killhttp", latency: "fixed:40", items: 40)
        defer { Task { await bench.imitation.stop() } }
        let manifest = try bench.manifest(items: 40, concurrency: 8)
        for n in [8, 30, 55] {
            let p = try launch(bench, manifest)
            try await waitFor(p, attempts: n, bench, manifest)
            kill(p.processIdentifier, SIGKILL)
            await Fixtures.exit(p)
        }
        let r = try await bench.run(manifest)
        #expect(r.sweepPhase == .completed && r.completed == 80)
        let attempts = try RunRecords.read(r.folder).attempts.map(\.payload)
        let cited = Set(attempts.filter { $0.status == .ok }.compactMap { $0.call?.generationID })
        let billed = await bench.imitation.billedCalls
        // Each recorded answer was billed once, and no request whose answer was stored was billed after it.
        #expect(cited.count == 80)
        #expect(cited.isSubset(of: Set(billed.map(\.generationID))))
        var citedByBody: [String: Int] = [:]
        for b in billed where cited.contains(b.generationID) { citedByBody[b.requestSHA256, default: 0] += 1 }
        #expect(citedByBody.values.allSatisfy { $0 == 1 })
        for b in billed where cited.contains(b.generationID) {
            let later = billed.drop { $0.generationID != b.generationID }.dropFirst().filter { $0.requestSHA256 == b.requestSHA256 }
            #expect(later.isEmpty, "request \(b.requestSHA256.prefix(12))… was billed again after its answer was stored")
        }
        // What was billed but never stored: calls cut off by a kill, at most the calls in flight at each kill.
        let lost = billed.filter { !cited.contains($0.generationID) }
        #expect(lost.count <= 3 * 8)
        let spend = billed.filter { cited.contains($0.generationID) }.reduce(Decimal(0)) { $0 + $1.cost }
        #expect(r.spend.value == spend)
        #expect(try Verifier.verify(r.folder, cache: ResponseCache(root: bench.runs.appendingPathComponent("cache"))).problems == [])
    }
}

/// Reconciliation against `/generation` and `/key`, and price snapshots from `/models`.
@Suite("reconcile and registry sync against the imitation")
struct ReconcileTests {
    @Test("reconcile confirms every paid attempt to the last decimal, appends a record, and names a key that paid for more than the run")
    func reconcile() async throws {
        let bench = try await HTTPBench.start("reconcile", faults: "429=0.1,500=0.1", items: 8)
        defer { Task { await bench.imitation.stop() } }
        let r = try await bench.run(try bench.manifest(items: 8))
        #expect(r.completed == 16)
        let result = try await Reconcile.run(r.folder, environment: [:])
        let paid = try RunRecords.read(r.folder).attempts.filter { $0.payload.status == .ok }.count
        #expect(result.checked == paid && result.matched == paid && result.mismatches.isEmpty)
        #expect(result.keyProblem == nil && result.keyUsageUSD == r.spend && result.agrees)
        try r.folder.appendSession(SessionRecord.reconciled(result))
        let sessions = try RunRecords.read(r.folder).sessions.map(\.payload)
        #expect(sessions.last?.kind == .reconcile && sessions.last?.reconcile == result)
        #expect(try Verifier.verify(r.folder, cache: ResponseCache(root: bench.runs.appendingPathComponent("cache"))).problems == [])

        // The same key pays for a second sweep: its usage is now above this run's spend.
        let other = try Fixtures.write(HTTPBench.manifestText(name: "othersweep", dir: bench.dir, port: bench.port, items: 3)
            .replacingOccurrences(of: "cache: cache", with: "cache: cache2"), to: bench.dir, as: "other.yaml")
        _ = try await Sweep.run(manifest: other, options: bench.options())
        let again = try await Reconcile.run(r.folder, environment: [:])
        #expect(!again.agrees && again.keyProblem?.contains("--shared-key") == true)
        #expect(try await Reconcile.run(r.folder, environment: [:], sharedKey: true).agrees)
    }

    @Test("registry sync writes a dated snapshot of /models and never overwrites one; a manifest priced with a snapshot plans with its prices")
    func registrySync() async throws {
        let bench = try await HTTPBench.start("sync", items: 2)
        defer { Task { await bench.imitation.stop() } }
        let snapshot = try await RegistrySync.fetch(baseURL: "http://127.0.0.1:\(bench.port)/api/v1", key: nil)
        #expect(snapshot.models["teamllm/sim-small"]?.prompt == "0.00000005" && snapshot.models["teamllm/sim-small"]?.completion == "0.0000002")
        #expect(snapshot.models["openrouter/auto"]?.prompt == "-1")
        // A registry of our own, so the real one is not written to.
        let registry = bench.dir.appendingPathComponent("registry")
        try FileManager.default.copyItem(at: Fixtures.registryDir, to: registry)
        let first = try snapshot.write(registry: registry, date: "2026-12-02")
        let second = try snapshot.write(registry: registry, date: "2026-12-02")
        #expect(first.lastPathComponent == "2026-12-02.json" && second.lastPathComponent == "2026-12-02-2.json")
        #expect(try Data(contentsOf: first) == Data(contentsOf: second))

        // A snapshot with sim-small at ten times the price: the plan and the frozen registry use it.
        let dearer = PriceSnapshot(readAt: "2026-12-03T00:00:00Z", source: "test", models: [
            "teamllm/sim-small": .init(prompt: "0.0000005", completion: "0.000002", contextLength: nil, maxCompletionTokens: nil, supportedParameters: []),
        ])
        let name = try dearer.write(registry: registry, date: "2026-12-03").deletingPathExtension().lastPathComponent
        let loaded = try Registry.load(from: registry)
        let text = Fixtures.simulatedManifest(name: "priced", items: 2) + "\nprices: \(name)\n"
        let manifest = try Manifest.parse(text, file: "m", registry: loaded)
        let priced = try loaded.priced(for: manifest)
        #expect(priced.models["sim-small"]?.inputPerMTok == USD(exactly: "0.5") && priced.models["sim-small"]?.outputPerMTok == USD(exactly: "2"))
        #expect(priced.models["sim-frontier"] == loaded.models["sim-frontier"])
        #expect(throws: (any Error).self) { try Manifest.parse(Fixtures.simulatedManifest(name: "priced", items: 2) + "\nprices: 1999-01-01\n", file: "m", registry: loaded) }
    }
}

/// `truncation: {reask_max_tokens: …}`: a cut answer is kept, and its cell asked again at each larger limit.
@Suite("truncation as data")
struct TruncationTests {
    @Test("a truncated answer is recorded, re-asked at each larger limit as an attempt of its own, and the matrix names the limit behind the graded answer")
    func reask() async throws {
        let bench = try await HTTPBench.start("reask", faults: "length@1,length@2,length@3,length@5", items: 2)
        defer { Task { await bench.imitation.stop() } }
        let manifest = try bench.manifest(items: 2, concurrency: 1, extra: "truncation: {reask_max_tokens: [512, 1024]}")
        let r = try await bench.run(manifest)
        #expect(r.sweepPhase == .completed && r.completed == 4)
        let records = try RunRecords.read(r.folder)
        let attempts = records.attempts.map(\.payload)
        let byCell = Dictionary(grouping: attempts, by: \.cell)
        // The first cell: cut at 256, at 512 and at 1024; the last limit's answer is graded as it is.
        let thrice = try #require(byCell.values.first { $0.count == 3 })
        #expect(thrice.map(\.maxTokens) == [nil, 512, 1024])
        #expect(thrice.map(\.reaskAt) == [512, 1024, nil])
        #expect(Set(thrice.map(\.request)).count == 3, "each limit is a request, and a cache key, of its own")
        #expect(thrice.allSatisfy { $0.call?.finishReason == "length" && $0.status == .ok })
        let graded = Set(records.grades.map(\.payload.attempt))
        #expect(graded.contains(thrice[2].attempt) && !graded.contains(thrice[0].attempt) && !graded.contains(thrice[1].attempt))
        // Another cell, cut once at 256, answered in full at 512.
        let twice = try #require(byCell.values.first { $0.count == 2 })
        #expect(twice.map(\.maxTokens) == [nil, 512] && twice[1].call?.finishReason == "stop")
        let matrix = try Matrix.build(r.folder).cells
        #expect(matrix.first { $0.attempt == thrice[2].attempt }?.maxTokens == 1024)
        #expect(matrix.first { $0.attempt == twice[1].attempt }?.maxTokens == 512)
        #expect(matrix.filter { $0.maxTokens == 256 }.count == 2)
        let status = try RunStatus.read(r.folder)
        #expect(status.models.values.map(\.truncated).reduce(0, +) == 4)
        let audit = try CellAudit.render(r.folder, cache: ResponseCache(root: bench.runs.appendingPathComponent("cache")), model: thrice[0].cell.model,
                                         item: thrice[0].cell.item, sample: nil)
        #expect(audit.contains("truncated: asked again at 512") && audit.contains("asked with max_tokens 1024") && audit.contains("call: generation gen-"), "\(audit)")
        #expect(r.spend.value == (await bench.imitation.usage(key: HTTPBench.key)))
        #expect(try Verifier.verify(r.folder, cache: ResponseCache(root: bench.runs.appendingPathComponent("cache"))).problems == [])
        // HTTP attempts (call details, re-asks), a reconcile record and the matrix column all match docs/schemas.
        try r.folder.appendSession(SessionRecord.reconciled(try await Reconcile.run(r.folder, environment: [:])))
        let matrixFile = bench.dir.appendingPathComponent("matrix.jsonl")
        try Matrix.build(r.folder).jsonl().write(to: matrixFile)
        let (checked, text) = try await Fixtures.python([Fixtures.repo.appendingPathComponent("docs/schemas/check.py").path, r.folder.url.path,
                                                        "--matrix", matrixFile.path])
        #expect(checked == 0 && text.contains("records valid"), "check.py: \(text)")
    }

    @Test("re-ask limits must rise above max_tokens, each above the one before; the error names the field")
    func badLimits() throws {
        let registry = try Fixtures.registry()
        for bad in ["[256, 512]", "[1024, 512]", "[]", "[600, 600]"] {
            let text = Fixtures.simulatedManifest(name: "t", items: 1) + "\ntruncation: {reask_max_tokens: \(bad)}\n"
            #expect(throws: ConfigError.self) { try Manifest.parse(text, file: "m.yaml", registry: registry) }
            do { _ = try Manifest.parse(text, file: "m.yaml", registry: registry) } catch {
                #expect("\(error)".contains("reask_max_tokens") && "\(error)".contains("m.yaml:"), "\(error)")
            }
        }
        let ok = try Manifest.parse(Fixtures.simulatedManifest(name: "t", items: 1) + "\ntruncation: {reask_max_tokens: [512, 1024]}\n", file: "m", registry: registry)
        #expect(ok.sampling.reaskMaxTokens == [512, 1024] && ok.sampling.reask(after: 256) == 512 && ok.sampling.reask(after: 1024) == nil)
        // Part of the hash: a different limit is a different pre-registration.
        let plain = try Manifest.parse(Fixtures.simulatedManifest(name: "t", items: 1), file: "m", registry: registry)
        #expect(try ok.hash() != plain.hash())
    }
}
