import ArgumentParser
import Foundation
import TeamLLM
import TeamLLMOpenRouter

struct ReconcileCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconcile",
        abstract: "Ask the API what it billed for each paid attempt and for the key; append the result; exit 1 naming any mismatch.")
    @Argument(help: "Run id or run folder.") var run: String
    @Flag(help: "The key also paid for other work: its usage may exceed the run's spend.") var sharedKey = false
    @OptionGroup var paths: Paths

    func run() async throws {
        let result: Reconciliation
        do {
            let folder = try paths.run(run)
            result = try await Reconcile.run(folder, sharedKey: sharedKey)
            try folder.appendSession(SessionRecord.reconciled(result))
        } catch { throw fail(error) }
        print("reconcile \(run): \(result.checked) paid attempts checked against /generation, \(result.matched) agree to the last decimal")
        for m in result.mismatches { print("MISMATCH \(m.attempt) (\(m.generationID ?? "no generation id")): \(m.problem)") }
        print("run spend $\(result.runSpendUSD); key usage \(result.keyUsageUSD.map { "$\($0)" } ?? "not reported")")
        if let p = result.keyProblem { print("MISMATCH key: \(p)") }
        print("recorded in sessions.jsonl")
        if !result.agrees { throw ExitCode(1) }
    }
}
