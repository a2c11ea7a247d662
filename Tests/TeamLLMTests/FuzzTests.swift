import Foundation
import GRDB
import Testing
@testable import TeamLLM

/// Seeded fuzz-style checks over a finished run: random one-byte edits and random truncations of every
/// file of the run and its cache must each be named by verify; a truncated stream either resumes into a
/// verifiable run (a cut inside its last line) or is refused (whole records gone).
@Suite("fuzz: one-byte edits and truncations anywhere")
struct FuzzTests {
    /// A finished run whose cache index has its WAL folded in, so every byte of it is in the files.
    func finishedRun(_ name: String) async throws -> (folder: RunFolder, manifest: URL, runs: URL, files: [URL]) {
        let dir = Fixtures.tempDir(name)
        let runs = dir.appendingPathComponent("runs")
        let manifest = try Fixtures.write(Fixtures.manifest(items: 4), to: dir)
        let r = try await Sweep.run(manifest: manifest, options: Fixtures.options(runsDir: runs))
        let index = runs.appendingPathComponent("cache/index.sqlite")
        let db = try DatabaseQueue(path: index.path)
        _ = try await db.writeWithoutTransaction { try $0.checkpoint(.truncate) }
        try db.close()
        let fm = FileManager.default
        var files = try fm.contentsOfDirectory(atPath: r.folder.url.path).filter { !$0.hasPrefix("lock") }.sorted().map { r.folder.url.appendingPathComponent($0) }
        let packs = runs.appendingPathComponent("cache/packs")
        files += try fm.contentsOfDirectory(atPath: packs.path).sorted().map { packs.appendingPathComponent($0) }
        #expect(try Verifier.verify(r.folder).problems == [])
        return (r.folder, manifest, runs, files)
    }

    @Test("random one-byte edits of every run file, every pack and the index's stored values are all named (seeded)")
    func oneByteEdits() async throws {
        let run = try await finishedRun("fuzz-edit")
        var rng = SplitMix64(text: "fuzz-one-byte-edits")
        var tried = 0, missed: [String] = []
        func edit(_ file: URL, at offset: Int) throws {
            let original = try Data(contentsOf: file)
            var changed = original
            changed[offset] ^= UInt8(1 << (rng.next() % 8))
            try changed.write(to: file)
            tried += 1
            if try Verifier.verify(run.folder).problems.isEmpty { missed.append("\(file.lastPathComponent) byte \(offset)") }
            try original.write(to: file)
        }
        for file in run.files {
            let size = try Data(contentsOf: file).count
            for _ in 0..<(file.pathExtension == "pack" ? 60 : 12) { try edit(file, at: Int(rng.next() % UInt64(size))) }
        }
        // The index: a byte inside a stored value of a table row (free space and page bookkeeping hold no
        // record, and are documented as unchecked).
        let index = run.runs.appendingPathComponent("cache/index.sqlite")
        let db = try DatabaseQueue(path: index.path)
        let pageSize = try await db.read { try Int.fetchOne($0, sql: "PRAGMA page_size") } ?? 4096
        let values: [Data] = try await db.read { db in
            try Row.fetchAll(db, sql: "SELECT request_key, response_hash, answer_text, origin_run, origin_attempt, metering, row_hash, request FROM responses")
                .flatMap { row in (0..<8).compactMap { i -> Data? in
                    if let s = row[i] as String? { return Data(s.utf8) }
                    return row[i] as Data?
                } }
        }
        try db.close()
        let bytes = try Data(contentsOf: index)
        var editsInIndex = 0
        for _ in 0..<40 {
            let value = values[Int(rng.next() % UInt64(values.count))]
            var search = bytes.startIndex
            while let range = bytes.range(of: value, in: search..<bytes.endIndex) {
                let page = range.lowerBound / pageSize
                if bytes[page * pageSize + (page == 0 ? 100 : 0)] == 0x0D {
                    try edit(index, at: range.lowerBound + Int(rng.next() % UInt64(value.count)))
                    editsInIndex += 1
                    break
                }
                search = range.upperBound
            }
        }
        print("fuzz: \(tried) one-byte edits (\(editsInIndex) inside index rows) over \(run.files.count + 1) files; missed \(missed.count)")
        #expect(editsInIndex >= 30)
        #expect(missed.isEmpty, "edits verify did not notice: \(missed)")
        #expect(try Verifier.verify(run.folder).problems == [])
    }

    @Test("random truncations of every file are named; a truncated stream resumes or is refused, never silently shortened (seeded)")
    func truncations() async throws {
        let run = try await finishedRun("fuzz-cut")
        var rng = SplitMix64(text: "fuzz-truncations")
        var tried = 0, resumed = 0, refused = 0
        let index = run.runs.appendingPathComponent("cache/index.sqlite")
        for file in run.files + [index] {
            let original = try Data(contentsOf: file)
            for _ in 0..<6 {
                let cut = Int(rng.next() % UInt64(original.count))
                try original.prefix(cut).write(to: file)
                tried += 1
                let problems = try Verifier.verify(run.folder).problems
                #expect(!problems.isEmpty, "\(file.lastPathComponent) cut to \(cut) of \(original.count) bytes went unnoticed")
                try original.write(to: file)
            }
        }
        print("fuzz: \(tried) truncations of \(run.files.count + 1) files, every one named")
        #expect(tried >= 60)
    }

    @Test("a stream cut inside its last line resumes into a verifiable run; cut deeper, resume refuses (sessions alone cannot tell)",
          arguments: ["events", "attempts", "grades", "sessions"])
    func resumeAfterCut(stream: String) async throws {
        var rng = SplitMix64(text: "fuzz-resume-\(stream)")
        for deep in [false, true] {
            let run = try await finishedRun("fuzz-resume-\(stream)-\(deep)")
            let file = run.folder.url.appendingPathComponent("\(stream).jsonl")
            let original = try Data(contentsOf: file)
            let lastLine = original.dropLast().lastIndex(of: UInt8(ascii: "\n"))! + 1
            let cut = deep ? Int(rng.next() % UInt64(lastLine - 1)) : lastLine + 1 + Int(rng.next() % UInt64(original.count - lastLine - 1))
            try original.prefix(cut).write(to: file)
            do {
                let r = try await Sweep.run(manifest: run.manifest, options: Fixtures.options(runsDir: run.runs))
                // Whole session records gone leave no trace inside the folder: that is what the run digest is for.
                #expect(!deep || stream == "sessions", "\(stream) cut at byte \(cut), deep inside anchored records, was resumed")
                #expect(r.sweepPhase == .completed)
                #expect(try Verifier.verify(run.folder).problems == [])
            } catch let e as RunError {
                #expect(deep && stream != "sessions", "\(stream) cut at byte \(cut) of \(original.count) was refused: \(e)")
                #expect("\(e)".contains("\(stream).jsonl holds"), "\(e)")
            }
        }
    }
}
