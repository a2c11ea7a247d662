import ArgumentParser
import Foundation
import TeamLLM

struct Verify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Re-check every hash chain, cached body and grade of a run; exit 1 naming the first bad record.")
    @Argument(help: "Run id or run folder.") var run: String
    @OptionGroup var paths: Paths

    func run() async throws {
        let problems: [String]
        do {
            let folder = try paths.run(run)
            problems = try Verifier.verify(folder, cache: paths.cache(of: folder))
        } catch let e as ValidationError { throw e } catch { throw fail(error) }
        guard problems.isEmpty else {
            FileHandle.standardError.write(Data(("verify FAILED; first bad record:\n" + problems.map { "  \($0)" }.joined(separator: "\n") + "\n").utf8))
            throw ExitCode(1)
        }
        print("verify OK: every seal, chain, cached body and grade checks out")
    }
}
