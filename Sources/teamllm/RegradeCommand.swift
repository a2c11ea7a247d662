import ArgumentParser
import Foundation
import TeamLLM
import TeamLLMSandbox

struct RegradeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "regrade",
        abstract: "Grade every stored answer of a run again with one grader version, at $0, and print what changed.",
        discussion: """
            Appends grade records (the old ones stay; verify re-checks each with its own version). Calls nothing: answers come from the cache. Interrupted (Ctrl-C stops after the current batch) and run again, it finishes the rest with no grade repeated. The matrix then counts the newest grades; --grader selects older ones.
            A code grader (code-execution) runs every answer again in the sandbox, with the tests read from the datasets (--data-dir). --shard i/n grades only the cells that shard owns into <run>/shards/ (several processes or machines side by side); --merge FILE... appends shard files to the run.
            """)
    @Argument(help: "Run id or run folder.") var run: String
    @Option(help: "NAME@VERSION of the grader, e.g. boxed-latex@2 (a bare name means the newest version).") var grader: String?
    @Option(name: .customLong("benchmark"), help: "Regrade this benchmark's answers (repeatable); default: those an earlier version of the same grader graded.") var benchmarks: [String] = []
    @Option(help: "Grade only shard i of n (i/n, 0 ≤ i < n) into the shard's own file under <run>/shards/.") var shard: String?
    @Option(parsing: .upToNextOption, help: "Shard files to append to the run (instead of grading).") var merge: [String] = []
    @Flag(help: "Run code without bubblewrap or a user switch (only prlimit); every grade made so records it.") var unsafeNoSandbox = false
    @OptionGroup var paths: Paths
    @Option(help: "Cache folder to read the answers from (default: the one the run used).") var cache: String?

    func run() async throws {
        let stop = StopSignal()
        let signals = Interrupts.install(stop, quiet: true)
        defer { withExtendedLifetime(signals) {} }
        let report: RegradeReport
        do {
            let folder = try paths.run(run)
            let given = try cache.map { try ResponseCache(root: URL(fileURLWithPath: $0), readOnly: true) }
            if !merge.isEmpty {
                guard grader == nil, shard == nil else { throw ValidationError("--merge takes shard files alone: their headers name the grader and shard") }
                report = try await Regrade.merge(folder, shards: merge.map { URL(fileURLWithPath: $0) }, cache: given)
            } else {
                guard let grader else { throw ValidationError("--grader NAME@VERSION is needed (or --merge FILE...)") }
                let chosen: RegradeGrader
                switch try GraderCatalog.entry(spec: grader).kind {
                case let .text(g): chosen = .text(g)
                case .program:
                    let options = try paths.options()
                    chosen = .program(SandboxedCodeGrader(sandbox: try Sandbox(unsafe: unsafeNoSandbox)), dataDir: options.dataDir, registryDir: options.registryDir)
                }
                report = try await Regrade.run(folder, grader: chosen, benchmarks: benchmarks.isEmpty ? nil : Set(benchmarks),
                                               shard: try shard.map { try RegradeShard(spec: $0) }, cache: given, stop: stop)
            }
        } catch let e as ValidationError { throw e } catch { throw fail(error) }
        print(report.render(), terminator: "")
        if report.counts.stopped { throw ExitCode(3) }
    }
}
