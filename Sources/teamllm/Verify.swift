import ArgumentParser
import Foundation
import TeamLLM

struct Verify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Re-check every hash chain, anchor, cached body and grade of a run; exit 1 naming the first bad record.",
        discussion: "On a live run, checks the records up to its last group commit and says so. Prints the run digest, which a paper or pre-registration can cite; --digest checks the run still matches one.")
    @Argument(help: "Run id or run folder.") var run: String
    @Option(help: "A run digest printed by an earlier verify: fail unless the run still matches it.") var digest: String?
    @OptionGroup var paths: Paths
    @Option(help: "Cache folder to check the run against (default: the one the run used).") var cache: String?

    func run() async throws {
        let report: VerifyReport
        do {
            let folder = try paths.run(run)
            report = try Verifier.verify(folder, cache: cache.map { try ResponseCache(root: URL(fileURLWithPath: $0), readOnly: true) })
        } catch { throw fail(error) }
        for note in report.notes { FileHandle.standardError.write(Data("note: \(note)\n".utf8)) }
        guard report.problems.isEmpty else {
            FileHandle.standardError.write(Data(("verify FAILED; first bad record:\n" + report.problems.map { "  \($0)" }.joined(separator: "\n")
                + "\nchecked: \(report.extent)\n").utf8))
            throw ExitCode(1)
        }
        if let digest, digest != report.digest {
            FileHandle.standardError.write(Data("verify FAILED: the run digest is \(report.digest ?? "-"), not \(digest); the run's records are not the ones that digest was taken of (records were cut, added or changed since)\nchecked: \(report.extent)\n".utf8))
            throw ExitCode(1)
        }
        print("verify OK: every seal, chain, anchor, cached body and grade checks out\(digest != nil ? ", and the run matches the digest given" : "")")
        print("checked: \(report.extent)")
        print("cache: \(report.cache ?? "-")")
        print("run digest: \(report.digest ?? "-")")
    }
}
