import Foundation
import GRDB
import Testing
@testable import TeamLLM

@Suite("runs: launch, resume, cache, refusal, lock, torn lines, tampering")
struct RunTests {
    /// Launches (or resumes) a manifest text in `dir/runs`.
    @discardableResult
    func run(_ text: String, in dir: URL, stopAfter: Int? = nil, runID: String? = nil) async throws -> SweepReport {
        let url = try Fixtures.write(text, to: dir)
        return try await Sweep.run(manifest: url, options: Fixtures.options(runsDir: dir.appendingPathComponent("runs"), stopAfter: stopAfter, runID: runID))
    }

    func cache(_ dir: URL) throws -> ResponseCache { try ResponseCache(root: dir.appendingPathComponent("runs/cache")) }

    @Test("an interrupted and resumed run gives the same matrix bytes as an uninterrupted one")
    func resumeParity() async throws {
        let whole = Fixtures.tempDir("whole"), parts = Fixtures.tempDir("parts")
        let text = Fixtures.manifest(samples: 2)
        let a = try await run(text, in: whole)
        #expect(a.sweepPhase == .completed && a.completed == 360)
        var r = try await run(text, in: parts, stopAfter: 100)
        #expect(r.stoppedBy == "stop-after 100" && r.completed < 360 && r.sweepPhase == .executing)
        r = try await run(text, in: parts, stopAfter: 150)
        r = try await run(text, in: parts)
        #expect(r.sweepPhase == .completed && r.completed == 360)
        let ma = try Matrix.build(a.folder), mb = try Matrix.build(r.folder)
        #expect(try ma.jsonl() == mb.jsonl())
        #expect(ma.csv() == mb.csv())
        #expect(try Matrix.build(a.folder).jsonl() == ma.jsonl()) // rebuilding gives the same bytes
        #expect(try Verifier.verify(r.folder, cache: cache(parts)).problems == [])
        let records = try RunRecords.read(r.folder)
        #expect(records.grades.count == 360)
        #expect(Set(records.grades.map(\.payload.cell)).count == 360)
        #expect(records.sessions.map(\.payload.kind).filter { $0 != .anchor } == [.launch, .resume, .resume])

        // Resuming a completed run changes nothing.
        let before = try Data(contentsOf: r.folder.stream(AttemptRecord.self))
        _ = try await run(text, in: parts)
        #expect(try Data(contentsOf: r.folder.stream(AttemptRecord.self)) == before)
    }

    @Test("a second run over the same cache pays nothing and points at the attempts that paid")
    func cacheSharing() async throws {
        let dir = Fixtures.tempDir("share")
        let first = try await run(Fixtures.manifest(name: "first"), in: dir)
        let second = try await run(Fixtures.manifest(name: "second"), in: dir)
        #expect(first.spend > .zero)
        #expect(second.spend == .zero)
        let attempts = try RunRecords.read(second.folder).attempts.map(\.payload)
        #expect(attempts.count == 180)
        #expect(attempts.allSatisfy { $0.status == .cacheHit && $0.costUSD == .zero && $0.cacheOrigin?.hasPrefix(first.folder.id + "/") == true })
        let m1 = try Matrix.build(first.folder).cells, m2 = try Matrix.build(second.folder).cells
        #expect(m1.map(\.verdict) == m2.map(\.verdict))
        #expect(try Verifier.verify(second.folder, cache: cache(dir)).problems == [])
    }

    @Test("a run folder deleted and relaunched over the same cache pays nothing: hits, not recovered attempts")
    func relaunchAfterDelete() async throws {
        let dir = Fixtures.tempDir("relaunch")
        let text = Fixtures.manifest(items: 5)
        let first = try await run(text, in: dir)
        #expect(first.spend > .zero)
        try FileManager.default.removeItem(at: first.folder.url)
        let again = try await run(text, in: dir)
        #expect(again.folder.id == first.folder.id)
        #expect(again.spend == .zero)
        let attempts = try RunRecords.read(again.folder).attempts.map(\.payload)
        #expect(attempts.count == 30 && attempts.allSatisfy { $0.status == .cacheHit && $0.recovered == nil })
    }

