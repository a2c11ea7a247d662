import Foundation

/// Problems launching, resuming or reading a run, in words a researcher can act on.
public enum RunError: Error, CustomStringConvertible {
    case manifestMismatch(run: String, fields: [String])
    case registryChanged(run: String, fields: [String])
    case busy(run: String, holder: String)
    case notFound(String)
    case corrupt(String)
    case replay(file: String, line: Int, reason: String)
    /// A provider said to stop: the key was rejected (the sweep ends) or the account cannot pay (no new call
    /// starts); the run stays resumable.
    case providerStopped(AttemptFailure)
    /// A stream holds fewer records than an anchor (or the live bound) says it had.
    /// A run id that could escape the runs folder or read as an option.
    case badRunID(String)
    /// The plan needs a program grader (code) that the command was not given an implementation of (the sandbox).
    case graderUnavailable(String)
    /// A file or folder the run needs could not be written.
    case cannotWrite(path: String, reason: String)
    /// A stream ends in an incomplete line and no writer holds the run.
    case torn(file: String, offset: Int, length: Int)
    case cut(stream: String, count: Int, anchored: Int, place: String)

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
        case let .providerStopped(f) where f.kind == .insufficientCredits:
            "the provider says the account cannot pay for more calls (\(f)); calls in flight were recorded. Add credits (or lower max_tokens), then run the same command: the run continues where it stopped"
        case let .providerStopped(f):
            "the provider rejected the request's credentials (\(f)); nothing more was sent. Check the API key, then run the same command: the run continues where it stopped"
        case let .badRunID(id):
            "'\(id)' is not a run id: a run id is one folder name under the runs folder, of lowercase letters, digits, '-', '_' and '.', starting with a letter or digit"
        case let .cannotWrite(path, reason): "cannot write \(path): \(reason)"
        case let .graderUnavailable(spec): "this run is graded by \(spec), which runs model-written code, but no sandbox was given to run it in"
        case let .torn(file, offset, length):
            "\(file): incomplete last line at byte \(offset) (\(length) bytes, left by a crash); run `teamllm run` on the manifest to resume, which keeps it in quarantine/"
        case let .cut(stream, count, anchored, place):
            "\(stream).jsonl holds \(count) records, but \(place) anchored \(anchored): whole records were cut off its end"
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

    /// Throws unless `id` is a plain run id: one path component that cannot escape the runs folder or
    /// read as a command-line option.
    public static func checkID(_ id: String) throws {
        guard let first = id.utf8.first, Manifest.isNameByte(first), first != UInt8(ascii: "-"), first != UInt8(ascii: "."), first != UInt8(ascii: "_"),
              id.utf8.count <= 100, id.utf8.allSatisfy(Manifest.isNameByte) else { throw RunError.badRunID(id) }
    }

    public var manifestYAML: URL { url.appendingPathComponent("manifest.yaml") }
    public var manifestJSON: URL { url.appendingPathComponent("manifest.json") }
    public var registryJSON: URL { url.appendingPathComponent("registry.json") }
    public var header: URL { url.appendingPathComponent("header.json") }
    public var planTSV: URL { url.appendingPathComponent("plan.tsv") }
    public var lock: URL { url.appendingPathComponent("lock") }
    /// Held exclusively by the writer for its whole life, shared by a reader of a run no writer holds.
    public var readGate: URL { url.appendingPathComponent("lock.read") }
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
    public func readHeader() throws -> RunHeader { try readSealedHeader().header }

    /// The run header and its seal (which the run digest covers).
    public func readSealedHeader() throws -> (header: RunHeader, seal: String) {
        let contents = try StreamReader.read(header)
        guard contents.lines.count == 1, contents.torn == nil else { throw RunError.corrupt("\(header.path): expected exactly one sealed record") }
        return (try contents.decode(RunHeader.self, file: header.lastPathComponent)[0].payload, contents.lines[0].hash)
    }

