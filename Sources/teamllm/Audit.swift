import ArgumentParser
import Foundation
import TeamLLM

struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the chain behind one cell: verdict, extraction, attempts, raw request and response, manifest.")
    @Argument(help: "Run id or run folder.") var run: String
    @Option(help: "Registry model id.") var model: String
    @Option(help: "Item id.") var item: String
    @Option(help: "Sample index (default: all samples).") var sample: Int?
    @OptionGroup var paths: Paths
    @Option(help: "Cache folder to read the run's responses from (default: the one the run used).") var cache: String?

    func run() async throws {
        do {
            let folder = try paths.run(run)
            print(try CellAudit.render(folder, cache: paths.cache(of: folder, override: cache), model: model, item: item, sample: sample), terminator: "")
        } catch let e as ValidationError { throw e } catch { throw fail(error) }
    }
}
