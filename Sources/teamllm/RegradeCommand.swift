import ArgumentParser
import Foundation
import TeamLLM

struct RegradeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "regrade",
        abstract: "Grade every stored answer of a run again with one grader version, at $0, and print what changed.",
        discussion: "Appends grade records (the old ones stay; verify re-checks each with its own version). Calls nothing: answers come from the cache. Interrupted (Ctrl-C stops after the current batch) and run again, it finishes the rest with no grade repeated. The matrix then counts the newest grades; --grader selects older ones.")
    @Argument(help: "Run id or run folder.") var run: String
    @Option(help: "NAME@VERSION of the grader, e.g. boxed-latex@2 (a bare name means the newest version).") var grader: String
    @Option(name: .customLong("benchmark"), help: "Regrade this benchmark's answers (repeatable); default: those an earlier version of the same grader graded.") var benchmarks: [String] = []
    @OptionGroup var paths: Paths
    @Option(help: "Cache folder to read the answers from (default: the one the run used).") var cache: String?

    func run() async throws {
        let stop = StopSignal()
        let signals = Interrupts.install(stop, quiet: true)
        defer { withExtendedLifetime(signals) {} }
        let report: RegradeReport
        do {
            let chosen = try GraderCatalog.grader(spec: grader)
            let folder = try paths.run(run)
            report = try await Regrade.run(folder, grader: chosen, benchmarks: benchmarks.isEmpty ? nil : Set(benchmarks), cache: cache.map { try ResponseCache(root: URL(fileURLWithPath: $0), readOnly: true) }, stop: stop)
        } catch { throw fail(error) }
        print(report.render(), terminator: "")
        if report.counts.stopped { throw ExitCode(3) }
    }
}
