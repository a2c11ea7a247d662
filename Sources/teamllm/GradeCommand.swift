import ArgumentParser
import Foundation
import TeamLLM
import TeamLLMSandbox

struct GradeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grade",
        abstract: "Grade responses from anywhere: JSONL lines {\"id\", \"response\", \"gold\", \"choices\"?} (or {\"id\", \"response\", \"problem\"} for code) in, one JSON line each out.",
        discussion: "A malformed line is reported on standard error with its line number; the rest are still graded, and the exit status is 1.")
    @Option(help: "NAME[@VERSION]: numeric-exact, boxed-latex, multiple-choice, or code (code-execution: HumanEval, MBPP and stdin/stdout problems, run in the sandbox).") var grader: String
    @Option(help: "The JSONL file to grade.") var input: String
    @Flag(help: "Run code without bubblewrap or a user switch (only prlimit), where the sandbox cannot be built; every output line says so.") var unsafeNoSandbox = false

    func run() async throws {
        if grader == "code" || grader.hasPrefix("code-execution") {
            let data: Data
            let grader: SandboxedCodeGrader
            do {
                data = try Data(contentsOf: URL(fileURLWithPath: input))
                grader = SandboxedCodeGrader(sandbox: try Sandbox(unsafe: unsafeNoSandbox))
            } catch { throw fail(error) }
            let (outputs, problems) = await CodeGrading.grade(lines: data, file: input, grader: grader)
            FileHandle.standardOutput.write(Data(outputs.map { $0 + "\n" }.joined().utf8))
            for p in problems { FileHandle.standardError.write(Data("error: \(p)\n".utf8)) }
            if !problems.isEmpty { throw ExitCode(1) }
            return
        }
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
