import Foundation
import Synchronization
import Testing
@testable import TeamLLM

/// Anchors in sessions.jsonl: readers of a live run see a consistent prefix, cut streams are named,
/// and the run digest pins what no file inside the run can.
@Suite("anchors: live readers, cut streams, run digest")
struct AnchorTests {
    @Test("verify, matrix, status and audit during a live run read its anchored prefix and find nothing wrong")
    func liveReaders() async throws {
        let dir = Fixtures.tempDir("live")
        // 2,000 cells of simulated calls taking 6–40 ms each, four at a time: about ten seconds of records.
        let manifest = try Fixtures.write(Fixtures.simulatedManifest(name: "live", items: 1000, sleepScale: 0.04, concurrency: 4), to: dir)
        let runs = dir.appendingPathComponent("runs")
        let p = Process()
        p.executableURL = Fixtures.binary
        p.arguments = ["run", manifest.path, "--quiet"] + Fixtures.paths(runs)
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        defer { if p.isRunning { p.terminate() } }

        let registry = try Fixtures.registry()
        let folder = RunFolder(url: runs.appendingPathComponent(try Manifest.parse(String(contentsOf: manifest, encoding: .utf8), file: "m", registry: registry).runID()))
        var liveChecks = 0, grown = Set<String>()
        for _ in 0..<200 where p.isRunning {
            try await Task.sleep(nanoseconds: 40_000_000)
            guard FileManager.default.fileExists(atPath: folder.header.path) else { continue }
            let report = try Verifier.verify(folder)
            #expect(report.problems == [], "verify during the live run (\(report.extent)): \(report.problems.prefix(3))")
            // The other readers go through the same view and must not trip over half-written state either.
            let status = try RunStatus.read(folder)
            _ = try Matrix.build(folder)
            _ = try CellAudit.render(folder, cache: ResponseCache(root: runs.appendingPathComponent("cache")), model: "sim-small",
                                     item: try folder.plannedCells()[0].cell.item, sample: nil)
            if report.extent.contains("live run") {
                liveChecks += 1
                grown.insert(report.extent)
                #expect(status.cells == 2000)
            }
        }
        await Fixtures.exit(p)
        #expect(p.terminationStatus == 0)
        #expect(liveChecks >= 3 && grown.count >= 2, "only \(liveChecks) checks saw the run live, at \(grown.count) anchors")
        let final = try Verifier.verify(folder)
        #expect(final.problems == [] && final.extent.hasPrefix("every record"))
    }

    @Test("whole records cut off the end of a finished run's streams are named; resume refuses to paper over them")
    func cutStreams() async throws {
        let dir = Fixtures.tempDir("cut")
        let text = Fixtures.manifest(items: 5)
        let url = try Fixtures.write(text, to: dir)
        let r = try await Sweep.run(manifest: url, options: Fixtures.options(runsDir: dir.appendingPathComponent("runs")))
        #expect(try Verifier.verify(r.folder).problems == [])
        let events = r.folder.stream(EventRecord.self), grades = r.folder.stream(GradeRecord.self)
        let eventCount = try Fixtures.lines(events).count, gradeCount = try Fixtures.lines(grades).count
        // The review's cut: the last 29 events and 10 grades. Chains stay valid; only the anchors know.
        try Fixtures.keep(eventCount - 29, of: events)
        try Fixtures.keep(gradeCount - 10, of: grades)
        let problems = try Verifier.verify(r.folder).problems
        #expect(problems.contains { $0.contains("events.jsonl holds \(eventCount - 29) records, but sessions.jsonl:") && $0.contains("anchored \(eventCount)") }, "\(problems)")
        #expect(problems.contains { $0.contains("grades.jsonl holds \(gradeCount - 10) records") }, "\(problems)")
        #expect(throws: RunError.self) { try RunStatus.read(r.folder) }
        await #expect(throws: RunError.self) { try await Sweep.run(manifest: url, options: Fixtures.options(runsDir: dir.appendingPathComponent("runs"))) }
    }

