import Foundation
import GRDB

extension ResponseCache {
    /// SQLite's full integrity check of the index (tables against their indexes), then every value's
    /// storage class; each problem names the row. Empty when sound.
    ///
    /// `integrity_check`, not `quick_check`: a request key changed inside a table row leaves the unique index
    /// pointing at the old key, so lookups still find the row while a later VACUUM or REINDEX would lose it.
    /// The storage-class check catches a value rewritten with the same bytes but another type (a request
    /// BLOB turned TEXT), which neither the row hash (it hashes bytes) nor SQLite would notice.
    public func structuralProblems() -> [String] {
        do {
            return try db.read { db in
                var out: [String] = []
                for message in try String.fetchAll(db, sql: "PRAGMA integrity_check(20)") where message != "ok" {
                    out.append(try Self.describe(integrityMessage: message, db))
                }
                guard out.isEmpty else { return out }
                if let key = try String.fetchOne(db, sql: """
                    SELECT quote(request_key) FROM responses
                    WHERE typeof(request_key) != 'text' OR typeof(request) != 'blob' OR typeof(response_hash) != 'text'
                       OR typeof(answer_text) != 'text' OR typeof(origin_run) != 'text' OR typeof(origin_attempt) != 'text'
                       OR typeof(metering) != 'text' OR typeof(row_hash) != 'text'
                    ORDER BY id LIMIT 1
                    """) {
                    out.append("responses row for request \(key.prefix(14))… holds a value of another type than its column's")
                }
                if let hash = try String.fetchOne(db, sql: """
                    SELECT quote(hash) FROM bodies
                    WHERE typeof(hash) != 'text' OR typeof(pack) != 'integer' OR typeof(offset) != 'integer' OR typeof(length) != 'integer'
                    LIMIT 1
                    """) {
                    out.append("bodies row for \(hash.prefix(14))… holds a value of another type than its column's")
                }
                return out
            }
        } catch { return ["\(error)"] }
    }

    /// An `integrity_check` message with the row it names looked up by a table scan (the index is what
    /// disagrees, so it cannot be trusted to find the row).
    private static func describe(integrityMessage message: String, _ db: Database) throws -> String {
        let words = message.split(separator: " ")
        guard words.count >= 2, words[0] == "row", let rowid = Int64(words[1]), message.contains("responses") || message.contains("index") else {
            return message
        }
        let row = try Row.fetchOne(db, sql: "SELECT request_key, origin_attempt, origin_run FROM responses NOT INDEXED WHERE id = ?", arguments: [rowid])
        guard let row else { return message }
        let key: String = row["request_key"] ?? "?"
        let run: String = row["origin_run"] ?? "?"
        let attempt: String = row["origin_attempt"] ?? "?"
        return "\(message): responses row \(rowid) (request_key \(key.prefix(16))…, paid by \(run)/\(attempt)) disagrees with the index on request_key; the row was changed outside SQLite, and a REINDEX or VACUUM would lose it"
    }

