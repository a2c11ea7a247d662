import Foundation
import GRDB
import Testing
@testable import TeamLLM

/// The cache's index cannot disagree with itself unnoticed, and no response is paid for twice: not across
/// a crash between a pack write and its index commit, and not by two processes sharing one cache.
@Suite("cache integrity and payment")
struct CacheIntegrityTests {
    /// Folds the WAL into the index file and closes, so its bytes can be edited on disk.
    func checkpoint(_ index: URL) throws {
        let db = try DatabaseQueue(path: index.path)
        _ = try db.writeWithoutTransaction { try $0.checkpoint(.truncate) }
        try db.close()
    }

    @Test("a request key changed inside a table row (the index still has the old one) is named by verify")
    func keyFlippedInTableRow() async throws {
        let dir = Fixtures.tempDir("keyflip")
        let r = try await Sweep.run(manifest: Fixtures.write(Fixtures.manifest(items: 3, simulated: false), to: dir),
                                    options: Fixtures.options(runsDir: dir.appendingPathComponent("runs")))
        let index = dir.appendingPathComponent("runs/cache/index.sqlite")
        try checkpoint(index)
        let key = try #require(try await DatabaseQueue(path: index.path).read { try String.fetchOne($0, sql: "SELECT request_key FROM responses WHERE id = 2") })
        let pageSize = try await DatabaseQueue(path: index.path).read { try Int.fetchOne($0, sql: "PRAGMA page_size") } ?? 4096
        var bytes = try Data(contentsOf: index)
        // The key is in the table's leaf page and in the unique index's: change only the table's copy.
        let needle = Data(key.utf8)
        var at: Int?
        var search = bytes.startIndex
        while let range = bytes.range(of: needle, in: search..<bytes.endIndex) {
            let page = range.lowerBound / pageSize
            let headerAt = page * pageSize + (page == 0 ? 100 : 0)
            if bytes[headerAt] == 0x0D { at = range.lowerBound; break } // a table b-tree leaf page
            search = range.upperBound
        }
        let offset = try #require(at, "the key's table row was not found in the file")
        bytes[offset + 10] = bytes[offset + 10] == UInt8(ascii: "a") ? UInt8(ascii: "b") : UInt8(ascii: "a")
        try bytes.write(to: index)

        let problems = try Verifier.verify(r.folder).problems
        #expect(problems.contains { $0.contains("disagrees with the index on request_key") && $0.contains("responses row 2") }, "\(problems)")
    }

    @Test("a kill between a paid response's pack write and its index commit: the resume indexes it from the pack and pays nothing again")
    func killBeforeCommit() async throws {
        let dir = Fixtures.tempDir("precommit")
        let manifest = try Fixtures.write(Fixtures.simulatedManifest(name: "precommit", items: 10), to: dir)
        let runs = dir.appendingPathComponent("runs")
        // The fifth paid store: its pack entries are written, then the process dies before the commit.
        let killed = try await Fixtures.cli(["run", manifest.path, "--quiet"] + Fixtures.paths(runs), environment: ["TEAMLLM_FAULT": "kill-before-commit:5"])
        #expect(killed.status == SIGKILL || killed.status == 9, "the fault did not fire: \(killed)")
        let index = runs.appendingPathComponent("cache/index.sqlite")
        let indexed = try await DatabaseQueue(path: index.path).read { try Int.fetchOne($0, sql: "SELECT count(*) FROM responses") } ?? -1
        #expect(indexed == 4, "four stores committed before the kill, found \(indexed)")

        let folder = RunFolder(url: runs.appendingPathComponent(try Manifest.parse(String(contentsOf: manifest, encoding: .utf8), file: "m",
                                                                                    registry: Fixtures.registry()).runID()))
        // Responses recorded before the kill stand as they are; the others must be recovered.
        let recordedBefore = Set(try RunRecords.read(folder).attempts.map(\.payload.request))
        let storedBefore = try await DatabaseQueue(path: index.path).read { try String.fetchAll($0, sql: "SELECT request_key FROM responses") }

        let resumed = try await Fixtures.cli(["run", manifest.path, "--quiet"] + Fixtures.paths(runs))
        #expect(resumed.status == 0, "\(resumed)")
        #expect(resumed.err.contains("cache: 1 stored responses a crash left unindexed were indexed again"), "\(resumed.err)")
        let attempts = try RunRecords.read(folder).attempts.map(\.payload)
        #expect(attempts.count == 20)
        // The committed responses not yet recorded, and the one indexed from its pack: each recorded as recovered, none called again.
        let mustRecover = storedBefore.filter { !recordedBefore.contains($0) }.count + 1
        #expect(attempts.filter { $0.recovered == true }.count == mustRecover, "the responses stored but not recorded before the kill must be recorded as recovered")
        var paid: [String: Int] = [:]
        for a in attempts where a.status == .ok { paid[a.request, default: 0] += 1 }
        #expect(paid.count == 20 && paid.values.allSatisfy { $0 == 1 })
        #expect(try Verifier.verify(folder).problems == [])
    }