    @Test("a consistent cut of every stream passes inside the folder but not against the run digest")
    func digest() async throws {
        let dir = Fixtures.tempDir("digest")
        let runs = dir.appendingPathComponent("runs")
        let url = try Fixtures.write(Fixtures.manifest(items: 5), to: dir)
        // Two sessions: the first stops early, so an earlier anchor describes a smaller consistent run.
        _ = try await Sweep.run(manifest: url, options: Fixtures.options(runsDir: runs, stopAfter: 10))
        let folder = try await Sweep.run(manifest: url, options: Fixtures.options(runsDir: runs)).folder
        let full = try Verifier.verify(folder)
        #expect(full.problems == [])
        let digest = try #require(full.digest)

        // Cut sessions back to the first session's last anchor, and every stream back to what it recorded.
        let sessions = try RunRecords.read(folder).sessions
        let resume = try #require(sessions.first { $0.payload.kind == .resume })
        let first = try #require(sessions.last { $0.payload.kind == .anchor && $0.seq < resume.seq })
        #expect(first.payload.anchor?.contains { $0.stream == "grades" && $0.count > 0 } == true)
        try Fixtures.keep(first.seq, of: folder.stream(SessionRecord.self))
        for head in first.payload.anchor ?? [] { try Fixtures.keep(head.count, of: folder.url.appendingPathComponent("\(head.stream).jsonl")) }
        let cut = try Verifier.verify(folder)
        #expect(cut.problems == [], "a consistent cut leaves no trace inside the folder: \(cut.problems)")
        #expect(cut.digest != nil && cut.digest != digest)

        // An independent reader recomputes the digest from the files, as docs/crash-consistency.md shows.
        let python = """
            import hashlib, json, sys
            run = sys.argv[1]
            def head(path):
                lines = open(path, "rb").read().splitlines()
                return len(lines), (json.loads(lines[-1])["sha256"] if lines else "0" * 64)
            text = "header %s\\n" % json.loads(open(run + "/header.json", "rb").read())["sha256"]
            for s in ["events", "attempts", "grades"]:
                text += "%s %d %s\\n" % ((s,) + head(run + "/" + s + ".jsonl"))
            print(hashlib.sha256(text.encode()).hexdigest())
            """
        let recomputed = try await Fixtures.python(["-c", python, folder.url.path]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(recomputed == cut.digest, "python recomputed \(recomputed)")

        let cli = try await Fixtures.cli(["verify", folder.url.path, "--digest", digest])
        #expect(cli.status == 1 && cli.err.contains("the run digest is \(cut.digest!)"), "\(cli)")
        let ok = try await Fixtures.cli(["verify", folder.url.path, "--digest", cut.digest!])
        #expect(ok.status == 0 && ok.out.contains("run digest: \(cut.digest!)"), "\(ok)")
    }

    @Test("the run digest is sha256 of the header seal and each result stream's count and head, as documented; sessions are not in it")
    func digestFormula() throws {
        let heads = [StreamHead(stream: "events", count: 2, head: String(repeating: "a", count: 64)),
                     StreamHead(stream: "attempts", count: 1, head: String(repeating: "b", count: 64)),
                     StreamHead(stream: "grades", count: 0, head: SealedLine.genesis),
                     StreamHead(stream: "sessions", count: 3, head: String(repeating: "c", count: 64))]
        let text = "header \(String(repeating: "d", count: 64))\nevents 2 \(String(repeating: "a", count: 64))\nattempts 1 \(String(repeating: "b", count: 64))\n"
            + "grades 0 \(SealedLine.genesis)\n"
        #expect(RunDigest.compute(headerSeal: String(repeating: "d", count: 64), heads: heads.reversed()) == Digest.sha256(text))
    }

    @Test("records appended before a long quiet spell (slow calls) are committed and anchored within about a second, by the timer")
    func timerCommit() async throws {
        let dir = Fixtures.tempDir("timer")
        // 10 cells, two calls at a time, each call sleeping 1.4–7 s: the started events are appended at once,
        // and no other record comes for over a second.
        let manifest = try Fixtures.write(Fixtures.simulatedManifest(name: "timer", items: 5, sleepScale: 3, concurrency: 2), to: dir)
        let runs = dir.appendingPathComponent("runs")
        let task = Task { try await Sweep.run(manifest: manifest, options: Fixtures.options(runsDir: runs)) }
        let registry = try Fixtures.registry()
        let folder = RunFolder(url: runs.appendingPathComponent(try Manifest.parse(String(contentsOf: manifest, encoding: .utf8), file: "m", registry: registry).runID()))
        var anchoredStart = false
        for _ in 0..<100 {
            try await Task.sleep(nanoseconds: 100_000_000)
            guard let text = try? String(contentsOf: folder.stream(SessionRecord.self), encoding: .utf8) else { continue }
            // An anchor that covers started events while no attempt is written yet: only the timer makes one.
            let anchors = text.split(separator: "\n").compactMap { line -> [String: Int]? in
                guard let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], o["kind"] as? String == "anchor",
                      let heads = o["anchor"] as? [[String: Any]] else { return nil }
                return Dictionary(uniqueKeysWithValues: heads.compactMap { h in (h["stream"] as? String).map { ($0, h["count"] as? Int ?? -1) } })
            }
            if anchors.contains(where: { ($0["events"] ?? 0) >= 3 && $0["attempts"] == 0 }) {
                anchoredStart = true
                break
            }
            if (try? Fixtures.lines(folder.stream(AttemptRecord.self)).count) ?? 0 > 0 { break }
        }
        let report = try await task.value
        #expect(report.sweepPhase == .completed)
        #expect(anchoredStart, "no group commit happened while the calls ran")
    }
}
