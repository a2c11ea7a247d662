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
        public let latencyMs: Int
        public let at: String
        enum CodingKeys: String, CodingKey {
            case tokens, at
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

    public var description: String {
        switch self {
        case let .database(why): "cache index: \(why)"
        case let .missingFile(path): "cache file missing: \(path)"
        case let .corruptFile(path, expected, actual): "cache file \(path) hashes to \(actual.prefix(12))…, expected \(expected.prefix(12))…"
        case let .corruptRow(key): "cache index row for request \(key.prefix(12))… does not match its row hash"
        }
    }
}

/// The response cache: a SQLite index (system libsqlite3 through GRDB) over content-addressed files.
///
/// `requests/ab/<key>.json` holds the canonical request whose sha256 is `key`; `responses/ab/<hash>`
/// holds a raw body whose sha256 is `hash`. Entries never expire; one cache serves many runs.
/// Files are written before the index row, so a row never points at a missing file.
public final class ResponseCache: Sendable {
    public let root: URL
    private let db: DatabasePool

    /// Opens (creating if needed) the cache at `root`.
    public init(root: URL) throws {
        self.root = root
        do {
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
            var config = Configuration()
            config.busyMode = .timeout(30)
            db = try DatabasePool(path: root.appendingPathComponent("index.sqlite").path, configuration: config)
            try db.write { db in
                try db.execute(sql: """
                    CREATE TABLE IF NOT EXISTS responses (
                      request_key TEXT PRIMARY KEY NOT NULL,
                      response_hash TEXT NOT NULL,
                      answer_text TEXT NOT NULL,
                      origin_run TEXT NOT NULL,
                      origin_attempt TEXT NOT NULL,
                      metering TEXT NOT NULL,
                      row_hash TEXT NOT NULL
                    ) WITHOUT ROWID
                    """)
            }
        } catch let e as DatabaseError { throw CacheError.database("\(root.path)/index.sqlite: \(e.message ?? "\(e)")") }
    }

    func requestURL(_ key: String) -> URL {
        root.appendingPathComponent("requests/\(key.prefix(2))/\(key).json")
    }

    func responseURL(_ hash: String) -> URL {
        root.appendingPathComponent("responses/\(hash.prefix(2))/\(hash)")
    }

    /// The entry for a request, if any.
    public func lookup(_ requestKey: String) throws -> CacheEntry? {
        do {
            return try db.read { db in
                try Row.fetchOne(db, sql: "SELECT * FROM responses WHERE request_key = ?", arguments: [requestKey]).map(Self.entry)
            }
        } catch let e as DatabaseError { throw CacheError.database(e.message ?? "\(e)") }
    }

    private static func entry(_ row: Row) throws -> CacheEntry {
        let meteringJSON: String = row["metering"]
        let metering = try JSONDecoder().decode(CacheEntry.Metering.self, from: Data(meteringJSON.utf8))
        return CacheEntry(requestKey: row["request_key"], responseHash: row["response_hash"], answerText: row["answer_text"],
                          originRun: row["origin_run"], originAttempt: row["origin_attempt"], metering: metering, rowHash: row["row_hash"])
    }

    /// Stores a paid response; the first writer of a key wins and is returned.
    @discardableResult
    public func store(requestKey: String, request: Data, body: Data, answerText: String, originRun: String,
                      originAttempt: String, metering: CacheEntry.Metering) throws -> CacheEntry {
        let responseHash = Digest.sha256(body)
        try writeOnce(request, to: requestURL(requestKey))
        try writeOnce(body, to: responseURL(responseHash))
        let json = String(decoding: try CanonicalJSON.encode(metering), as: UTF8.self)
        let rowHash = CacheEntry.rowHash(requestKey: requestKey, responseHash: responseHash, answerText: answerText,
                                         originRun: originRun, originAttempt: originAttempt, meteringJSON: json)
        do {
            try db.write { db in
                try db.execute(sql: """
                    INSERT OR IGNORE INTO responses (request_key, response_hash, answer_text, origin_run, origin_attempt, metering, row_hash)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [requestKey, responseHash, answerText, originRun, originAttempt, json, rowHash])
            }
        } catch let e as DatabaseError { throw CacheError.database(e.message ?? "\(e)") }
        guard let stored = try lookup(requestKey) else { throw CacheError.database("row for \(requestKey) vanished after insert") }
        return stored
    }

    /// Writes content-addressed bytes unless already present (write to a temporary name, then rename).
    private func writeOnce(_ data: Data, to url: URL) throws {
        if FileManager.default.fileExists(atPath: url.path) { return }
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: url, options: .atomic)
    }

    /// Reads a stored file and checks it against the hash it is named by.
    public func read(_ url: URL, expecting hash: String) throws -> Data {
        guard let data = FileManager.default.contents(atPath: url.path) else { throw CacheError.missingFile(url.path) }
        let actual = Digest.sha256(data)
        guard actual == hash else { throw CacheError.corruptFile(path: url.path, expected: hash, actual: actual) }
        return data
    }

    /// The raw request and response of an entry, both checked against their hashes.
    public func rawPair(_ entry: CacheEntry) throws -> (request: Data, response: Data) {
        (try read(requestURL(entry.requestKey), expecting: entry.requestKey), try read(responseURL(entry.responseHash), expecting: entry.responseHash))
    }

    /// SQLite's own structural check of the index file; nil when it is sound.
    public func structuralProblem() -> String? {
        do {
            let result = try db.read { db in try String.fetchAll(db, sql: "PRAGMA quick_check") }
            return result == ["ok"] ? nil : result.joined(separator: "; ")
        } catch { return "\(error)" }
    }

    /// Flushes the index and files to stable storage (group commit, before the records that cite them).
    public func sync() {
        try? db.writeWithoutTransaction { db in try db.checkpoint(.passive) }
        // Glibc's module does not export syncfs(2); sync(2) flushes this file system (and others) just as well, once a second.
        Foundation.sync()
    }
}