    /// Runs `body` on a consistent view of the records: the anchored prefix while a writer holds the run,
    /// everything otherwise (holding the read gate, so no writer starts until `body` returns).
    public func reading<T>(_ body: (ReadExtent) throws -> T) throws -> T {
        var fd = open(readGate.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        if fd < 0 { fd = open(readGate.path, O_RDONLY | O_CLOEXEC) } // a read-only copy of a run: no writer can hold it
        defer { if fd >= 0 { close(fd) } }
        let live = fd >= 0 && flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK
        var anchors = StreamAnchors()
        let url = stream(SessionRecord.self)
        guard FileManager.default.fileExists(atPath: url.path) else { throw RunError.notFound(url.path) }
        let tail = try StreamReader.records(url, SessionRecord.self) { anchors.add($0) }
        // A live writer may be mid-append; at rest an incomplete line is a crash's, which only a resume repairs.
        if !live, let torn = tail.torn { throw RunError.torn(file: url.lastPathComponent, offset: torn.offset, length: torn.bytes.count) }
        return try body(ReadExtent(live: live, anchors: anchors))
    }

    /// The cache this run used: the manifest's (a relative path taken from the folder the run lives in, which
    /// is the runs directory it was launched under, so a runs folder copied or moved whole finds its own copy),
    /// else the absolute path its last launch or resume recorded.
    public func cacheURL(_ extent: ReadExtent? = nil) throws -> URL {
        let named = (try? manifest()).map { m in
            m.cache.hasPrefix("/") ? URL(fileURLWithPath: m.cache) : url.deletingLastPathComponent().appendingPathComponent(m.cache)
        }
        if let named, FileManager.default.fileExists(atPath: named.appendingPathComponent("index.sqlite").path) { return named }
        if let recorded = extent?.anchors.cache { return URL(fileURLWithPath: recorded) }
        if let named { return named }
        throw RunError.notFound("the run's cache: manifest.json is unreadable and no session recorded one; pass --cache")
    }

    /// Creates a run folder atomically: everything is written under a temporary name, then renamed.
    static func create(at url: URL, manifest: Manifest, manifestText: String, planTable: String, registry: FrozenRegistry,
                       header: (String) throws -> RunHeader) throws -> (folder: RunFolder, created: Bool) {
        let fm = FileManager.default
        let staging = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).staging-\(getpid())")
        try? fm.removeItem(at: staging)
        do {
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
                guard fm.createFile(atPath: staging.appendingPathComponent("\(name).jsonl").path, contents: nil) else {
                    throw RunError.cannotWrite(path: staging.appendingPathComponent("\(name).jsonl").path, reason: String(cString: strerror(errno)))
                }
            }
        } catch {
            // Nothing half-made stays behind: the staging folder goes, whatever failed.
            try? fm.removeItem(at: staging)
            if let e = error as? RunError { throw e }
            throw RunError.cannotWrite(path: url.path, reason: SystemError.words(error))
        }
        do { try fm.moveItem(at: staging, to: url) } catch {
            try? fm.removeItem(at: staging)
            if fm.fileExists(atPath: url.path) { return (RunFolder(url: url), false) } // another launcher won the race
            throw RunError.cannotWrite(path: url.path, reason: SystemError.words(error))
        }
        return (RunFolder(url: url), true)
    }
}

/// An exclusive lock on a run, held for the life of the writing process (released by the kernel even on kill -9).
///
/// Two files: `lock` keeps a second writer out at once (it fails, naming the holder), and `lock.read`,
/// taken exclusively next, waits for readers that are reading the whole run to finish; from then on
/// readers see the run as live and read only its anchored prefix.
final class RunLock {
    private let fd: Int32
    private let gate: Int32

    init(_ folder: RunFolder) throws {
        fd = open(folder.lock.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw RunError.corrupt("cannot open \(folder.lock.path): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOf: folder.lock, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            close(fd)
            throw RunError.busy(run: folder.id, holder: holder.map { "pid \($0)" } ?? "unknown pid")
        }
        gate = open(folder.readGate.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard gate >= 0, flock(gate, LOCK_EX) == 0 else {
            let reason = String(cString: strerror(errno))
            if gate >= 0 { close(gate) }
            close(fd)
            throw RunError.corrupt("cannot lock \(folder.readGate.path): \(reason)")
        }
        ftruncate(fd, 0)
        let pid = "\(getpid())\n"
        _ = pid.withCString { write(fd, $0, strlen($0)) }
    }

    deinit {
        flock(gate, LOCK_UN)
        close(gate)
        flock(fd, LOCK_UN)
        close(fd)
    }
}

extension RunFolder {
    /// Appends a session record to a run no process is writing (a reconciliation), under the run's lock, and
    /// makes it durable; a run with a torn sessions line must be resumed first.
    public func appendSession(_ record: SessionRecord) throws {
        let lock = try RunLock(self)
        defer { withExtendedLifetime(lock) {} }
        let url = stream(SessionRecord.self)
        let tail = try StreamReader.records(url, SessionRecord.self) { _ in }
        guard tail.torn == nil else {
            throw RunError.corrupt("\(url.lastPathComponent) ends in an incomplete line; resume the run (teamllm run) before appending to it")
        }
        let sessions = try RecordStream(url: url, tail: tail)
        _ = try sessions.append(record)
        try sessions.sync()
    }
}
