import Foundation
import Synchronization
import Testing
@testable import TeamLLM

@Suite("regrading at $0, grader versions, and multiple choice through a sweep")
struct RegradeTests {
    /// MATH-500's seven matrix answers and three other items, graded by boxed-latex@1, plus GPQA-style multiple
    /// choice with shuffled options, on the simulated pool (which writes correct matrices with square brackets).
    static let manifest = """
    name: regrade
    preregistration: regrade test
    benchmarks:
      - ref: math500
        subset: ["99", "205", "248", "298", "408", "419", "420", "0", "1", "2"]
        grader: boxed-latex@1
      - ref: gpqa_style
        shuffle_choices: true
    models:
      - {ref: sim-frontier, provider: simulated}
      - {ref: sim-small, provider: simulated}
    sampling: {temperature: 0.7, max_tokens: 512, samples: 2}
    seed: 11
    providers:
      simulated:
        common_mode: 0
        sleep_scale: 0
        accuracy: {sim-frontier: 1, sim-small: 0.5}
    concurrency: 4
    budget_usd: "5"
    cache: cache
    """

    func launch(_ dir: URL) async throws -> SweepReport {
        let url = try Fixtures.write(Self.manifest, to: dir)
        return try await Sweep.run(manifest: url, options: Fixtures.options(runsDir: dir.appendingPathComponent("runs")))
    }

    func cache(_ dir: URL) throws -> ResponseCache { try ResponseCache(root: dir.appendingPathComponent("runs/cache")) }

    @Test("a regrade appends grades by the new version, flips what it decides differently, and repeats nothing when run again")
    func regrade() async throws {
        let dir = Fixtures.tempDir("regrade")
        let r = try await launch(dir)
        #expect(r.sweepPhase == .completed && r.completed == 64)
        let before = try Matrix.build(r.folder)
        // sim-frontier is always right: its matrix answers (square brackets) are undecided by version 1.
        let frontierMatrices = before.cells.filter { $0.model == "sim-frontier" && ["99", "205", "248", "298", "408", "419", "420"].contains($0.item) }
        #expect(frontierMatrices.count == 14 && frontierMatrices.allSatisfy { $0.verdict == .missing && $0.grader == "boxed-latex@1" })
        let grades0 = try Fixtures.lines(r.folder.stream(GradeRecord.self)).count

        let report = try await Regrade.run(r.folder, grader: .text(BoxedLatex(version: .v2)), cache: cache(dir))
        // Only MATH-500's 40 answers: the multiple-choice ones belong to another grader.
        #expect(report.counts.added == 40 && report.counts.otherGrader == 24 && report.counts.already == 0 && !report.counts.stopped)
        #expect(report.compared == 40)
        let frontierFlips = report.flips.filter { $0.cell.model == "sim-frontier" }
        #expect(frontierFlips.count == 14 && frontierFlips.allSatisfy { $0.beforeVerdict == .ungradable && $0.after == .correct && $0.before == "boxed-latex@1" })
        #expect(report.render().contains("teamllm audit \(r.folder.id) --model sim-frontier --item 99 --sample 0"))
        let line = try #require(report.models.first { $0.benchmark == "math500" && $0.model == "sim-frontier" })
        #expect(line.correctBefore == 6 && line.decidedBefore == 6 && line.correctAfter == 20 && line.decidedAfter == 20)

        // Old grades stay; the matrix counts the newest by default and names the version behind each cell.
        #expect(try Fixtures.lines(r.folder.stream(GradeRecord.self)).count == grades0 + 40)
        let after = try Matrix.build(r.folder)
        #expect(after.cells.filter { $0.benchmark == "math500" }.allSatisfy { $0.grader == "boxed-latex@2" })
        #expect(after.cells.filter { $0.benchmark == "gpqa_style" }.allSatisfy { $0.grader == "multiple-choice@1" })
        #expect(after.cells.first { $0.model == "sim-frontier" && $0.item == "248" }?.canonical == "matrix[-1&0;0&-1]")
        let old = try Matrix.build(r.folder, grader: .exactly(name: "boxed-latex", version: "1"))
        #expect(try old.cells.filter { $0.benchmark == "math500" }.map { try CanonicalJSON.encode($0) }
                == before.cells.filter { $0.benchmark == "math500" }.map { try CanonicalJSON.encode($0) })
        #expect(old.cells.filter { $0.benchmark == "gpqa_style" }.allSatisfy { $0.verdict == .missing && $0.reason?.contains("not graded by boxed-latex@1") == true })
        #expect(try Verifier.verify(r.folder, cache: cache(dir)).problems == [])