    @Test("two runs sharing one cache never pay twice for a request: one waits for the other's call")
    func twoProcessesOneCache() async throws {
        let dir = Fixtures.tempDir("twoproc")
        let runs = dir.appendingPathComponent("runs")
        // Same cells, different names: the requests are identical, the runs are not. Calls take 8–45 ms.
        let a = try Fixtures.write(Fixtures.simulatedManifest(name: "left", items: 40, sleepScale: 0.05), to: dir, as: "a.yaml")
        let b = try Fixtures.write(Fixtures.simulatedManifest(name: "right", items: 40, sleepScale: 0.05), to: dir, as: "b.yaml")
        func start(_ m: URL) throws -> Process {
            let p = Process()
            p.executableURL = Fixtures.binary
            p.arguments = ["run", m.path, "--quiet"] + Fixtures.paths(runs)
            p.standardOutput = FileHandle.nullDevice
            let log = dir.appendingPathComponent(m.lastPathComponent + ".stderr")
            FileManager.default.createFile(atPath: log.path, contents: nil)
            p.standardError = try FileHandle(forWritingTo: log)
            try p.run()
            return p
        }
        // The cache must exist before two processes race to create its tables.
        _ = try ResponseCache(root: runs.appendingPathComponent("cache"))
        let pa = try start(a), pb = try start(b)
        await Fixtures.exit(pa); await Fixtures.exit(pb)
        let logs = try ["a.yaml", "b.yaml"].map { try String(contentsOf: dir.appendingPathComponent($0 + ".stderr"), encoding: .utf8) }
        #expect(pa.terminationStatus == 0 && pb.terminationStatus == 0, "\(logs)")

        let registry = try Fixtures.registry()
        var okByRequest: [String: Int] = [:], hits = 0, total = 0
        for m in [a, b] {
            let folder = RunFolder(url: runs.appendingPathComponent(try Manifest.parse(String(contentsOf: m, encoding: .utf8), file: "m", registry: registry).runID()))
            #expect(try Verifier.verify(folder).problems == [])
            for attempt in try RunRecords.read(folder).attempts.map(\.payload) {
                total += 1
                if attempt.status == .ok { okByRequest[attempt.request, default: 0] += 1 }
                if attempt.status == .cacheHit { hits += 1 }
            }
        }
        #expect(total == 160)
        #expect(okByRequest.count == 80 && okByRequest.values.allSatisfy { $0 == 1 }, "requests paid twice: \(okByRequest.filter { $0.value > 1 }.count)")
        #expect(hits == 80)
        let claims = try await DatabaseQueue(path: runs.appendingPathComponent("cache/index.sqlite").path).read { try Int.fetchOne($0, sql: "SELECT count(*) FROM claims") }
        #expect(claims == 0, "claims are released when a run ends")
    }

