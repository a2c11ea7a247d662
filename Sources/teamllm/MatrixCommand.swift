import ArgumentParser
import Foundation
import TeamLLM

struct MatrixCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "matrix", abstract: "Print a run's model × item correctness matrix, rebuilt from its records.")
    enum Format: String, ExpressibleByArgument { case csv, jsonl }
    @Argument(help: "Run id or run folder.") var run: String
    @Option(help: "csv or jsonl.") var format: Format = .jsonl
    @Option(help: "NAME@VERSION: count this grader version's grades (default: each answer's newest grade, a regrade's once one was made).") var grader: String?
    @OptionGroup var paths: Paths

    func run() async throws {
        do {
            let m = try Matrix.build(paths.run(run), grader: GraderSelection(spec: grader))
            FileHandle.standardOutput.write(format == .csv ? m.csv() : try m.jsonl())
        } catch let e as ValidationError { throw e } catch { throw fail(error) }
    }
}
