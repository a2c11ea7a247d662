import ArgumentParser
import Foundation
import TeamLLMAnalysis

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write one self-contained HTML file (inline SVG, no script) with every analysis figure of a run or matrix.")
    @OptionGroup var options: AnalysisOptions
    @Option(help: "Where to write the report (default: <runs-dir>/<run id>-report.html, or beside the matrix file).") var out: String?

    func run() async throws {
        do {
            let a = try options.analysis()
            let path = out ?? {
                if let file = options.matrix { return (file as NSString).deletingPathExtension + "-report.html" }
                return URL(fileURLWithPath: options.paths.runsDir).appendingPathComponent("\(URL(fileURLWithPath: options.run!).lastPathComponent)-report.html").path
            }()
            try Data(HTMLReport.html(a).utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
            print("report: \(path) (\(a.models.count) models, \(a.coFailure.items) items; beta \(String(format: "%.4f", a.coFailure.beta)), certified max gain \(String(format: "%.4f", a.coFailure.certifiedMaxGain)))")
        } catch let e as ValidationError { throw e } catch { throw fail(error) }
    }
}