    @Test("a claim held by a process that is gone, or whose lease ran out, is taken over; a live one is not")
    func claimRules() throws {
        let cache = try ResponseCache(root: Fixtures.tempDir("claims"))
        let me = ClaimOwner.current(run: "r1")
        let other = ClaimOwner(id: "r2:\(getppid())@\(me.host)", host: me.host, pid: getppid()) // alive: our parent
        let gone = ClaimOwner(id: "r3:999999@\(me.host)", host: me.host, pid: 999_999)
        let elsewhere = ClaimOwner(id: "r4:1@far", host: "far", pid: 1)
        #expect(try cache.claim(["k1"], owner: other) == ["k1": .claimed])
        #expect(try cache.claim(["k2"], owner: gone) == ["k2": .claimed])
        #expect(try cache.claim(["k3"], owner: elsewhere, now: Date(timeIntervalSinceNow: -ResponseCache.claimLease - 1)) == ["k3": .claimed])
        #expect(try cache.claim(["k4"], owner: elsewhere) == ["k4": .claimed])
        let mine = try cache.claim(["k1", "k2", "k3", "k4"], owner: me)
        #expect(mine == ["k1": .heldBy(other.id), "k2": .takenOver(from: gone.id), "k3": .takenOver(from: elsewhere.id), "k4": .heldBy(elsewhere.id)])
        try cache.release(owner: me)
        try cache.release(["k1"], owner: other)
        #expect(try cache.claim(["k1"], owner: me) == ["k1": .claimed])
    }

    @Test("an incomplete entry a killed process left at a pack's end is cut before the next append, so later entries stay readable")
    func partialPackWrite() async throws {
        let dir = Fixtures.tempDir("partialpack")
        let runs = dir.appendingPathComponent("runs")
        let first = try await Sweep.run(manifest: Fixtures.write(Fixtures.simulatedManifest(name: "first", items: 5), to: dir), options: Fixtures.options(runsDir: runs))
        let pack = runs.appendingPathComponent("cache/packs/000001.pack")
        let handle = try FileHandle(forWritingTo: pack)
        handle.seekToEndOfFile()
        handle.write(Data("TLLMBODY \(String(repeating: "ab", count: 32)) 99999\n{\"half".utf8)) // a write cut short by kill -9
        try handle.close()
        // Another sweep appends new responses (another seed: other requests) after the torn bytes.
        let other = Fixtures.simulatedManifest(name: "second", items: 5).replacingOccurrences(of: "seed: 7", with: "seed: 8")
        let second = try await Sweep.run(manifest: Fixtures.write(other, to: dir, as: "second.yaml"), options: Fixtures.options(runsDir: runs))
        #expect(second.spend > .zero)
        for folder in [first.folder, second.folder] {
            let report = try Verifier.verify(folder)
            #expect(report.problems == [], "\(report.problems)")
        }
        #expect(!(try Data(contentsOf: pack)).contains(Data("{\"half".utf8)))
    }

    @Test("a copied runs folder is checked against its own copy of the cache, not the cache the original recorded")
    func copiedRunsFolder() async throws {
        let dir = Fixtures.tempDir("copied")
        let r = try await Sweep.run(manifest: Fixtures.write(Fixtures.manifest(items: 3), to: dir), options: Fixtures.options(runsDir: dir.appendingPathComponent("runs")))
        let copy = Fixtures.tempDir("copy").appendingPathComponent("runs")
        try FileManager.default.copyItem(at: dir.appendingPathComponent("runs"), to: copy)
        let copied = RunFolder(url: copy.appendingPathComponent(r.folder.id))
        var report = try Verifier.verify(copied)
        #expect(report.problems == [] && report.cache == copy.appendingPathComponent("cache").path, "\(report.cache ?? "-")")
        // Damage the copy's cache: verify of the copy must see it (the original's cache is untouched).
        let pack = copy.appendingPathComponent("cache/packs/000001.pack")
        var bytes = try Data(contentsOf: pack)
        bytes[bytes.count / 2] ^= 0x01
        try bytes.write(to: pack)
        report = try Verifier.verify(copied)
        #expect(!report.problems.isEmpty)
        #expect(try Verifier.verify(r.folder).problems == [])
    }
}
