import ArgumentParser
import Foundation
import TeamLLM
import TeamLLMOpenRouter

struct RegistryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "registry", abstract: "The registry's price snapshots.",
                                                    subcommands: [Sync.self])

    struct Sync: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Read GET /models and write a new dated price snapshot into registry/prices/ (an older one is never edited).")
        @Option(help: "API base URL.") var baseURL = OpenRouterProvider.defaultBaseURL
        @Option(help: "Registry folder.") var registry = "registry"

        func run() async throws {
            do {
                let key = try? APIKey.load(settings: HTTPSettings())
                let snapshot = try await RegistrySync.fetch(baseURL: baseURL, key: key)
                let url = try snapshot.write(registry: URL(fileURLWithPath: registry), date: String(snapshot.readAt.prefix(10)))
                let data = try Data(contentsOf: url)
                print("\(snapshot.models.count) models from \(snapshot.source) written to \(url.path) (sha256 \(Digest.sha256(data)))")
                print("name it in a manifest as: prices: \(url.deletingPathExtension().lastPathComponent)")
            } catch { throw fail(error) }
        }
    }
}
