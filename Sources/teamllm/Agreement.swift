import ArgumentParser
import Foundation
import TeamLLM

struct Agreement: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Compare our grades of replayed outputs with the recording publisher's correctness labels.")
    @Argument(help: "Run id or run folder.") var run: String
    @OptionGroup var paths: Paths
    @Option(help: "Cache folder to read the run's responses from (default: the one the run used).") var cache: String?

    func run() async throws {
        do {
            let folder = try paths.run(run)
            print(try LabelAgreement.measure(folder, cache: paths.cache(of: folder, override: cache)).render(), terminator: "")
        } catch let e as ValidationError { throw e } catch { throw fail(error) }
    }
}
