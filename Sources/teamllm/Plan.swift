import ArgumentParser
import Foundation
import TeamLLM
import TeamLLMOpenRouter

struct Plan: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print a manifest's cells, calls and cost estimate without calling anything.")
    @Argument(help: "Manifest file.") var manifest: String
    @OptionGroup var paths: Paths

    func run() async throws {
        do {
            var options = try paths.options()
            options.providerFactories[.openrouter] = OpenRouterProvider.make
            print(try PlanEstimate.make(manifest: URL(fileURLWithPath: manifest), options: options).render(), terminator: "")
        }
        catch let e as ValidationError { throw e } catch { throw fail(error) }
    }
}
