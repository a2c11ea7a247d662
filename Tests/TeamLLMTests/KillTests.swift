import Foundation
import Synchronization
import Testing
@testable import TeamLLM

/// SIGKILLs the real `teamllm` binary at random moments and resumes until the sweep completes.
@Suite("kill -9 and resume")
struct KillTests {
    @Test("after kill -9 at random moments, a resume completes with nothing lost, repeated or graded twice")
    func killAndResume() async throws {
        let bin = Fixtures.binary
        try #require(FileManager.default.isExecutableFile(atPath: bin.path), "build the CLI first (make test does): \(bin.path)")
        let dir = Fixtures.tempDir("kill")
        let text = Fixtures.manifest(name: "killed", items: 40, sleepScale: 0.02, concurrency: 6)
        let manifest = try Fixtures.write(text, to: dir)
        let runs = dir.appendingPathComponent("runs")
        var rng = SplitMix64(text: "kill-schedule")
        var kills = 0, finished = false
        var outcomes: [String] = []
        let log = dir.appendingPathComponent("child-stderr.txt")
        #expect(FileManager.default.createFile(atPath: log.path, contents: nil))
        for _ in 0..<40 {
            let p = Process()
            p.executableURL = bin
            p.arguments = ["run", manifest.path, "--quiet", "--registry", Fixtures.registryDir.path, "--data-dir", Fixtures.dataDir.path, "--runs-dir", runs.path]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = try FileHandle(forWritingTo: log)
            try p.run()
            let delay = 0.02 + Double(rng.next() % 400) / 1000
            // A Dispatch timer, not Task.sleep: with other suites running, the cooperative pool can
            // resume a sleeping task far too late, and the child would finish before its kill.
            let pid = p.processIdentifier
            let killed = Mutex(false)
            DispatchQueue.global().asyncAfter(deadline: .now() + delay) {
                if kill(pid, SIGKILL) == 0 { killed.withLock { $0 = true } }
            }
            p.waitUntilExit()
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
        #expect(try Verifier.verify(folder, cache: cache) == [])

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
}
