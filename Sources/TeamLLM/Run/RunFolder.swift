import Foundation

/// Problems launching, resuming or reading a run, in words a researcher can act on.
public enum RunError: Error, CustomStringConvertible {
    case manifestMismatch(run: String, fields: [String])
    case registryChanged(run: String, fields: [String])
    case busy(run: String, holder: String)
    case notFound(String)
    case corrupt(String)
    case replay(file: String, line: Int, reason: String)

    public var description: String {
        switch self {
        case let .manifestMismatch(run, fields):
            "run \(run) was launched from a different manifest; refusing to mix them. Fields that differ: \(fields.joined(separator: ", "))"
        case let .registryChanged(run, fields):
            "the registry entries run \(run) was frozen with have changed since launch; refusing to resume. Changed: \(fields.joined(separator: ", "))"
        case let .busy(run, holder): "run \(run) is in use by another process (\(holder)); only one process may write a run"
        case let .notFound(what): "\(what) not found"
        case let .corrupt(why): why
        case let .replay(file, line, reason): "\(file):\(line): \(reason)"
        }
    }
}

/// The subset of the registry a run uses, frozen beside the manifest at launch.
public struct FrozenRegistry: Codable, Equatable, Sendable {
    public let models: [ModelEntry]
    public let benchmarks: [BenchmarkEntry]
    public let recordings: [RecordingEntry]
    public let templates: [PromptTemplate]
}

/// The files of one run under `runs/<run id>/`.
public struct RunFolder: Sendable {
    public let url: URL
    public var id: String { url.lastPathComponent }

    public init(url: URL) { self.url = url }

    public var manifestYAML: URL { url.appendingPathComponent("manifest.yaml") }
    public var manifestJSON: URL { url.appendingPathComponent("manifest.json") }
    public var registryJSON: URL { url.appendingPathComponent("registry.json") }
    public var header: URL { url.appendingPathComponent("header.json") }
    public var planTSV: URL { url.appendingPathComponent("plan.tsv") }
    public var lock: URL { url.appendingPathComponent("lock") }
    public var quarantine: URL { url.appendingPathComponent("quarantine") }
    /// The stream file of a record type.
    public func stream<R: StreamRecord>(_: R.Type) -> URL { url.appendingPathComponent("\(R.stream).jsonl") }

    /// The frozen manifest.
    public func manifest() throws -> Manifest {
        guard let data = FileManager.default.contents(atPath: manifestJSON.path) else { throw RunError.notFound("frozen manifest \(manifestJSON.path)") }
        do { return try CanonicalJSON.decode(Manifest.self, from: data) } catch {
            throw RunError.corrupt("\(manifestJSON.path): not a manifest: \(error)")
        }
    }

    /// The frozen registry subset.
    public func registry() throws -> FrozenRegistry {
        guard let data = FileManager.default.contents(atPath: registryJSON.path) else { throw RunError.notFound("frozen registry \(registryJSON.path)") }
        do { return try CanonicalJSON.decode(FrozenRegistry.self, from: data) } catch {
            throw RunError.corrupt("\(registryJSON.path): not a frozen registry: \(error)")
        }
    }

    /// The frozen cell list: (cell, seed, item index) in work order.
    public func plannedCells() throws -> [(cell: CellID, seed: Int, itemIndex: Int)] {
        guard let text = try? String(contentsOf: planTSV, encoding: .utf8) else { throw RunError.notFound("plan \(planTSV.path)") }
        return try text.split(separator: "\n").enumerated().map { n, line in
            let f = line.split(separator: "\t")
            guard f.count == 3, let cell = CellID(String(f[0])), let seed = Int(f[1]), let index = Int(f[2]) else {
                throw RunError.corrupt("\(planTSV.path):\(n + 1): expected '<cell>\\t<seed>\\t<item index>'")
            }
            return (cell, seed, index)
        }
    }

    /// The run header, with its seal checked.
    public func readHeader() throws -> RunHeader {
        let contents = try StreamReader.read(header)
        guard contents.lines.count == 1, contents.torn == nil else { throw RunError.corrupt("\(header.path): expected exactly one sealed record") }
        return try contents.decode(RunHeader.self, file: header.lastPathComponent)[0].payload
    }

    /// Creates a run folder atomically: everything is written under a temporary name, then renamed.
    static func create(at url: URL, manifest: Manifest, manifestText: String, planTable: String, registry: FrozenRegistry,
                       header: (String) throws -> RunHeader) throws -> RunFolder {
        let fm = FileManager.default
        let staging = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).staging-\(getpid())")
        try? fm.removeItem(at: staging)
        try fm.createDirectory(at: staging, withIntermediateDirectories: true)
        let folder = RunFolder(url: staging)
        try Data(manifestText.utf8).write(to: folder.manifestYAML)
        try CanonicalJSON.encode(manifest).write(to: folder.manifestJSON)
        try Data(planTable.utf8).write(to: folder.planTSV)
        let registryData = try CanonicalJSON.encode(registry)
        try registryData.write(to: folder.registryJSON)
        let h = try header(Digest.sha256(registryData))
        var (line, _) = SealedLine.seal(seq: 1, prev: SealedLine.genesis, schema: RunHeader.schema, payload: try CanonicalJSON.encode(h))
        line.append(UInt8(ascii: "\n"))
        try line.write(to: folder.header)
        for name in ["events", "attempts", "grades", "sessions"] {
            fm.createFile(atPath: staging.appendingPathComponent("\(name).jsonl").path, contents: nil)
        }
        do { try fm.moveItem(at: staging, to: url) } catch {
            try? fm.removeItem(at: staging)
            if fm.fileExists(atPath: url.path) { return RunFolder(url: url) } // another launcher won the race
            throw error
        }
        return RunFolder(url: url)
    }
}

/// An exclusive lock on a run, held for the life of the writing process (released by the kernel even on kill -9).
final class RunLock {
    private let fd: Int32

    init(_ folder: RunFolder) throws {
        fd = open(folder.lock.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw RunError.corrupt("cannot open \(folder.lock.path): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOf: folder.lock, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            close(fd)
            throw RunError.busy(run: folder.id, holder: holder.map { "pid \($0)" } ?? "unknown pid")
        }
        ftruncate(fd, 0)
        let pid = "\(getpid())\n"
        _ = pid.withCString { write(fd, $0, strlen($0)) }
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
