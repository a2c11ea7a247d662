import Foundation
import GRDB

/// One cached response: what was asked, what came back, and which attempt paid for it.
public struct CacheEntry: Sendable, Equatable {
    /// sha256 of the canonical request.
    public let requestKey: String
    /// sha256 of the raw response body.
    public let responseHash: String
    public let answerText: String
    /// Run and attempt that made the paid call.
    public let originRun: String
    public let originAttempt: String
    /// The paid attempt's metering, so a lost attempt record can be rebuilt on resume.
    public let metering: Metering
    /// sha256 over the other fields; checked by `verify`.
    public let rowHash: String

    /// The metering of the paid call.
    public struct Metering: Codable, Equatable, Sendable {
        public let modelUsed: String
        public let providerUsed: String
        public let tokens: TokenUsage?
        public let costUSD: USD
        public let costSource: String
        public let latencyMs: Int?
        public let at: String
        /// What an HTTP call said about itself; nil for offline providers (and rows written before it existed).
        public var call: CallDetails? = nil
        enum CodingKeys: String, CodingKey {
            case tokens, at, call
            case modelUsed = "model_used", providerUsed = "provider_used", costUSD = "cost_usd"
            case costSource = "cost_source", latencyMs = "latency_ms"
        }
    }

    static func rowHash(requestKey: String, responseHash: String, answerText: String, originRun: String,
                        originAttempt: String, meteringJSON: String) -> String {
        Digest.sha256([requestKey, responseHash, originRun, originAttempt, meteringJSON, answerText].joined(separator: "\u{1F}"))
    }

    /// True when the row still hashes to its stored `rowHash`.
    public var isIntact: Bool {
        guard let json = try? String(decoding: CanonicalJSON.encode(metering), as: UTF8.self) else { return false }
        return rowHash == Self.rowHash(requestKey: requestKey, responseHash: responseHash, answerText: answerText,
                                       originRun: originRun, originAttempt: originAttempt, meteringJSON: json)
    }
}

/// Problems with the cache, naming the file or row.
public enum CacheError: Error, CustomStringConvertible {
    case database(String)
    case missingFile(String)
    case corruptFile(path: String, expected: String, actual: String)
    case corruptRow(requestKey: String)
    /// A stored value that does not parse, naming the row.
    case corruptValue(requestKey: String, column: String, reason: String)
    /// The cache folder cannot be made or opened.
    case unusable(path: String, reason: String)

    public var description: String {
        switch self {
        case let .database(why): "cache index: \(why)"
        case let .missingFile(path): "cache file missing: \(path)"
        case let .corruptFile(path, expected, actual): "cache file \(path) hashes to \(actual.prefix(12))…, expected \(expected.prefix(12))…"
        case let .corruptRow(key): "cache index row for request \(key.prefix(12))… does not match its row hash"
        case let .corruptValue(key, column, reason): "cache index row for request \(key.prefix(12))…: column \(column) does not parse (\(reason))"
        case let .unusable(path, reason): "cannot use \(path) as the response cache: \(reason)"
        }
    }
}

/// The response cache: a SQLite index (system libsqlite3 through GRDB) over content-addressed bodies.
///
/// Bodies live in append-only pack files, `packs/NNNNNN.pack`, each entry written as
/// `TLLMBODY <sha256> <length>\n<body>\n` and found through the `bodies` table by its sha256 (one
/// file per body cost an inode each, which dominated a cell's time). The `responses` row holds the
/// canonical request (whose sha256 is its key), the answer text, the paying attempt and its metering,
/// and a row hash. Entries never expire; one cache serves many runs, even from several processes at
/// once (appends use O_APPEND, rows a SQLite transaction). A body is appended before its rows are
/// committed, so a row never points at bytes that are not there; bytes a crash left unreferenced at
/// the end of a pack are never read.
public final class ResponseCache: Sendable {
    public let root: URL
    let db: DatabaseQueue
    let pack: PackWriter
    /// Packs roll over at this size.
    static let packLimit: off_t = 1 << 30

