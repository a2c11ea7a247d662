import Foundation
import GRDB
import Synchronization
import Testing
@testable import TeamLLM

/// SIGKILLs the real `teamllm` binary at random moments and resumes until the sweep completes.
@Suite("kill -9 and resume")
struct KillTests {
    /// Starts the real binary on a manifest, quiet, its stderr to `log` (or discarded).
    func launch(_ manifest: URL, runs: URL, log: URL? = nil, fault: String? = nil) throws -> Process {
        let bin = Fixtures.binary
        try #require(FileManager.default.isExecutableFile(atPath: bin.path), "build the CLI first (make test does): \(bin.path)")
        let p = Process()
        p.executableURL = bin
        p.arguments = ["run", manifest.path, "--quiet", "--registry", Fixtures.registryDir.path, "--data-dir", Fixtures.dataDir.path, "--runs-dir", runs.path]
        if let fault { p.environment = ProcessInfo.processInfo.environment.merging(["TEAMLLM_FAULT": fault]) { $1 } }
        p.standardOutput = FileHandle.nullDevice
        p.standardError = try log.map { try FileHandle(forWritingTo: $0) } ?? FileHandle.nullDevice
        try p.run()
        return p
    }

    @Test("after kill -9 at random moments, a resume completes with nothing lost, repeated or graded twice")
    func killAndResume() async throws {
        let dir = Fixtures.tempDir("kill")
        // Calls slow enough that the schedule's delays, at most 0.42 s, land inside a run: at 0.02 a clean-clone CI rehearsal finished
        // the rest of the sweep within 0.18 s of a resume and the test saw one kill.
        let text = Fixtures.manifest(name: "killed", items: 40, sleepScale: 0.05, concurrency: 6)
        let manifest = try Fixtures.write(text, to: dir)
        let runs = dir.appendingPathComponent("runs")
        var rng = SplitMix64(text: "kill-schedule")
        var kills = 0, finished = false
        var outcomes: [String] = []
        let log = dir.appendingPathComponent("child-stderr.txt")
        #expect(FileManager.default.createFile(atPath: log.path, contents: nil))
        for _ in 0..<40 {
            let p = try launch(manifest, runs: runs, log: log)
            let delay = 0.02 + Double(rng.next() % 400) / 1000
            // A Dispatch timer, not Task.sleep: with other suites running, the cooperative pool can
            // resume a sleeping task far too late, and the child would finish before its kill.
            let pid = p.processIdentifier
            let killed = Mutex(false)
            DispatchQueue.global().asyncAfter(deadline: .now() + delay) {
                if kill(pid, SIGKILL) == 0 { killed.withLock { $0 = true } }
            }
            await Fixtures.exit(p)
            try await Task.sleep(nanoseconds: UInt64((delay + 0.01) * 1e9)) // let the timer fire before the next child
            if killed.withLock({ $0 }) && p.terminationReason == .uncaughtSignal { kills += 1 }
            outcomes.append("\(p.terminationReason == .exit ? "exit" : "signal") \(p.terminationStatus) after \(delay)s")
            if p.terminationReason == .exit && p.terminationStatus == 0 { finished = true; break }
        }
        let stderr = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        #expect(kills >= 3, "the schedule killed only \(kills) times: \(outcomes); child stderr: \(stderr.suffix(2000))")
        if !finished {
            let r = try await Sweep.run(manifest: manifest, options: Fixtures.options(runsDir: runs))
            #expect(r.sweepPhase == .completed)
        }
        let registry = try Fixtures.registry()
        let folder = RunFolder(url: runs.appendingPathComponent(try Manifest.parse(text, file: "m", registry: registry).runID()))
        let cache = try ResponseCache(root: runs.appendingPathComponent("cache"))
        #expect(try Verifier.verify(folder, cache: cache).problems == [])

        let records = try RunRecords.read(folder)
        #expect(records.grades.count == 240)
        #expect(Set(records.grades.map(\.payload.cell)).count == 240, "a cell was graded twice")
        var paid: [String: Int] = [:]
        for a in records.attempts where a.payload.status == .ok { paid[a.payload.request, default: 0] += 1 }
        #expect(paid.values.allSatisfy { $0 == 1 }, "a stored response was paid for twice")
        #expect(Set(records.attempts.map(\.payload.cell)).count == records.attempts.count, "a cell has more than one attempt")

        // Same matrix as a run never interrupted (its own runs folder and cache).
        let clean = Fixtures.tempDir("clean")
        let r = try await Sweep.run(manifest: try Fixtures.write(text, to: clean), options: Fixtures.options(runsDir: clean.appendingPathComponent("runs")))
        #expect(try Matrix.build(r.folder).jsonl() == Matrix.build(folder).jsonl())
    }

    @Test("a paid response is in the cache as soon as its call returns: after a kill -9 right after a store it is recovered, not paid again")
    func paidResponsesSurviveKill() async throws {
        let dir = Fixtures.tempDir("paidkill")
        // 60 cells; the 20 simulated calls take 150–700 ms each, four at a time. The process kills itself right
        // after its 5th paid response is stored, before that attempt can be recorded.
        let text = Fixtures.manifest(name: "paidkill", items: 10, sleepScale: 0.3, concurrency: 4)
        let manifest = try Fixtures.write(text, to: dir)
        let runs = dir.appendingPathComponent("runs")
        let p = try launch(manifest, runs: runs, fault: "kill-after-store:5")
        await Fixtures.exit(p)
        try #require(p.terminationReason == .uncaughtSignal, "the fault did not kill the run")
        let index = runs.appendingPathComponent("cache/index.sqlite")
        let stored = try await DatabaseQueue(path: index.path).read {
            try String.fetchAll($0, sql: "SELECT request_key FROM responses WHERE origin_attempt LIKE '%/sim-%'")
        }
        let folder = try #require(try FileManager.default.contentsOfDirectory(at: runs, includingPropertiesForKeys: nil).first { $0.lastPathComponent.hasPrefix("paidkill-") })
        let recordedBefore = Set(try Fixtures.lines(folder.appendingPathComponent("attempts.jsonl")).compactMap { line -> String? in
            guard let r = line.range(of: #""request":""#) else { return nil }
            return String(line[r.upperBound...].prefix(64))
        })
        try #require(stored.count >= 5)
        let unrecorded = stored.filter { !recordedBefore.contains($0) }
        #expect(!unrecorded.isEmpty, "every stored response was recorded before the kill: the fault hit no gap")

        let r = try await Sweep.run(manifest: manifest, options: Fixtures.options(runsDir: runs))
        #expect(r.sweepPhase == .completed && r.completed == 60)
        let attempts = try RunRecords.read(r.folder).attempts.map(\.payload)
        for key in stored {
            let a = attempts.filter { $0.request == key }
            #expect(a.count == 1 && a[0].status == .ok, "response \(key.prefix(12))… stored before the kill: \(a)")
        }
        for key in unrecorded {
            let a = attempts.filter { $0.request == key }
            #expect(a.first?.recovered == true, "response \(key.prefix(12))… stored but not recorded before the kill was not recovered: \(a)")
        }
        var paid: [String: Int] = [:]
        for a in attempts where a.status == .ok { paid[a.request, default: 0] += 1 }
        #expect(paid.values.allSatisfy { $0 == 1 })
        #expect(try Verifier.verify(r.folder, cache: ResponseCache(root: runs.appendingPathComponent("cache"))).problems == [])
    }
}