    @Test("launching a different manifest into an existing run is refused, listing the fields")
    func differentManifest() async throws {
        let dir = Fixtures.tempDir("differ")
        let first = try await run(Fixtures.manifest(items: 5), in: dir)
        do {
            try await run(Fixtures.manifest(items: 6, seed: 8), in: dir, runID: first.folder.id)
            Issue.record("a different manifest was accepted")
        } catch let RunError.manifestMismatch(run, fields) {
            #expect(run == first.folder.id)
            #expect(fields == ["benchmarks[0].limit", "seed"])
        }
    }

    @Test("a second process on one run is refused")
    func lock() async throws {
        let dir = Fixtures.tempDir("lock")
        let first = try await run(Fixtures.manifest(items: 5), in: dir, stopAfter: 3)
        let held = try RunLock(first.folder)
        await #expect(throws: RunError.self) { try await run(Fixtures.manifest(items: 5), in: dir) }
        withExtendedLifetime(held) {}
    }

    @Test("a torn last line is reported, kept in quarantine, and the run completes")
    func tornLine() async throws {
        let dir = Fixtures.tempDir("torn")
        let text = Fixtures.manifest(items: 10)
        let first = try await run(text, in: dir, stopAfter: 20)
        let attempts = first.folder.stream(AttemptRecord.self)
        let fragment = Data(#"{"seq":999,"prev":"0000"#.utf8)
        let handle = try FileHandle(forWritingTo: attempts)
        handle.seekToEndOfFile(); handle.write(fragment); try handle.close()
        #expect(throws: RunError.self) { try RunRecords.read(first.folder) }

        let resumed = try await run(text, in: dir)
        #expect(resumed.sweepPhase == .completed)
        #expect(resumed.notices.count == 1 && resumed.notices[0].contains("attempts.jsonl: incomplete last line"))
        let sessions = try RunRecords.read(resumed.folder).sessions.map(\.payload)
        let note = try #require(sessions.first { $0.kind == .tornLine }?.torn)
        #expect(note.stream == "attempts" && note.length == fragment.count)
        #expect(try Data(contentsOf: resumed.folder.quarantine.appendingPathComponent(note.quarantine)) == fragment)
        #expect(try Verifier.verify(resumed.folder, cache: cache(dir)).problems == [])

        // A kept file that no record names (a kill right after the cut) is named on the next resume.
        let orphan = "grades-at-12-abcdef012345.torn"
        try Data("{\"seq\"".utf8).write(to: resumed.folder.quarantine.appendingPathComponent(orphan))
        _ = try await run(text, in: dir)
        let named = try RunRecords.read(resumed.folder).sessions.compactMap(\.payload.torn)
        #expect(named.contains { $0.quarantine == orphan && $0.stream == "grades" && $0.offset == 12 && $0.length == 6 })
        #expect(try Verifier.verify(resumed.folder, cache: cache(dir)).problems == [])
    }

    @Test("verify names a bad record after a one-byte change anywhere in the run or the cache")
    func tamper() async throws {
        let dir = Fixtures.tempDir("tamper")
        let r = try await run(Fixtures.manifest(items: 4), in: dir)
        let c = try cache(dir)
        #expect(try Verifier.verify(r.folder, cache: c).problems == [])
        let fm = FileManager.default
        var files = try fm.contentsOfDirectory(atPath: r.folder.url.path).filter { $0 != "lock" && $0 != "lock.read" && $0 != "quarantine" }.map { r.folder.url.appendingPathComponent($0) }
        let packs = dir.appendingPathComponent("runs/cache/packs")
        files += try fm.contentsOfDirectory(atPath: packs.path).map { packs.appendingPathComponent($0) }
        #expect(files.count == 10) // 9 run files (all but the lock) and one pack
        var rng = SplitMix64(text: "tamper")
        for file in files {
            let original = try Data(contentsOf: file)
            guard !original.isEmpty else { continue }
            for _ in 0..<(file.pathExtension == "pack" ? 40 : 3) {
                var changed = original
                let i = Int(rng.next() % UInt64(original.count))
                changed[i] = changed[i] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
                try changed.write(to: file)
                let problems = try Verifier.verify(r.folder, cache: c).problems
                #expect(!problems.isEmpty, "a change at byte \(i) of \(file.lastPathComponent) went unnoticed")
                try original.write(to: file)
            }
        }
        #expect(try Verifier.verify(r.folder, cache: c).problems == [])

        // Removing a whole last line keeps the chain valid; the anchor names the cut, the completeness check the cell.
        let grades = r.folder.stream(GradeRecord.self)
        let original = try Data(contentsOf: grades)
        let cut = original.dropLast().lastIndex(of: UInt8(ascii: "\n"))!
        try original.prefix(cut + 1).write(to: grades)
        let problems = try Verifier.verify(r.folder, cache: c).problems
        #expect(problems.count == 2 && problems[0].contains("grades.jsonl holds 23 records, but sessions.jsonl:")
                && problems[1].contains("is COMPLETED but its answer has no grade"), "\(problems)")
        try original.write(to: grades)
    }

