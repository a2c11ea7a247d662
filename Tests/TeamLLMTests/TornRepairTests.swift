import Foundation
import Testing
@testable import TeamLLM

/// A torn line in any stream (power loss has no write order) is kept in quarantine and its work redone
/// by appending, so the resumed run verifies, whether it had finished or not.
@Suite("torn lines are really redone")
struct TornRepairTests {
    /// Overwrites the last byte of a stream (its newline) with `x`: the last record becomes a torn tail.
    func tear(_ url: URL) throws {
        var data = try Data(contentsOf: url)
        try #require(data.last == UInt8(ascii: "\n"))
        data[data.count - 1] = UInt8(ascii: "x")
        try data.write(to: url)
    }

    @Test("the last byte of each stream of a finished run torn: resume appends what is missing and verify is green",
          arguments: ["events", "attempts", "grades", "sessions"])
    func finishedRun(stream: String) async throws {
        let dir = Fixtures.tempDir("torn-\(stream)")
        let text = Fixtures.manifest(items: 5)
        let url = try Fixtures.write(text, to: dir)
        let options = Fixtures.options(runsDir: dir.appendingPathComponent("runs"))
        let first = try await Sweep.run(manifest: url, options: options)
        let before = try Matrix.build(first.folder).cells.map(\.verdict)
        try tear(first.folder.url.appendingPathComponent("\(stream).jsonl"))

        let resumed = try await Sweep.run(manifest: url, options: options)
        #expect(resumed.sweepPhase == .completed && resumed.completed == 30)
        #expect(resumed.notices.contains { $0.hasPrefix("\(stream).jsonl: incomplete last line") })
        let report = try Verifier.verify(resumed.folder)
        #expect(report.problems == [], "\(report.problems)")
        #expect(try Matrix.build(resumed.folder).cells.map(\.verdict) == before)
        let records = try RunRecords.read(resumed.folder)
        // Nothing paid twice, nothing graded twice by the same grader version; a re-recorded attempt is the
        // same paid call (recovered), not a free cache hit.
        #expect(resumed.spend == first.spend)
        var paid: [String: Int] = [:]
        for a in records.attempts where a.payload.status == .ok { paid[a.payload.request, default: 0] += 1 }
        #expect(paid.values.allSatisfy { $0 == 1 })
        #expect(Set(records.grades.map(\.payload.attempt)).count == records.grades.count)
    }

    @Test("the last byte of each stream of a partial run torn: every later resume goes on and the run completes",
          arguments: ["events", "attempts", "grades", "sessions"])
    func partialRun(stream: String) async throws {
        let dir = Fixtures.tempDir("torn-partial-\(stream)")
        let url = try Fixtures.write(Fixtures.manifest(items: 10), to: dir)
        let runs = dir.appendingPathComponent("runs")
        let partial = try await Sweep.run(manifest: url, options: Fixtures.options(runsDir: runs, stopAfter: 20))
        try tear(partial.folder.url.appendingPathComponent("\(stream).jsonl"))
        let middle = try await Sweep.run(manifest: url, options: Fixtures.options(runsDir: runs, stopAfter: 30))
        #expect(middle.sweepPhase == .executing)
        let done = try await Sweep.run(manifest: url, options: Fixtures.options(runsDir: runs))
        #expect(done.sweepPhase == .completed && done.completed == 60)
        let report = try Verifier.verify(done.folder)
        #expect(report.problems == [], "\(report.problems)")
    }

    /// A finished 30-cell run whose grades stream ends in a torn line, and where that stream stands.
    func finishedRunTornInGrades(_ name: String) async throws -> (URL, RunOptions, SweepReport, URL, StreamTail) {
        let dir = Fixtures.tempDir(name)
        let url = try Fixtures.write(Fixtures.manifest(items: 5), to: dir)
        let options = Fixtures.options(runsDir: dir.appendingPathComponent("runs"))
        let first = try await Sweep.run(manifest: url, options: options)
        let grades = first.folder.stream(GradeRecord.self)
        try tear(grades)
        return (url, options, first, grades, try StreamReader.scan(grades) { _, _, _ in })
    }

    @Test("a kill right after a torn anchored line was cut, before its session record: the next resume still goes on")
    func killAfterCut() async throws {
        let (url, options, first, grades, tail) = try await finishedRunTornInGrades("torn-kill")
        // What resume does first, and then dies: the torn line moves to quarantine, no record names it yet.
        _ = try RecordStream.quarantine(try #require(tail.torn), kept: tail.count, of: grades, into: first.folder.quarantine)
        let resumed = try await Sweep.run(manifest: url, options: options)
        #expect(resumed.sweepPhase == .completed)
        let report = try Verifier.verify(resumed.folder)
        #expect(report.problems == [], "\(report.problems)")
        let note = try RunRecords.read(resumed.folder).sessions.compactMap(\.payload.torn).first
        #expect(note?.kept == tail.count && note?.stream == "grades")
    }

    @Test("a kill after the torn line was kept but before the stream was cut: one note, not two")
    func killBeforeCut() async throws {
        let (url, options, first, _, tail) = try await finishedRunTornInGrades("torn-keep")
        // The kept file exists under the name resume gives it; the stream still ends in the torn line.
        let torn = try #require(tail.torn)
        let name = "grades-at-\(torn.offset)-k\(tail.count)-\(Digest.sha256(torn.bytes).prefix(12)).torn"
        try FileManager.default.createDirectory(at: first.folder.quarantine, withIntermediateDirectories: true)
        try torn.bytes.write(to: first.folder.quarantine.appendingPathComponent(name))
        let resumed = try await Sweep.run(manifest: url, options: options)
        #expect(resumed.sweepPhase == .completed)
        let notes = try RunRecords.read(resumed.folder).sessions.compactMap(\.payload.torn)
        #expect(notes.map(\.quarantine) == [name], "\(notes)")
        #expect(try Verifier.verify(resumed.folder).problems == [])
    }
}
