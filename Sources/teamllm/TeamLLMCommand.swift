import ArgumentParser
import Foundation
import TeamLLM

@main
struct TeamLLMCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "teamllm",
        abstract: "Deterministic experiment execution for multi-model LLM research.",
        version: TeamLLM.version,
        subcommands: [Plan.self, Run.self, Status.self, MatrixCommand.self, Summary.self, Analyze.self, ReportCommand.self, Agreement.self, Audit.self, Verify.self, GradeCommand.self, RegradeCommand.self, ReconcileCommand.self, RegistryCommand.self, Imitate.self])
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

    /// A run named by path to its folder, or by id under the runs folder.
    func run(_ ref: String) throws -> RunFolder {
        let direct = URL(fileURLWithPath: ref)
        if FileManager.default.fileExists(atPath: direct.appendingPathComponent("header.json").path) { return RunFolder(url: direct) }
        guard (try? RunFolder.checkID(ref)) != nil else {
            throw RunError.notFound("run '\(ref)': it is neither a run folder (no header.json in \(direct.path)) nor a run id")
        }
        let runs = URL(fileURLWithPath: runsDir)
        let url = runs.appendingPathComponent(ref)
        guard FileManager.default.fileExists(atPath: url.appendingPathComponent("header.json").path) else {
            let known = ((try? FileManager.default.contentsOfDirectory(atPath: runs.path)) ?? [])
                .filter { FileManager.default.fileExists(atPath: runs.appendingPathComponent($0).appendingPathComponent("header.json").path) }.sorted()
            throw RunError.notFound("run '\(ref)' under \(runs.path) (runs there: \(known.isEmpty ? "none" : known.joined(separator: ", ")); pass --runs-dir or the run folder's path)")
        }
        return RunFolder(url: url)
    }

    /// The cache the run recorded using (or its manifest names, relative to the run's own runs folder).
    func cache(of folder: RunFolder, override cache: String? = nil) throws -> ResponseCache {
        if let cache { return try ResponseCache(root: URL(fileURLWithPath: cache), readOnly: true) }
        return try folder.reading { try ResponseCache(root: folder.cacheURL($0), readOnly: true) }
    }
}

/// Prints a library error as the researcher should read it and exits non-zero.
func fail(_ error: Error) -> ExitCode {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    return ExitCode(2)
}