    @Test("a changed cache index row is caught by its row hash")
    func tamperIndexRow() async throws {
        let dir = Fixtures.tempDir("row")
        let r = try await run(Fixtures.manifest(items: 3, simulated: false), in: dir)
        let c = try cache(dir)
        let attempt = try #require(RunRecords.read(r.folder).attempts.first?.payload)
        let entry = try #require(try c.lookup(attempt.request))
        // Rewrite the row's answer text through SQLite, leaving its row hash as it was.
        let db = try DatabaseQueue(path: c.root.appendingPathComponent("index.sqlite").path)
        try await db.write { try $0.execute(sql: "UPDATE responses SET answer_text = answer_text || ' ' WHERE request_key = ?", arguments: [entry.requestKey]) }
        let problems = try Verifier.verify(r.folder, cache: c).problems
        #expect(problems.count == 1)
        #expect(problems.first?.contains("attempts.jsonl:") == true && problems.first?.contains("row hash") == true)
    }

    @Test("a cell whose grade outlived its later transitions (a power loss reorders writes) is not graded again")
    func gradeNotRepeated() async throws {
        let dir = Fixtures.tempDir("regrade")
        let text = Fixtures.manifest(items: 5, simulated: false) // 20 cells: one batch
        let r = try await run(text, in: dir)
        let events = r.folder.stream(EventRecord.self)
        let lines = try String(contentsOf: events, encoding: .utf8).split(separator: "\n")
        // Keep the sweep's start and the 20 cells' PENDING → EXECUTING; attempts and grades stay on disk.
        let kept = lines.prefix(21)
        #expect(kept.dropFirst().allSatisfy { $0.contains(#""scope":"cell""#) && $0.contains(#""to":"executing""#) })
        try (kept.joined(separator: "\n") + "\n").write(to: events, atomically: true, encoding: .utf8)
        // Power loss can only lose what was never anchored: sessions goes back to its launch and first anchor.
        try Fixtures.keep(2, of: r.folder.stream(SessionRecord.self))
        #expect(try RunRecords.read(r.folder).sessions.map(\.payload.kind) == [.launch, .anchor])
        let again = try await run(text, in: dir)
        #expect(again.sweepPhase == .completed && again.completed == 20)
        // verify names a repeated grade (same attempt, grader and version) on its own.
        let grades = again.folder.stream(GradeRecord.self)
        let original = try Data(contentsOf: grades)
        let first = try #require(try RunRecords.read(again.folder).grades.first?.payload)
        try RecordStream(url: grades, tail: StreamReader.scan(grades) { _, _, _ in }).append(first)
        let problems = try Verifier.verify(again.folder, cache: cache(dir)).problems
        #expect(problems.first?.contains("grades.jsonl:21") == true && problems.first?.contains("already graded") == true)
        try original.write(to: grades)
        let records = try RunRecords.read(again.folder)
        #expect(records.attempts.count == 20)
        #expect(records.grades.count == 20)
        #expect(try Verifier.verify(again.folder, cache: cache(dir)).problems == [])
    }