    /// Opens the cache at `root`, creating it unless `readOnly` (then a missing cache is an error).
    public init(root: URL, readOnly: Bool = false) throws {
        self.root = root
        let index = root.appendingPathComponent("index.sqlite")
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: root.path, isDirectory: &isDir), !isDir.boolValue {
            throw CacheError.unusable(path: root.path, reason: "it is a file, not a folder")
        }
        if readOnly {
            guard FileManager.default.fileExists(atPath: index.path) else { throw CacheError.missingFile(index.path) }
        } else {
            do { try FileManager.default.createDirectory(at: root.appendingPathComponent("packs"), withIntermediateDirectories: true) } catch {
                throw CacheError.unusable(path: root.path, reason: SystemError.words(error))
            }
        }
        do {
            var config = Configuration()
            config.busyMode = .timeout(30)
            config.journalMode = .wal
            // One connection for reads and writes keeps SQLite's page cache valid between them (a pool's
            // readers re-read pages after every write: ~30 preads a cell). Durability comes from the
            // journal's group commit, so commits need not fsync (synchronous = NORMAL).
            config.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
            db = try DatabaseQueue(path: index.path, configuration: config)
            // A reader opens the cache as it is: it creates no table and writes no row.
            if !readOnly { try db.write { db in try db.execute(sql: Self.schema) } }
        } catch let e as DatabaseError { throw CacheError.unusable(path: index.path, reason: e.message ?? "\(e)") }
        pack = PackWriter(dir: root.appendingPathComponent("packs"))
    }

    /// Every table of the index. `claims` holds requests a process is paying for right now (see `claim`);
    /// `pack_walked` says, per pack, below which offset every entry is indexed (see `recoverUnindexed`);
    /// `pack_ends` where the last committed store's write ended (what lies beyond was written by a process
    /// that did not commit: whole entries are recovered by the walk, an incomplete one is cut before the next append);
    /// `meta.pack_entries_from_row` is the first `responses` row whose pack holds a response entry (rows of a
    /// cache written before those entries existed have none).
    static let schema = """
        CREATE TABLE IF NOT EXISTS bodies (
          hash TEXT PRIMARY KEY NOT NULL,
          pack INTEGER NOT NULL,
          offset INTEGER NOT NULL,
          length INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS responses (
          id INTEGER PRIMARY KEY,
          request_key TEXT NOT NULL UNIQUE,
          request BLOB NOT NULL,
          response_hash TEXT NOT NULL REFERENCES bodies(hash),
          answer_text TEXT NOT NULL,
          origin_run TEXT NOT NULL,
          origin_attempt TEXT NOT NULL,
          metering TEXT NOT NULL,
          row_hash TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS pack_walked (
          pack INTEGER PRIMARY KEY NOT NULL,
          offset INTEGER NOT NULL
        );
        CREATE TABLE IF NOT EXISTS pack_ends (
          pack INTEGER PRIMARY KEY NOT NULL,
          offset INTEGER NOT NULL
        );
        CREATE TABLE IF NOT EXISTS meta (
          key TEXT PRIMARY KEY NOT NULL,
          value INTEGER NOT NULL
        );
        INSERT OR IGNORE INTO meta (key, value) VALUES ('pack_entries_from_row', (SELECT coalesce(max(id), 0) + 1 FROM responses));
        CREATE TABLE IF NOT EXISTS claims (
          request_key TEXT PRIMARY KEY NOT NULL,
          owner TEXT NOT NULL,
          host TEXT NOT NULL,
          pid INTEGER NOT NULL,
          expires REAL NOT NULL
        ) WITHOUT ROWID;
        """

    /// How many responses the index holds.
    public func responseCount() throws -> Int {
        do { return try db.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM responses") ?? 0 } } catch let e as DatabaseError {
            throw CacheError.database(e.message ?? "\(e)")
        }
    }

    /// The file of a pack number.
    public func packURL(_ number: Int) -> URL { root.appendingPathComponent(String(format: "packs/%06d.pack", number)) }

    private static let columns = "request_key, response_hash, answer_text, origin_run, origin_attempt, metering, row_hash"

    /// The entry for a request, if any.
    public func lookup(_ requestKey: String) throws -> CacheEntry? {
        try entries([requestKey])[requestKey]
    }

    /// The entries for a set of requests, read in one transaction; keys the cache does not hold are absent.
    public func entries(_ requestKeys: [String]) throws -> [String: CacheEntry] {
        var out: [String: CacheEntry] = [:]
        try rows(requestKeys) { key, row in out[key] = try Self.entry(row) }
        return out
    }

    /// Each index row of these requests that the cache holds, read in one transaction.
    private func rows(_ requestKeys: [String], _ each: (String, Row) throws -> Void) throws {
        guard !requestKeys.isEmpty else { return }
        do {
            try db.read { db in
                let statement = try db.cachedStatement(sql: "SELECT \(Self.columns) FROM responses WHERE request_key = ?")
                for key in requestKeys {
                    if let row = try Row.fetchOne(statement, arguments: [key]) { try each(key, row) }
                }
            }
        } catch let e as DatabaseError { throw CacheError.database(e.message ?? "\(e)") }
    }

    /// The answer texts of a set of requests, each row checked against its row hash; keys the cache does not hold
    /// are absent. The metering is hashed as stored, not decoded: a regrade reads only what it grades.
    public func answers(_ requestKeys: [String]) throws -> [String: String] {
        var out: [String: String] = [:]
        out.reserveCapacity(requestKeys.count)
        try rows(requestKeys) { key, row in
            let answer: String = row["answer_text"]
            let hash = CacheEntry.rowHash(requestKey: key, responseHash: row["response_hash"], answerText: answer, originRun: row["origin_run"],
                                          originAttempt: row["origin_attempt"], meteringJSON: row["metering"])
            guard hash == row["row_hash"] else { throw CacheError.corruptRow(requestKey: key) }
            out[key] = answer
        }
        return out
    }

    /// The canonical request stored with an entry, checked against its key.
    public func request(_ requestKey: String) throws -> Data {
        let data: Data? = try db.read { db in
            try Data.fetchOne(db.cachedStatement(sql: "SELECT request FROM responses WHERE request_key = ?"), arguments: [requestKey])
        }
        guard let data else { throw CacheError.missingFile("index row for request \(requestKey)") }
        let actual = Digest.sha256(data)
        guard actual == requestKey else { throw CacheError.corruptFile(path: "index.sqlite request \(requestKey.prefix(12))…", expected: requestKey, actual: actual) }
        return data
    }

    static func entry(_ row: Row) throws -> CacheEntry {
        let meteringJSON: String = row["metering"]
        let metering: CacheEntry.Metering
        do { metering = try CanonicalJSON.decode(CacheEntry.Metering.self, from: meteringJSON.utf8) } catch {
            throw CacheError.corruptValue(requestKey: row["request_key"], column: "metering", reason: "\(error)")
        }
        return CacheEntry(requestKey: row["request_key"], responseHash: row["response_hash"], answerText: row["answer_text"],
                          originRun: row["origin_run"], originAttempt: row["origin_attempt"], metering: metering, rowHash: row["row_hash"])
    }

    /// A paid response to store, with the request it answers and the attempt that paid.
    public struct Payment: Sendable {
        public let requestKey: String
        public let request: Data
        public let body: Data
        public let answerText: String
        public let originRun: String
        public let originAttempt: String
        public let metering: CacheEntry.Metering
    }

    /// Stores paid responses in one transaction and returns, for each, the entry the cache keeps:
    /// the first writer of a key wins (another process may have stored the same request first).
    ///
    /// New bodies are appended to the pack, in one write, before the rows that point at them are committed.
    public func store(_ payments: [Payment]) throws -> [CacheEntry] {
        guard !payments.isEmpty else { return [] }
        let (fresh, meteringJSON) = try Self.entries(for: payments)
        do { return try db.write { db in try self.write(payments, fresh, meteringJSON, db) } } catch let e as DatabaseError {
            throw CacheError.database(e.message ?? "\(e)")
        }
    }

    /// `store`, without holding a cooperative thread while SQLite waits for its lock or writes: GRDB runs
    /// the transaction on its writer queue and resumes the caller when it is done. It runs detached from
    /// the caller's task: a paid response is stored even when the sweep is being cancelled (GRDB's async
    /// write would otherwise give up on a cancelled task, and the resume would pay again).
    public func storeOffPool(_ payments: [Payment]) async throws -> [CacheEntry] {
        guard !payments.isEmpty else { return [] }
        let (fresh, meteringJSON) = try Self.entries(for: payments)
        return try await Task.detached {
            do { return try await self.db.write { db in try self.write(payments, fresh, meteringJSON, db) } } catch let e as DatabaseError {
                throw CacheError.database(e.message ?? "\(e)")
            }
        }.value
    }

    /// The entry each payment would make, with its metering as canonical JSON.
    private static func entries(for payments: [Payment]) throws -> ([CacheEntry], [String]) {
        var fresh: [CacheEntry] = []
        var meteringJSON: [String] = []
        for p in payments {
            let json = String(decoding: try CanonicalJSON.encode(p.metering), as: UTF8.self)
            let responseHash = Digest.sha256(p.body)
            fresh.append(CacheEntry(requestKey: p.requestKey, responseHash: responseHash, answerText: p.answerText, originRun: p.originRun,
                                    originAttempt: p.originAttempt, metering: p.metering,
                                    rowHash: CacheEntry.rowHash(requestKey: p.requestKey, responseHash: responseHash, answerText: p.answerText,
                                                                originRun: p.originRun, originAttempt: p.originAttempt, meteringJSON: json)))
            meteringJSON.append(json)
        }
        return (fresh, meteringJSON)
    }

    /// The store's transaction: pack entries first, then the rows that point at them.
    private func write(_ payments: [Payment], _ fresh: [CacheEntry], _ meteringJSON: [String], _ db: Database) throws -> [CacheEntry] {
        let known = try db.cachedStatement(sql: "SELECT 1 FROM bodies WHERE hash = ?")
        // Each new body, then each response's own entry, in one write, before any row is committed.
        var chunks: [Data] = []
        var newBodies: [(hash: String, length: Int, chunk: Int)] = []
        var seen = Set<String>()
        for (p, e) in zip(payments, fresh) where seen.insert(e.responseHash).inserted {
            if try Bool.fetchOne(known, arguments: [e.responseHash]) != true {
                newBodies.append((e.responseHash, p.body.count, chunks.count))
                chunks.append(PackEntry.body(p.body, hash: e.responseHash))
            }
        }
        for (i, (p, e)) in zip(payments, fresh).enumerated() {
            let packed = PackedResponse(requestKey: e.requestKey, request: String(decoding: p.request, as: UTF8.self), responseHash: e.responseHash,
                                        answerText: e.answerText, originRun: e.originRun, originAttempt: e.originAttempt,
                                        metering: meteringJSON[i], rowHash: e.rowHash)
            chunks.append(PackEntry.response(try CanonicalJSON.encode(packed), key: e.requestKey))
        }
        let locations = try pack.append(chunks, limit: Self.packLimit) { number, size in
            let known = try Int.fetchOne(db, sql: "SELECT offset FROM pack_ends WHERE pack = ?", arguments: [number])
                ?? Int.fetchOne(db, sql: "SELECT offset FROM pack_walked WHERE pack = ?", arguments: [number]) ?? 0
            guard size > known else { return nil }
            switch try walk(pack: number, from: known) { _, _, _, _, _, _ in } {
            case .complete: return nil
            case let .incomplete(at):
                // Never below a body the index points at (an old or foreign writer may have left `pack_ends` behind).
                let cited = try Int.fetchOne(db, sql: "SELECT max(offset) FROM bodies WHERE pack = ?", arguments: [number]) ?? -1
                return at > cited ? at : nil
            case let .broken(at):
                throw CacheError.corruptFile(path: "\(packURL(number).lastPathComponent) at byte \(at)", expected: "a pack entry",
                                             actual: "bytes that are no entry; refusing to append after them")
            }
        }
        // Written right after what is already known indexed: this commit extends that prefix. (A store
        // that lands after another process's uncommitted entry does not, and the next walk reads it.)
        if let first = locations.first {
            let end = first.offset + chunks.reduce(0) { $0 + $1.count }
            try db.execute(sql: "INSERT INTO pack_ends (pack, offset) VALUES (?, ?) ON CONFLICT(pack) DO UPDATE SET offset = excluded.offset",
                           arguments: [first.pack, end])
            try db.execute(sql: "UPDATE pack_walked SET offset = ? WHERE pack = ? AND offset = ?", arguments: [end, first.pack, first.offset])
            if db.changesCount == 0 && first.offset == 0 {
                try db.execute(sql: "INSERT OR IGNORE INTO pack_walked (pack, offset) VALUES (?, ?)", arguments: [first.pack, end])
            }
        }
        let insertBody = try db.cachedStatement(sql: "INSERT OR IGNORE INTO bodies (hash, pack, offset, length) VALUES (?, ?, ?, ?)")
        for b in newBodies {
            let location = locations[b.chunk]
            try insertBody.execute(arguments: [b.hash, location.pack, location.offset, b.length])
        }
        let insert = try db.cachedStatement(sql: """
            INSERT OR IGNORE INTO responses (request_key, request, response_hash, answer_text, origin_run, origin_attempt, metering, row_hash)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """)
        let select = try db.cachedStatement(sql: "SELECT \(Self.columns) FROM responses WHERE request_key = ?")
        var kept: [CacheEntry] = []
        for (i, (p, e)) in zip(payments, fresh).enumerated() {
            let json = meteringJSON[i]
            try insert.execute(arguments: [e.requestKey, p.request, e.responseHash, e.answerText, e.originRun, e.originAttempt, json, e.rowHash])
            if db.changesCount > 0 { kept.append(e); continue }
            guard let row = try Row.fetchOne(select, arguments: [e.requestKey]) else {
                throw CacheError.database("row for \(e.requestKey) vanished after insert")
            }
            kept.append(try Self.entry(row))
        }
        if Faults.killBeforeCommit() { kill(getpid(), SIGKILL) }
        return kept
    }

    /// Everything stored for a set of requests, read in one transaction: entry, raw request, body
    /// location. Missing keys are absent from the result.
    public func stored(_ keys: [String]) throws -> [String: (entry: CacheEntry, request: Data, pack: Int, offset: Int, length: Int)] {
        do {
            return try db.read { db in
                let statement = try db.cachedStatement(sql: """
                    SELECT r.request_key, r.request, r.response_hash, r.answer_text, r.origin_run, r.origin_attempt, r.metering, r.row_hash,
                           b.pack, b.offset, b.length
                    FROM responses r LEFT JOIN bodies b ON b.hash = r.response_hash WHERE r.request_key = ?
                    """)
                var out: [String: (entry: CacheEntry, request: Data, pack: Int, offset: Int, length: Int)] = [:]
                for key in Set(keys) {
                    guard let row = try Row.fetchOne(statement, arguments: [key]) else { continue }
                    out[key] = (try Self.entry(row), row["request"], row["pack"] ?? -1, row["offset"] ?? -1, row["length"] ?? -1)
                }
                return out
            }
        } catch let e as DatabaseError { throw CacheError.database(e.message ?? "\(e)") }
    }

    /// Where a body is: pack number, offset of its entry header, body length.
    public func location(of hash: String) throws -> (pack: Int, offset: Int, length: Int)? {
        try db.read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT pack, offset, length FROM bodies WHERE hash = ?"), arguments: [hash])
                .map { ($0["pack"], $0["offset"], $0["length"]) }
        }
    }

    /// A body, read from its pack; its entry header, trailing newline and sha256 are all checked.
    public func body(_ hash: String) throws -> Data {
        guard let (number, offset, length) = try location(of: hash) else { throw CacheError.missingFile("body \(hash) (no index row)") }
        return try body(hash, pack: number, offset: offset, length: length)
    }

    /// A body at a known place in a pack, checked as `body(_:)` does.
    public func body(_ hash: String, pack number: Int, offset: Int, length: Int) throws -> Data {
        let header = PackEntry.bodyHeader(hash: hash, length: length)
        let file = try PackFile(packURL(number))
        let place = "\(file.url.lastPathComponent) at byte \(offset)"
        let buffer = (try? file.read(offset, header.count + length + 1)) ?? Data()
        guard buffer.prefix(header.count) == header, buffer.last == UInt8(ascii: "\n") else {
            throw CacheError.corruptFile(path: place, expected: hash, actual: "a damaged entry")
        }
        let data = buffer.subdata(in: header.count..<(header.count + length))
        let actual = Digest.sha256(data)
        guard actual == hash else { throw CacheError.corruptFile(path: place, expected: hash, actual: actual) }
        return data
    }

    /// The raw request and response of an entry, both checked against their hashes.
    public func rawPair(_ entry: CacheEntry) throws -> (request: Data, response: Data) {
        (try request(entry.requestKey), try body(entry.responseHash))
    }

    /// Flushes the index and files to stable storage (group commit, before the records that cite them).
    ///
    /// Committed rows are made durable by an fsync of the write-ahead log itself (with `synchronous = NORMAL`
    /// commits do not sync it, and a passive checkpoint syncs it only when it can copy frames back, which a
    /// reader or another writer may prevent). The checkpoint that follows only keeps the log short: one that
    /// another process's lock makes busy is skipped, any other failure is an error.
    public func sync() throws {
        try pack.sync()
        let wal = root.appendingPathComponent("index.sqlite-wal").path
        let fd = open(wal, O_RDONLY | O_CLOEXEC)
        if fd >= 0 {
            defer { close(fd) }
            guard fsync(fd) == 0 else { throw CacheError.database("fsync of \(wal) failed: \(String(cString: strerror(errno)))") }
        }
        do { _ = try db.writeWithoutTransaction { db in try db.checkpoint(.passive) } } catch let e as DatabaseError
            where e.resultCode == .SQLITE_BUSY || e.resultCode == .SQLITE_LOCKED {
            // Another process holds the database: the log is already durable, and a later checkpoint shortens it.
        } catch {
            throw CacheError.database("\(root.path)/index.sqlite: checkpoint failed: \(error)")
        }
    }
}
