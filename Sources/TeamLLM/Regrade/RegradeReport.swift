import Foundation

/// What a regrade did, and what it changed against the grade each answer had before.
public struct RegradeReport: Sendable {
    /// How many answers fell where.
    public struct Counts: Sendable, Equatable {
        /// Grades appended by this process.
        public let added: Int
        /// Answers this grader version had already graded (an earlier, interrupted regrade): skipped.
        public let already: Int
        /// Cells whose final attempt failed: no answer to grade.
        public let failedCalls: Int
        /// Cells not run or never graded (an unfinished run): no item on record to grade against.
        public let ungraded: Int
        /// Cells of other benchmarks: graded by another grader (or left out by the benchmarks named).
        public let otherGrader: Int
        /// Answers left for the next regrade when it was stopped.
        public let left: Int
        public let stopped: Bool
    }

    /// A cell whose verdict differs between its earlier grade and this version's.
    public struct Flip: Sendable, Equatable {
        public let cell: CellID
        /// `name@version` and verdict of the grade that counted before.
        public let before: String
        public let beforeVerdict: Verdict
        public let after: Verdict
        public let extractedBefore: String?
        public let extractedAfter: String?
    }

    /// Accuracy of one model on one benchmark over its decided cells (correct or incorrect; ungradable and missing do not count).
    public struct ModelChange: Sendable, Equatable {
        public let benchmark: String
        public let model: String
        public let correctBefore: Int, decidedBefore: Int
        public let correctAfter: Int, decidedAfter: Int
        public var accuracyBefore: Double { Double(correctBefore) / Double(Swift.max(1, decidedBefore)) }
        public var accuracyAfter: Double { Double(correctAfter) / Double(Swift.max(1, decidedAfter)) }
    }

    public let run: String
    public let grader: GraderIdentity
    public let counts: Counts
    /// Cells this version has graded (now or earlier) that had a grade by another version to compare with.
    public let compared: Int
    public let flips: [Flip]
    public let models: [ModelChange]
    /// A shard's grade file, when the grades went there rather than to the run.
    public var shardFile: String? = nil

    /// The diff over every cell whose final answer `grader` has graded, against the newest grade by any other grader.
    /// `finals`: each cell's final attempt id; `grades`: every grade by attempt id, in record order.
    static func compare(folder: RunFolder, planned: [CellID], finals: [CellID: String], grades byAttempt: [String: [GradeRecord]],
                        grader: GraderIdentity, counts: Counts) -> RegradeReport {
        var flips: [Flip] = []
        struct Key: Hashable { let benchmark: String, model: String }
        var lines: [Key: (cb: Int, db: Int, ca: Int, da: Int)] = [:]
        var order: [Key] = []
        var compared = 0
        for cell in planned {
            guard let final = finals[cell], let grades = byAttempt[final],
                  let after = CellOutcome.counting(grades, .exactly(name: grader.name, version: grader.version)),
                  let before = grades.last(where: { $0.identity != after.identity }) else { continue }
            compared += 1
            let key = Key(benchmark: cell.benchmark, model: cell.model)
            if lines[key] == nil { order.append(key); lines[key] = (0, 0, 0, 0) }
            if before.verdict != .ungradable { lines[key]!.db += 1 }
            if before.verdict == .correct { lines[key]!.cb += 1 }
            if after.verdict != .ungradable { lines[key]!.da += 1 }
            if after.verdict == .correct { lines[key]!.ca += 1 }
            if before.verdict != after.verdict {
                flips.append(Flip(cell: cell, before: before.identity, beforeVerdict: before.verdict, after: after.verdict,
                                  extractedBefore: before.extracted, extractedAfter: after.extracted))
            }
        }
        let models = order.map { k in
            let l = lines[k]!
            return ModelChange(benchmark: k.benchmark, model: k.model, correctBefore: l.cb, decidedBefore: l.db, correctAfter: l.ca, decidedAfter: l.da)
        }
        return RegradeReport(run: folder.id, grader: grader, counts: counts, compared: compared, flips: flips.sorted { $0.cell < $1.cell }, models: models)
    }

    /// The command that shows the whole chain behind a cell.
    public func auditCommand(_ cell: CellID) -> String {
        "teamllm audit \(run) --model \(cell.model) --item \(cell.item) --sample \(cell.sample)"
    }

    /// The report as a researcher reads it: what was done, accuracy per model before and after, every flipped cell.
    public func render() -> String {
        var s = "regrade of \(run) with \(grader) (config \(grader.configHash.prefix(12))…)\n"
        s += "graded now \(counts.added), already graded by this version \(counts.already), failed calls (no answer) \(counts.failedCalls), not graded before (no item on record) \(counts.ungraded), left alone (another grader's benchmark or another shard's cell) \(counts.otherGrader)\n"
        if counts.stopped { s += "STOPPED with \(counts.left) answers left: run the same command again to finish them (no grade is repeated)\n" }
        s += "compared with the grade each answer had before: \(compared) cells, \(flips.count) flipped\n"
        s += "benchmark       model                    before (correct/decided)   after (correct/decided)   change\n"
        for m in models {
            s += m.benchmark.padding(toLength: 15, withPad: " ", startingAt: 0) + " " + m.model.padding(toLength: 24, withPad: " ", startingAt: 0)
            s += String(format: " %6d/%-6d %8.4f     %6d/%-6d %8.4f     %+8.4f\n", m.correctBefore, m.decidedBefore, m.accuracyBefore,
                        m.correctAfter, m.decidedAfter, m.accuracyAfter, m.accuracyAfter - m.accuracyBefore)
        }
        for f in flips {
            s += "flipped \(f.cell): \(f.beforeVerdict.rawValue) by \(f.before) ('\(f.extractedBefore ?? "")') → \(f.after.rawValue) ('\(f.extractedAfter ?? "")')   \(auditCommand(f.cell))\n"
        }
        if let shardFile {
            s += "these grades are in \(shardFile), not yet in the run: once every shard is done, teamllm regrade \(run) --merge <each shard file>\n"
            return s
        }
        if !counts.stopped, counts.left > 0 { s += "\(counts.left) answers are not yet graded by this version: merge the other shards' files\n" }
        s += "the matrix now counts these grades (newest); the earlier ones: teamllm matrix \(run) --grader \(flips.first?.before ?? "NAME@VERSION")\n"
        return s
    }
}
