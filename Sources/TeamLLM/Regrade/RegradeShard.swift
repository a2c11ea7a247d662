import Foundation

/// Shard `index` of `count` of a regrade: the cells whose cell-id sha256, read as a number, is `index` mod
/// `count`. Each shard grades into a sealed, hash-chained file of its own beside a small header naming the run
/// (id and header seal) and the grader, so shards run side by side, on one machine or several, and
/// `Regrade.merge` appends their grades to the run after checking both.
public struct RegradeShard: Sendable, Equatable {
    public let index: Int
    public let count: Int

    /// `i/n`, with 0 ≤ i < n.
    public init(spec: String) throws(RegradeShardError) {
        let parts = spec.split(separator: "/").map { Int($0) }
        guard parts.count == 2, let i = parts[0], let n = parts[1], n >= 1, i >= 0, i < n else { throw .badSpec(spec) }
        index = i
        count = n
    }

    /// Whether this shard grades `cell`: its sha256's first eight bytes mod `count`, so shards are even and fixed by the cell alone.
    public func owns(_ cell: CellID) -> Bool {
        let b = Digest.sha256Bytes(cell.description)
        return Int(b.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) } % UInt64(count)) == index
    }

    /// The shard's grade file: `<run>/shards/<grader>@<version>.<i>-of-<n>.jsonl` (its header beside it, `.json`).
    public func file(in folder: RunFolder, grader: GraderIdentity) -> URL {
        folder.url.appendingPathComponent("shards").appendingPathComponent("\(grader.name)@\(grader.version).\(index)-of-\(count).jsonl")
    }

    /// What a shard file says it holds: whose grades, by which grader, which shard.
    struct Header: Codable, Equatable {
        let run: String
        /// The run header's seal: a run of the same id made elsewhere has another.
        let headerSeal: String
        let grader: String
        let graderConfig: String
        let shard: Int
        let of: Int
        enum CodingKeys: String, CodingKey { case run, grader, shard, of, headerSeal = "header_seal", graderConfig = "grader_config" }
    }

    static func headerURL(_ file: URL) -> URL { file.deletingPathExtension().appendingPathExtension("json") }

    /// Opens the shard's file for appending (an interrupted shard continues its own chain), writing its header once.
    func open(_ folder: RunFolder, grader: GraderIdentity) throws -> Writer {
        let url = file(in: folder, grader: grader)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let header = Header(run: folder.id, headerSeal: try folder.readSealedHeader().seal, grader: grader.description,
                            graderConfig: grader.configHash, shard: index, of: count)
        let headerURL = Self.headerURL(url)
        if let data = FileManager.default.contents(atPath: headerURL.path) {
            guard (try? CanonicalJSON.decode(Header.self, from: data)) == header else {
                throw RunError.corrupt("\(headerURL.path): belongs to another run, grader or shard; remove it or choose another shard")
            }
        } else {
            try CanonicalJSON.encode(header).write(to: headerURL, options: .atomic)
        }
        var written: [GradeRecord] = []
        let tail = try StreamReader.records(url, GradeRecord.self) { written.append($0.payload) }
        if let torn = tail.torn {
            // Only this shard writes its file: a torn last line is its own crash's, cut so the chain continues.
            guard truncate(url.path, off_t(torn.offset)) == 0 else { throw RunError.cannotWrite(path: url.path, reason: String(cString: strerror(errno))) }
        }
        return Writer(stream: try RecordStream(url: url, tail: StreamTail(count: tail.count, lastHash: tail.lastHash, torn: nil)), written: written)
    }

    /// Appends to a shard's file; used by one regrade at a time.
    final class Writer {
        let stream: RecordStream
        /// The grades the file held when it was opened.
        let written: [GradeRecord]
        init(stream: RecordStream, written: [GradeRecord]) { self.stream = stream; self.written = written }
        func append(_ records: [Encoded<GradeRecord>]) throws { try stream.append(records) }
        func sync() throws { try stream.sync() }
    }

    /// Reads a shard file and its header, checking the chain and that it belongs to `folder`'s run.
    static func read(_ file: URL, for folder: RunFolder) throws -> (header: Header, grades: [Stamped<GradeRecord>]) {
        let headerURL = headerURL(file)
        guard let data = FileManager.default.contents(atPath: headerURL.path) else { throw RunError.notFound("shard header \(headerURL.path)") }
        let header: Header
        do { header = try CanonicalJSON.decode(Header.self, from: data) } catch { throw RunError.corrupt("\(headerURL.path): not a shard header: \(error)") }
        let seal = try folder.readSealedHeader().seal
        guard header.run == folder.id, header.headerSeal == seal else {
            throw RunError.corrupt("\(file.path): grades of run \(header.run) (header \(header.headerSeal.prefix(12))…), not of this run \(folder.id) (header \(seal.prefix(12))…)")
        }
        var grades: [Stamped<GradeRecord>] = []
        let tail = try StreamReader.records(file, GradeRecord.self) { grades.append($0) }
        if let torn = tail.torn { throw RunError.torn(file: file.path, offset: torn.offset, length: torn.bytes.count) }
        return (header, grades)
    }
}

/// A `--shard` that is not `i/n`.
public enum RegradeShardError: Error, CustomStringConvertible, Equatable {
    case badSpec(String)
    public var description: String {
        switch self { case let .badSpec(s): "--shard: expected i/n with 0 ≤ i < n, such as 0/2, found '\(s)'" }
    }
}
