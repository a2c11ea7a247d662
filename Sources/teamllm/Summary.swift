import ArgumentParser
import Foundation
import TeamLLM

struct Summary: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Accuracy per model and the rate at which every model of a group is wrong on the same item.")
    @Argument(help: "Run id or run folder.") var run: String
    @Option(parsing: .upToNextOption, help: "Models for the all-wrong rate (default: every model not simulated).") var group: [String] = []
    @OptionGroup var paths: Paths

    func run() async throws {
        do {
            let folder = try paths.run(run)
            let manifest = try folder.manifest()
            let models = manifest.models.map(\.ref)
            if let unknown = group.first(where: { !models.contains($0) }) {
                throw RunError.notFound("model '\(unknown)' in run \(folder.id) (its models: \(models.joined(separator: ", ")))")
            }
            let chosen = group.isEmpty ? manifest.models.filter { $0.provider != .simulated }.map(\.ref) : group
            print(MatrixSummary(try Matrix.build(folder), group: chosen).render(), terminator: "")
        } catch let e as ValidationError { throw e } catch { throw fail(error) }
    }
}
