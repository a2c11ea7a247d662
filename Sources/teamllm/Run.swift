import ArgumentParser
import Foundation
import TeamLLM

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Launch a sweep from a manifest, or resume it where it stopped.")
    @Argument(help: "Manifest file.") var manifest: String
    @OptionGroup var paths: Paths
    @Flag(help: "No progress output.") var quiet = false
    @Option(help: "Stop scheduling after this many cells (a controlled interruption).") var stopAfter: Int?
    @Option(name: .customLong("run"), help: "Launch into this existing run id (refused, listing the fields, if its manifest differs).") var runID: String?

    func run() async throws {
        let report: SweepReport
        do {
            report = try await Sweep.run(manifest: URL(fileURLWithPath: manifest), options: {
                var o = try paths.options(progress: !quiet, stopAfter: stopAfter)
                o.runID = runID
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
