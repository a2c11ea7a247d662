import Foundation

/// Where a run stands: phase counts, spend, and what is left, all from its records.
public struct RunStatus: Sendable {
    public let run: String
    public let sweep: Phase
    public let cells: Int
    public let byPhase: [Phase: Int]
    public let attemptsByStatus: [AttemptStatus: Int]
    /// `ok` attempts that cost nothing (replays of recorded outputs, or a provider that charged $0): called, not paid for.
    public let freeCalls: Int
    public let spend: USD
    /// The budget cap of the last session, if recorded.
    public let budget: USD?
    /// Cells whose grade that counts (the newest) is ungradable.
    public let ungradable: Int
    /// What was read: every record, or a live run's anchored prefix.
    public let extent: String
    /// Per model: what HTTP calls said about themselves (truncations, mismatches, failures by kind).
    public var models: [String: ModelCounts] = [:]

    /// What one model's attempts said about themselves.
    public struct ModelCounts: Sendable, Equatable {
        /// Answers cut at max_tokens (`finish_reason: length`).
        public var truncated = 0
        /// Calls served by another model or provider than the one asked for.
        public var mismatched = 0
        public var failures: [FailureKind: Int] = [:]
    }

    /// Reads a run's status (a consistent view: see `RunFolder.reading`).
    public static func read(_ folder: RunFolder) throws -> RunStatus {
        let (state, extent) = try folder.reading { (try RunState.read(folder, $0), $0) }
        // The budget in force is the last session's (a resume may raise it); runs from before it was recorded have none.
        let budget = extent.anchors.settings?.budgetUSD
        let planned = try folder.plannedCells()
        var byPhase: [Phase: Int] = [:]
        for p in planned { byPhase[state.phase(p.cell), default: 0] += 1 }
        var byStatus: [AttemptStatus: Int] = [:]
        var free = 0
        var models: [String: ModelCounts] = [:]
        for a in state.attempts.values.joined() {
            byStatus[a.status, default: 0] += 1
            if a.status == .ok && a.costUSD == .zero { free += 1 }
            if a.call?.finishReason == "length" { models[a.model, default: ModelCounts()].truncated += 1 }
            if a.call?.mismatch != nil { models[a.model, default: ModelCounts()].mismatched += 1 }
            if let k = a.failure?.kind { models[a.model, default: ModelCounts()].failures[k, default: 0] += 1 }
        }
        var status = RunStatus(run: folder.id, sweep: state.sweep, cells: planned.count, byPhase: byPhase, attemptsByStatus: byStatus,
                         freeCalls: free, spend: state.spend, budget: budget,
                         ungradable: planned.count { p in
                             CellOutcome.final(state.attempts[p.cell]).flatMap { CellOutcome.counting(state.grades[$0.attempt]) }?.verdict == .ungradable },
                         extent: extent.live ? extent.summary : "")
        status.models = models
        return status
    }

    public func render() -> String {
        var s = "run \(run): sweep \(sweep.rawValue.uppercased())\n"
        if !extent.isEmpty { s += "as of \(extent)\n" }
        s += "cells \(cells): " + Phase.allCases.map { "\($0.rawValue.uppercased()) \(byPhase[$0] ?? 0)" }.joined(separator: ", ") + "\n"
        let called = attemptsByStatus[.ok] ?? 0
        s += "attempts: paid \(called - freeCalls), free ($0: replays and zero-cost calls) \(freeCalls), cache hits \(attemptsByStatus[.cacheHit] ?? 0), failed \(attemptsByStatus[.failed] ?? 0); ungradable cells \(ungradable)\n"
        s += "spend $\(spend)" + (budget.map { " of budget $\($0) (the last session's cap)" } ?? "") + "\n"
        s += "left: \(cells - (byPhase[.completed] ?? 0)) cells\n"
        for (model, c) in models.sorted(by: { $0.key < $1.key }) {
            var parts: [String] = []
            if c.truncated > 0 { parts.append("truncated at max_tokens \(c.truncated)") }
            if c.mismatched > 0 { parts.append("SERVED BY ANOTHER MODEL OR PROVIDER \(c.mismatched) (teamllm audit shows which)") }
            if !c.failures.isEmpty {
                parts.append("failed attempts: " + c.failures.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue) \($0.value)" }.joined(separator: ", "))
            }
            if !parts.isEmpty { s += "model \(model): " + parts.joined(separator: "; ") + "\n" }
        }
        return s
    }
}
