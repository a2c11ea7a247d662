import Foundation

/// Where a run stands: phase counts, spend, and what is left, all from its records.
public struct RunStatus: Sendable {
    public let run: String
    public let sweep: Phase
    public let cells: Int
    public let byPhase: [Phase: Int]
    public let attemptsByStatus: [AttemptStatus: Int]
    public let spend: USD
    public let budget: USD
    public let ungradable: Int

    /// Reads a run's status.
    public static func read(_ folder: RunFolder) throws -> RunStatus {
        let manifest = try folder.manifest()
        let state = try RunState.read(folder)
        let planned = try folder.plannedCells()
        var byPhase: [Phase: Int] = [:]
        for p in planned { byPhase[state.phase(p.cell), default: 0] += 1 }
        var byStatus: [AttemptStatus: Int] = [:]
        for a in state.attempts.values.joined() { byStatus[a.status, default: 0] += 1 }
        return RunStatus(run: folder.id, sweep: state.sweep, cells: planned.count, byPhase: byPhase, attemptsByStatus: byStatus,
                         spend: state.spend, budget: manifest.budgetUSD,
                         ungradable: state.grades.values.joined().filter { $0.verdict == .ungradable }.count)
    }

    public func render() -> String {
        var s = "run \(run): sweep \(sweep.rawValue.uppercased())\n"
        s += "cells \(cells): " + Phase.allCases.map { "\($0.rawValue.uppercased()) \(byPhase[$0] ?? 0)" }.joined(separator: ", ") + "\n"
        s += "attempts: paid \(attemptsByStatus[.ok] ?? 0), cache hits \(attemptsByStatus[.cacheHit] ?? 0), failed \(attemptsByStatus[.failed] ?? 0); ungradable grades \(ungradable)\n"
        s += "spend $\(spend) of budget $\(budget)\n"
        s += "left: \(cells - (byPhase[.completed] ?? 0)) cells\n"
        return s
    }
}
