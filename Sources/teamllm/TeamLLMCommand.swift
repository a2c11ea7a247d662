import ArgumentParser
import Foundation
import TeamLLM

@main
struct TeamLLMCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "teamllm",
        abstract: "Deterministic experiment execution for multi-model LLM research.",
        version: TeamLLM.version,
        subcommands: [Plan.self, Run.self, Status.self, MatrixCommand.self, Summary.self, Agreement.self, Audit.self, Verify.self])
}

/// Where the registry, the data and the runs are.
struct Paths: ParsableArguments {
    @Option(help: "Registry folder.") var registry = "registry"
    @Option(help: "Data folder holding benchmark files (default: $TEAMLLM_DATA_DIR).") var dataDir: String?
    @Option(help: "Folder runs are written under.") var runsDir = "runs"

    func options(progress: Bool = false, stopAfter: Int? = nil) throws -> RunOptions {
        guard let data = dataDir ?? ProcessInfo.processInfo.environment["TEAMLLM_DATA_DIR"] else {
            throw ValidationError("no data directory: pass --data-dir or set TEAMLLM_DATA_DIR")
        }
        return RunOptions(registryDir: URL(fileURLWithPath: registry), dataDir: URL(fileURLWithPath: data),
                          runsDir: URL(fileURLWithPath: runsDir), progress: progress, stopAfter: stopAfter)
    }

    /// A run named by id (under the runs folder) or by path.
    func run(_ ref: String) throws -> RunFolder {
        let direct = URL(fileURLWithPath: ref)
        let url = FileManager.default.fileExists(atPath: direct.appendingPathComponent("header.json").path)
            ? direct : URL(fileURLWithPath: runsDir).appendingPathComponent(ref)
        guard FileManager.default.fileExists(atPath: url.appendingPathComponent("header.json").path) else {
            throw ValidationError("no run '\(ref)' (looked for \(url.path)/header.json)")
        }
        return RunFolder(url: url)
    }

    /// The cache a run's manifest names.
    func cache(of folder: RunFolder) throws -> ResponseCache {
        let manifest = try folder.manifest()
        let root = manifest.cache.hasPrefix("/") ? URL(fileURLWithPath: manifest.cache) : URL(fileURLWithPath: runsDir).appendingPathComponent(manifest.cache)
        return try ResponseCache(root: root)
    }
}

/// Prints a library error as the researcher should read it and exits non-zero.
func fail(_ error: Error) -> ExitCode {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    return ExitCode(2)
}
