import ArgumentParser
import Foundation
import TeamLLM

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Launch a sweep from a manifest, or resume it where it stopped.")
    @Argument(help: "Manifest file.") var manifest: String
    @OptionGroup var paths: Paths
    @Flag(help: "No progress output.") var quiet = false
    @Option(help: "Stop scheduling after this many cells (a controlled interruption).") var stopAfter: Int?
    @Option(name: .customLong("run"), help: "Continue this existing run id (refused, listing the fields, if its manifest differs).") var runID: String?
    @Option(help: "Budget cap in USD for this session, overriding the manifest's budget_usd (recorded; raising it continues the same run).") var budgetUsd: String?
    @Option(help: "Provider calls in flight, overriding the manifest's concurrency (recorded).") var concurrency: Int?
    @Flag(help: "Give cells whose last attempt failed a new attempt (numbered on from the last).") var retryFailed = false

    func run() async throws {
        let report: SweepReport
        do {
            report = try await Sweep.run(manifest: URL(fileURLWithPath: manifest), options: {
                var o = try paths.options(progress: !quiet, stopAfter: stopAfter)
                o.runID = runID
                o.retryFailed = retryFailed
                if let budgetUsd {
                    guard let b = USD(exactly: budgetUsd) else { throw ValidationError("--budget-usd: expected a non-negative decimal amount such as 12.50, found '\(budgetUsd)'") }
                    o.budgetUSD = b
                }
                if let concurrency {
                    guard (1...1024).contains(concurrency) else { throw ValidationError("--concurrency: expected 1 to 1024, found \(concurrency)") }
                    o.concurrency = concurrency
                }
                return o
            }())
        } catch let e as ValidationError { throw e } catch { throw fail(error) }
        for n in report.notices { FileHandle.standardError.write(Data("notice: \(n)\n".utf8)) }
        print("run \(report.folder.id): \(report.completed)/\(report.cells) cells completed, sweep \(report.sweepPhase.rawValue.uppercased()), spend $\(report.spend)")
        print("records: \(report.folder.url.path)")
        if let why = report.stoppedBy {
            print("stopped early: \(why); run the same command again to continue")
            throw ExitCode(3)
        }
    }
}