        let again = try await Regrade.run(r.folder, grader: .text(BoxedLatex(version: .v2)), cache: cache(dir))
        #expect(again.counts.added == 0 && again.counts.already == 40 && again.flips == report.flips)
        #expect(try Fixtures.lines(r.folder.stream(GradeRecord.self)).count == grades0 + 40)
        let sessions = try RunRecords.read(r.folder).sessions.map(\.payload).filter { $0.kind == .regrade }
        #expect(sessions.count == 2 && sessions.allSatisfy { $0.regrade == GraderNote(grader: "boxed-latex@2", config: BoxedLatex(version: .v2).identity.configHash) })
    }

    @Test("an interrupted regrade, run again, finishes the rest with no grade repeated")
    func interrupted() async throws {
        let dir = Fixtures.tempDir("regrade-stop")
        let r = try await launch(dir)
        let stop = StopSignal()
        let first = try await Regrade.run(r.folder, grader: .text(BoxedLatex(version: .v2)), cache: cache(dir), stop: stop, batchSize: 15) { added in
            if added >= 15 { stop.raise() }
        }
        #expect(first.counts.stopped && first.counts.added == 15 && first.counts.left == 25)
        #expect(first.render().contains("STOPPED with 25 answers left"))
        let second = try await Regrade.run(r.folder, grader: .text(BoxedLatex(version: .v2)), cache: cache(dir))
        #expect(second.counts.added == 25 && second.counts.already == 15 && !second.counts.stopped)
        let v2 = try RunRecords.read(r.folder).grades.map(\.payload).filter { $0.identity == "boxed-latex@2" }
        #expect(v2.count == 40 && Set(v2.map(\.attempt)).count == 40)
        #expect(try Verifier.verify(r.folder, cache: cache(dir)).problems == [])
    }

    @Test("a grade by a version this build lacks, or with another configuration, is a verify problem, not a silent skip")
    func unknownVersion() async throws {
        let dir = Fixtures.tempDir("regrade-unknown")
        let r = try await launch(dir)
        // Append, the way the journal does, a grade claiming a version that does not exist here.
        let records = try RunRecords.read(r.folder)
        let g = try #require(records.grades.first { $0.payload.grader == "boxed-latex" }?.payload)
        let forged = GradeRecord(cell: g.cell, attempt: g.attempt, grader: "boxed-latex", graderVersion: "9", graderConfig: g.graderConfig,
                                 extracted: g.extracted, span: g.span, rule: g.rule, gold: g.gold, verdict: g.verdict, reason: g.reason)
        let other = GradeRecord(cell: g.cell, attempt: g.attempt, grader: "boxed-latex", graderVersion: "2", graderConfig: String(repeating: "0", count: 64),
                                extracted: g.extracted, span: g.span, rule: g.rule, gold: g.gold, verdict: g.verdict, reason: g.reason)
        let tail = try StreamReader.records(r.folder.stream(GradeRecord.self), GradeRecord.self) { _ in }
        let stream = try RecordStream(url: r.folder.stream(GradeRecord.self), tail: tail)
        try stream.append([try Encoded(forged), try Encoded(other)])
        try stream.sync()
        let problems = try Verifier.verify(r.folder, cache: cache(dir)).problems
        #expect(problems.contains { $0.contains("graded by boxed-latex@9, which this build does not have (versions of boxed-latex: 1, 2)") }, "\(problems)")
        #expect(problems.contains { $0.contains("boxed-latex@2 ran with configuration 000000000000…") }, "\(problems)")
    }

    @Test("multiple choice through a sweep: one shuffled order per item for every model, letters graded as shown, keys as original indices")
    func multipleChoiceSweep() async throws {
        let dir = Fixtures.tempDir("mc-sweep")
        let r = try await launch(dir)
        let grades = try RunRecords.read(r.folder).grades.map(\.payload).filter { $0.cell.benchmark == "gpqa_style" }
        #expect(grades.count == 24)
        for (item, gs) in Dictionary(grouping: grades, by: \.cell.item) {
            let orders = Set(gs.compactMap(\.choiceOrder))
            #expect(orders.count == 1, "item \(item): one order for every model and sample")
            let order = try #require(orders.first)
            #expect(Set(order) == [0, 1, 2, 3])
            // The gold is the original index of the correct option ("Correct Answer" is listed first in the file).
            #expect(gs.allSatisfy { $0.gold == "0" && $0.choices?[order.firstIndex(of: 0)!] == gs[0].choices?[order.firstIndex(of: 0)!] })
        }
        // The master seed decides the orders: not every item keeps its correct option first.
        #expect(Set(grades.compactMap { $0.choiceOrder?.first }).count > 1)
        // sim-frontier is always right: every one of its grades is correct with canonical key 0 (the original index).
        let frontier = grades.filter { $0.cell.model == "sim-frontier" }
        #expect(frontier.count == 12 && frontier.allSatisfy { $0.verdict == .correct && $0.canonical == "0" && $0.span != nil })
        // A wrong answer's key is the original index of the option it named.
        for g in grades where g.verdict == .incorrect {
            let shown = Int(try #require(g.extracted).unicodeScalars.first!.value) - 65
            #expect(g.canonical == String(g.choiceOrder![shown]))
        }
        // The prompt lists the options lettered in the shown order.
        let registry = try Fixtures.registry()
        let plan = try SweepPlan(manifest: try r.folder.manifest(), registry: registry, dataDir: Fixtures.dataDir)
        let item = try #require(plan.items[1].first)
        let prompt = try RequestBuilder.messages(item: item, benchmark: plan.datasets[1].benchmark, registry: registry)[0].content
        let shown = try #require(item.grading.choices)
        #expect(prompt.contains("A. \(shown[0])\nB. \(shown[1])\nC. \(shown[2])\nD. \(shown[3])"))
        #expect(try Verifier.verify(r.folder, cache: cache(dir)).problems == [])
    }
}