    @Test("a cache value rewritten with the same bytes but another storage type is caught")
    func tamperStorageType() async throws {
        let dir = Fixtures.tempDir("rowtype")
        let r = try await run(Fixtures.manifest(items: 3, simulated: false), in: dir)
        let c = try cache(dir)
        #expect(try Verifier.verify(r.folder, cache: c).problems == [])
        // The request's bytes stay the same, so its hash and the row hash still match; only its type changes.
        let db = try DatabaseQueue(path: c.root.appendingPathComponent("index.sqlite").path)
        try await db.write { try $0.execute(sql: "UPDATE responses SET request = CAST(request AS TEXT) WHERE id = 1") }
        let problems = try Verifier.verify(r.folder, cache: c).problems
        #expect(problems.count == 1)
        #expect(problems.first?.contains("cache index.sqlite: responses row") == true)
    }

    @Test("the budget cap stops scheduling before spend could pass it; status reports what is left")
    func budgetCap() async throws {
        let dir = Fixtures.tempDir("budget")
        // Simulated cells here cost at most ~$0.0027 each (sim-frontier: 256 output tokens at $10/M plus the prompt).
        let text = Fixtures.manifest(items: 30, budget: "0.02")
        let r = try await run(text, in: dir)
        #expect(r.stoppedBy?.hasPrefix("budget cap: ") == true, "\(r.stoppedBy ?? "-")")
        #expect(r.spend <= USD(exactly: "0.02")!)
        #expect(r.spend > .zero)
        #expect(r.completed < 180 && r.sweepPhase == .executing)
        // It stopped only because the next cell's ceiling (at most ~$0.0027) no longer fit, not earlier.
        #expect(r.spend > USD(exactly: "0.017")!)
        let status = try RunStatus.read(r.folder)
        #expect(status.spend == r.spend)
        #expect(status.byPhase[.completed] == r.completed)
        #expect(status.cells == 180)
        #expect(status.render().contains("left: \(180 - r.completed) cells"))
        // Nothing was started that was not finished: every started cell completed.
        #expect((status.byPhase[.executing] ?? 0) + (status.byPhase[.verifying] ?? 0) == 0)
    }

    @Test("at the cap, free cells still run; raising budget_usd continues the same run, and each session records its cap")
    func budgetRaise() async throws {
        let dir = Fixtures.tempDir("raise")
        // 120 replayed cells cost nothing; 60 simulated ones cost up to ~$0.0027 each.
        let low = try await run(Fixtures.manifest(items: 30, budget: "0.02"), in: dir)
        #expect(low.stoppedBy?.contains("raise budget_usd in the manifest (or pass --budget-usd) and run the same command") == true, "\(low.stoppedBy ?? "-")")
        let m1 = try Matrix.build(low.folder).cells
        #expect(m1.filter { $0.model.hasPrefix("gpt3") }.allSatisfy { $0.verdict != .missing }, "a free replayed cell was left behind the cap")
        #expect(low.spend <= USD(exactly: "0.02")!)

        let high = try await run(Fixtures.manifest(items: 30, budget: "5.00"), in: dir)
        #expect(high.folder.id == low.folder.id, "the budget is operational: raising it must not start a new run")
        #expect(high.sweepPhase == .completed && high.completed == 180)
        let caps = try RunRecords.read(high.folder).sessions.compactMap { $0.payload.settings?.budgetUSD.description }
        #expect(caps == ["0.02", "5"], "\(caps)")
        #expect(try RunStatus.read(high.folder).render().contains("of budget $5 (the last session's cap)"))

        // A run whose every response is in the cache costs nothing, so a zero cap does not stop it.
        let again = try await run(Fixtures.manifest(name: "again", items: 30, budget: "0"), in: dir)
        #expect(again.sweepPhase == .completed && again.spend == .zero && again.stoppedBy == nil)
    }
}
