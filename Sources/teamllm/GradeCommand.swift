import ArgumentParser
import Foundation
import TeamLLM

struct GradeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grade",
        abstract: "Grade responses from anywhere: JSONL lines {\"id\", \"response\", \"gold\", \"choices\"?} in, one JSON line each out.",
        discussion: "A malformed line is reported on standard error with its line number; the rest are still graded, and the exit status is 1.")
    @Option(help: "NAME[@VERSION]: numeric-exact, boxed-latex or multiple-choice.") var grader: String
    @Option(help: "The JSONL file to grade.") var input: String

    func run() throws {
        let chosen: any Grader
        let data: Data
        do {
            chosen = try TextGrading.grader(grader)
            data = try Data(contentsOf: URL(fileURLWithPath: input))
        } catch { throw fail(error) }
        let (outputs, problems) = TextGrading.grade(lines: data, file: input, grader: chosen)
        FileHandle.standardOutput.write(Data(outputs.map { $0 + "\n" }.joined().utf8))
        for p in problems { FileHandle.standardError.write(Data("error: \(p)\n".utf8)) }
        if !problems.isEmpty { throw ExitCode(1) }
    }
}