    /// Indexes the stored responses a crash left in the packs between their write and their index commit,
    /// returning their request keys. Each pack is walked entry header by entry header; a response entry
    /// whose key the index lacks is inserted with its body, after both are checked against their hashes,
    /// keeping its paying run and attempt (so the resume records that attempt as recovered, not paid again).
    ///
    /// The walk stops at the first incomplete or unreadable entry of a pack (bytes a crash left mid-write).
    /// It starts where `pack_walked` says every earlier entry is indexed (a store that follows that point
    /// directly extends it; a walk sets it to where it stopped), so a start reads only entries written since.
    public func recoverUnindexed() throws -> [String] {
        let dir = root.appendingPathComponent("packs")
        let numbers = ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [])
            .compactMap { $0.hasSuffix(".pack") ? Int($0.dropLast(5)) : nil }.sorted()
        var found: [(packed: PackedResponse, body: (pack: Int, offset: Int, length: Int)?)] = []
        var walkedTo: [(pack: Int, offset: Int)] = []
        let known: [Int: Int] = (try? db.read { db in
            Dictionary(try Row.fetchAll(db, sql: "SELECT pack, offset FROM pack_walked").map { ($0["pack"], $0["offset"]) }, uniquingKeysWith: max)
        }) ?? [:]
        for number in numbers {
            var bodies: [String: (pack: Int, offset: Int, length: Int)] = [:]
            var responses: [(key: String, offset: Int, length: Int)] = []
            let end = try walk(pack: number, from: known[number] ?? 0) { tag, offset, headerLength, length, hash, _ in
                if tag == PackEntry.bodyTag, let hash { bodies[hash] = (number, offset, length) }
                if tag == PackEntry.responseTag, let hash { responses.append((hash, offset + headerLength, length)) }
            }
            walkedTo.append((number, end.offset))
            guard !responses.isEmpty else { continue }
            let unknown = try db.read { db in
                let statement = try db.cachedStatement(sql: "SELECT 1 FROM responses WHERE request_key = ?")
                return try responses.filter { try Bool.fetchOne(statement, arguments: [$0.key]) != true }
            }
            var unresolved: [PackedResponse] = []
            for r in unknown {
                guard let packed = try? CanonicalJSON.decode(PackedResponse.self, from: PackFile(packURL(number)).read(r.offset, r.length)),
                      packed.requestKey == r.key else { continue }
                if let body = bodies[packed.responseHash] { found.append((packed, body)) } else { unresolved.append(packed) }
            }
            // A body can lie before where this walk began: an earlier walk passed it while the same write's
            // response entry was still incomplete. Those (rare) bodies are looked for in the whole pack.
            if !unresolved.isEmpty {
                try walk(pack: number) { tag, offset, _, length, hash, _ in
                    if tag == PackEntry.bodyTag, let hash { bodies[hash] = (number, offset, length) }
                }
                for packed in unresolved { found.append((packed, bodies[packed.responseHash])) }
            }
        }
        var recovered: [String] = []
        do {
            try db.write { db in
                // Everything the walks passed is indexed once this commits (the entries found are inserted below).
                for (pack, offset) in walkedTo {
                    try db.execute(sql: "INSERT INTO pack_walked (pack, offset) VALUES (?, ?) ON CONFLICT(pack) DO UPDATE SET offset = max(offset, excluded.offset)",
                                   arguments: [pack, offset])
                }
                let hasBody = try db.cachedStatement(sql: "SELECT 1 FROM bodies WHERE hash = ?")
                for (r, location) in found {
                    // Only an entry that still proves itself is indexed: request, body and row hash all check out.
                    guard Digest.sha256(r.request) == r.requestKey,
                          CacheEntry.rowHash(requestKey: r.requestKey, responseHash: r.responseHash, answerText: r.answerText, originRun: r.originRun,
                                             originAttempt: r.originAttempt, meteringJSON: r.metering) == r.rowHash else { continue }
                    if try Bool.fetchOne(hasBody, arguments: [r.responseHash]) != true {
                        guard let location, (try? body(r.responseHash, pack: location.pack, offset: location.offset, length: location.length)) != nil else { continue }
                        try db.execute(sql: "INSERT OR IGNORE INTO bodies (hash, pack, offset, length) VALUES (?, ?, ?, ?)",
                                       arguments: [r.responseHash, location.pack, location.offset, location.length])
                    }
                    try db.execute(sql: """
                        INSERT OR IGNORE INTO responses (request_key, request, response_hash, answer_text, origin_run, origin_attempt, metering, row_hash)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                        """, arguments: [r.requestKey, Data(r.request.utf8), r.responseHash, r.answerText, r.originRun, r.originAttempt, r.metering, r.rowHash])
                    if db.changesCount > 0 { recovered.append(r.requestKey) }
                }
            }
        } catch let e as DatabaseError { throw CacheError.database(e.message ?? "\(e)") }
        return recovered
    }

    /// Every pack walked entry by entry: each response entry must decode, its request must hash to its key,
    /// and its row hash must hold; an entry that breaks the walk is named. Bodies are checked where they are
    /// cited (verify re-hashes every body a record cites). Empty when sound.
    ///
    /// An entry whose header declares more bytes than the pack holds, or a header with no newline, is the
    /// incomplete last write of a crash and is not a problem: nothing was indexed from it.
    public func packProblems() -> [String] {
        let dir = root.appendingPathComponent("packs")
        let numbers = ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [])
            .compactMap { $0.hasSuffix(".pack") ? Int($0.dropLast(5)) : nil }.sorted()
        var out: [String] = []
        var entries = Set<String>()
        // The index first: a row is committed only after its pack entry is written, so every row read now
        // has its entry in the packs read next, even while another process writes.
        let indexed = (try? db.read { db -> [String] in
            guard let first = try Int.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'pack_entries_from_row'") else { return [] }
            return try String.fetchAll(db, sql: "SELECT request_key FROM responses WHERE id >= ? ORDER BY id", arguments: [first])
        }) ?? []
        for number in numbers {
            let name = packURL(number).lastPathComponent
            do {
                let end = try walk(pack: number) { tag, offset, headerLength, length, key, read in
                    guard tag == PackEntry.responseTag, let key else { return }
                    entries.insert(key)
                    let place = "\(name) at byte \(offset)"
                    guard let packed = try? CanonicalJSON.decode(PackedResponse.self, from: read(offset + headerLength, length)) else {
                        out.append("\(place): response entry does not parse"); return
                    }
                    if packed.requestKey != key || Digest.sha256(packed.request) != key {
                        out.append("\(place): response entry's request does not hash to its key \(key.prefix(12))…")
                    } else if CacheEntry.rowHash(requestKey: packed.requestKey, responseHash: packed.responseHash, answerText: packed.answerText,
                                                 originRun: packed.originRun, originAttempt: packed.originAttempt, meteringJSON: packed.metering) != packed.rowHash {
                        out.append("\(place): response entry for request \(key.prefix(12))… does not match its row hash")
                    }
                }
                if case let .broken(offset) = end { out.append("\(name) at byte \(offset): damaged entry header or terminator; the entries after it cannot be read") }
            } catch { out.append("\(name): \(error)") }
        }
        // Every indexed response has its entry in a pack (a damaged last entry ends a walk early, like a
        // crash's incomplete one, so it shows here). A cache from before response entries has none at all.
        do {
            for key in indexed where !entries.contains(key) {
                out.append("index row for request \(key.prefix(12))… has no response entry in any pack (an entry was damaged or removed)")
                break
            }
        }
        return out
    }

    /// How a walk of a pack ended.
    enum WalkEnd: Equatable {
        /// At the end of the file.
        case complete(at: Int)
        /// At a crash's incomplete last entry.
        case incomplete(at: Int)
        /// At bytes that are no entry.
        case broken(at: Int)

        /// Where the walk stopped: every entry before it was read.
        var offset: Int {
            switch self { case let .complete(o), let .incomplete(o), let .broken(o): o }
        }
    }

    /// Walks a pack's entries: tag, offset, header length, content length, the body hash (a body) or
    /// request key (a response), and a reader.
    @discardableResult
    func walk(pack number: Int, from start: Int = 0,
                      _ each: (String, Int, Int, Int, String?, (Int, Int) throws -> Data) throws -> Void) throws -> WalkEnd {
        let file = try PackFile(packURL(number))
        let size = file.size
        let read = file.read
        var offset = start
        while offset < size {
            let head = try read(offset, min(160, size - offset))
            guard let nl = head.firstIndex(of: UInt8(ascii: "\n")) else { return head.count < 160 ? .incomplete(at: offset) : .broken(at: offset) }
            let fields = String(decoding: head[..<nl], as: UTF8.self).split(separator: " ", omittingEmptySubsequences: false)
            let tag = fields.first.map(String.init) ?? ""
            let length: Int?, hash: String?
            switch (tag, fields.count) {
            case (PackEntry.bodyTag, 3), (PackEntry.responseTag, 3): (length, hash) = (Int(fields[2]), String(fields[1]))
            default: return .broken(at: offset)
            }
            guard let length, length >= 0, let hash, Digest.isHex64(hash), fields[2].allSatisfy(\.isASCII),
                  String(length) == fields[2] else { return .broken(at: offset) }
            let headerLength = nl + 1
            let end = offset + headerLength + length + 1
            guard end <= size else { return .incomplete(at: offset) }
            guard try read(end - 1, 1) == Data([UInt8(ascii: "\n")]) else { return .broken(at: offset) }
            try each(tag, offset, headerLength, length, hash, read)
            offset = end
        }
        return .complete(at: offset)
    }
}
