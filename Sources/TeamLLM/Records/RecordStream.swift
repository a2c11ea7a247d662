import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Problems reading or appending a record stream, each naming the file and line.
public enum RecordStreamError: Error, CustomStringConvertible, Equatable {
    case unreadable(file: String, reason: String)
    case brokenSeal(file: String, line: Int, reason: String)
    case brokenChain(file: String, line: Int, expectedPrev: String, foundPrev: String)
    case badSequence(file: String, line: Int, expected: Int, found: Int)
    case undecodable(file: String, line: Int, reason: String)
    case writeFailed(file: String, reason: String)
    /// A line whose seal differs from the one an anchor recorded for that position.
    case anchorMismatch(file: String, line: Int, anchor: String)

    public var description: String {
        switch self {
        case let .unreadable(file, reason): "\(file): cannot read: \(reason)"
        case let .brokenSeal(file, line, reason): "\(file):\(line): \(reason)"
        case let .brokenChain(file, line, expected, found):
            "\(file):\(line): prev is \(found.prefix(12))… but the previous record seals to \(expected.prefix(12))… (a record was changed, removed or inserted)"
        case let .badSequence(file, line, expected, found): "\(file):\(line): seq is \(found), expected \(expected)"
        case let .undecodable(file, line, reason): "\(file):\(line): record does not match its schema: \(reason)"
        case let .writeFailed(file, reason): "\(file): append failed: \(reason)"
        case let .anchorMismatch(file, line, anchor):
            "\(file):\(line): seals differently from the head \(anchor) recorded for it (the stream was changed after it was anchored)"
        }
    }
}

/// A line left incomplete at the end of a stream by a crash.
public struct TornTail: Sendable, Equatable {
    /// Byte offset where the incomplete line starts.
    public let offset: Int
    /// The incomplete bytes, exactly as found.
    public let bytes: Data
}

/// Where a stream ends: how many complete records, the seal of the last, and any torn tail.
public struct StreamTail: Sendable {
    public var count: Int
    public var lastHash: String
    public var torn: TornTail?
}

/// The verified lines of a small stream file, kept in memory (headers and tests).
public struct StreamContents: Sendable {
    /// Each complete line with its seal, in order.
    public var lines: [(line: Data, hash: String)]
    /// Bytes after the last newline, if any.
    public var torn: TornTail?

    /// Decodes every line as `R`, naming the line on failure.
    public func decode<R: StreamRecord>(_: R.Type, file: String) throws -> [Stamped<R>] {
        try lines.enumerated().map { i, entry in
            do { return try CanonicalJSON.decode(Stamped<R>.self, from: entry.line) } catch {
                throw RecordStreamError.undecodable(file: file, line: i + 1, reason: "\(error)")
            }
        }
    }
}

/// Reads a stream file and checks every seal, `seq` and `prev` link.
public enum StreamReader {
    /// Reads a whole (small) stream into memory; a missing file reads as empty.
    public static func read(_ url: URL) throws -> StreamContents {
        var lines: [(line: Data, hash: String)] = []
        let tail = try scan(url) { line, hash, _ in lines.append((line, hash)) }
        return StreamContents(lines: lines, torn: tail.torn)
    }

    /// Decodes and hands over every record in order (the first `limit`, when given), keeping none of them;
    /// a line at a position an anchor recorded must have the anchored seal.
    public static func records<R: StreamRecord>(_ url: URL, _: R.Type, limit: Int? = nil, anchored: [Int: StreamAnchors.Head] = [:],
                                                each: (Stamped<R>) throws -> Void) throws -> StreamTail {
        try records(url, decoding: R.self, limit: limit, anchored: anchored, each: each)
    }

    /// `records`, decoding each line as `P`: a type that reads only some of a record's fields (every line is still
    /// sealed and chained; the fields left out are simply not decoded).
    static func records<P: Decodable & Sendable>(_ url: URL, decoding: P.Type, limit: Int? = nil, anchored: [Int: StreamAnchors.Head] = [:],
                                                 each: (Stamped<P>) throws -> Void) throws -> StreamTail {
        let name = url.lastPathComponent
        return try scan(url, limit: limit, anchored: anchored) { line, _, n in
            let record: Stamped<P>
            do { record = try CanonicalJSON.decode(Stamped<P>.self, from: line) } catch {
                throw RecordStreamError.undecodable(file: name, line: n, reason: "\(error)")
            }
            try each(record)
        }
    }

    /// Streams a file in 1 MiB chunks, checking each complete line and handing it over with its seal
    /// and 1-based number; bytes after the last newline come back as the torn tail. A missing file is empty.
    ///
    /// With a `limit`, reading stops after that many lines (what follows belongs to a writer still at work,
    /// so it is neither read nor reported torn). A line numbered in `anchored` must seal to the anchored head.
    public static func scan(_ url: URL, limit: Int? = nil, anchored: [Int: StreamAnchors.Head] = [:],
                            each: (Data, String, Int) throws -> Void) throws -> StreamTail {
        let name = url.lastPathComponent
        guard let handle = FileHandle(forReadingAtPath: url.path) else {
            if FileManager.default.fileExists(atPath: url.path) { throw RecordStreamError.unreadable(file: url.path, reason: "cannot open") }
            return StreamTail(count: 0, lastHash: SealedLine.genesis, torn: nil)
        }
        defer { try? handle.close() }
        var prev = SealedLine.genesis
        var lineNo = 0
        var consumed = 0 // bytes of complete lines so far
        var pending: [UInt8] = []
        let newline = UInt8(ascii: "\n")
        reading: while limit.map({ lineNo < $0 }) ?? true {
            let chunk: Data
            do { chunk = try handle.read(upToCount: 1 << 20) ?? Data() } catch {
                throw RecordStreamError.unreadable(file: url.path, reason: "\(error)")
            }
            if chunk.isEmpty { break }
            pending.append(contentsOf: chunk)
            var start = 0
            while let nl = pending[start...].firstIndex(of: newline) {
                if let limit, lineNo >= limit { pending.removeAll(); break reading }
                lineNo += 1
                let line = pending[start..<nl]
                let hash: String
                switch SealedLine.check(line) {
                case let .success(h): hash = h
                case let .failure(e): throw RecordStreamError.brokenSeal(file: name, line: lineNo, reason: "\(e)")
                }
                let (seq, linePrev) = try header(of: line, file: name, line: lineNo)
                guard seq == lineNo else { throw RecordStreamError.badSequence(file: name, line: lineNo, expected: lineNo, found: seq) }
                guard linePrev == prev else {
                    throw RecordStreamError.brokenChain(file: name, line: lineNo, expectedPrev: prev, foundPrev: linePrev)
                }
                if let a = anchored[lineNo], a.seal != hash {
                    throw RecordStreamError.anchorMismatch(file: name, line: lineNo, anchor: a.place)
                }
                try each(Data(line), hash, lineNo)
                prev = hash
                consumed += nl + 1 - start
                start = nl + 1
            }
            pending.removeFirst(start)
        }
        if limit != nil { pending.removeAll() }
        return StreamTail(count: lineNo, lastHash: prev, torn: pending.isEmpty ? nil : TornTail(offset: consumed, bytes: Data(pending)))
    }

    /// Reads `seq` and `prev` from the fixed prefix every sealed line starts with.
    private static func header(of line: ArraySlice<UInt8>, file: String, line lineNo: Int) throws -> (Int, String) {
        // `{"seq":N,"prev":"<64>",` — written by SealedLine.seal, so a plain scan suffices.
        let bytes = Array(line.prefix(120))
        let seqTag = Array(#"{"seq":"#.utf8), prevTag = Array(#","prev":""#.utf8)
        guard bytes.starts(with: seqTag) else {
            throw RecordStreamError.undecodable(file: file, line: lineNo, reason: "does not start with seq")
        }
        var i = seqTag.count, seq = 0, digits = 0
        while i < bytes.count, (48...57).contains(bytes[i]) { seq = seq * 10 + Int(bytes[i] - 48); i += 1; digits += 1 }
        guard digits > 0, digits < 16, Array(bytes[i..<min(bytes.count, i + prevTag.count)]) == prevTag,
              bytes.count >= i + prevTag.count + 64 else {
            throw RecordStreamError.undecodable(file: file, line: lineNo, reason: "malformed seq/prev prefix")
        }
        let p = i + prevTag.count
        return (seq, String(decoding: bytes[p..<(p + 64)], as: UTF8.self))
    }
}

/// A record with its canonical payload, encoded where it was made so the single writer only seals and writes.
struct Encoded<R: StreamRecord>: Sendable {
    let record: R
    let payload: Data
    init(_ record: R) throws {
        self.record = record
        payload = try record.canonicalPayload()
    }
}

/// An append-only stream file: one sealed record per line, each written with a single `write(2)`.
///
/// Not thread-safe by design: each stream is owned by the run's journal actor.
final class RecordStream {
    let url: URL
    /// Stream name: the file name without `.jsonl`.
    var name: String { url.deletingPathExtension().lastPathComponent }
    private let fd: Int32
    private(set) var count: Int
    private(set) var lastHash: String
    private var unsynced = false

    /// Opens for appending after `tail` (the stream already read and verified, any torn tail handled).
    init(url: URL, tail: StreamTail) throws {
        self.url = url
        self.count = tail.count
        self.lastHash = tail.lastHash
        let fd = open(url.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw RecordStreamError.writeFailed(file: url.path, reason: String(cString: strerror(errno))) }
        self.fd = fd
    }

    deinit { close(fd) }

    /// Appends one record; returns its sequence number and seal.
    @discardableResult
    func append<R: StreamRecord>(_ record: R) throws -> (seq: Int, hash: String) {
        try append(Encoded(record))
    }

    /// Appends a record encoded beforehand (off the journal's actor); returns its sequence number and seal.
    @discardableResult
    func append<R: StreamRecord>(_ encoded: Encoded<R>) throws -> (seq: Int, hash: String) {
        try append([encoded])
        return (count, lastHash)
    }

    /// Appends records encoded beforehand, sealed and chained in order, with one `write(2)`.
    ///
    /// A process killed during the write leaves some whole lines and at most one torn line, which the
    /// next resume keeps in quarantine; a failed write is cut back so later appends follow a whole line.
    func append<R: StreamRecord>(_ batch: [Encoded<R>]) throws {
        guard !batch.isEmpty else { return }
        var buffer: [UInt8] = []
        buffer.reserveCapacity(batch.reduce(0) { $0 + $1.payload.count + 250 }) // once: growing per line would copy the batch each time
        var seq = count, prev = lastHash
        for encoded in batch {
            seq += 1
            prev = SealedLine.seal(seq: seq, prev: prev, schema: R.schema, payload: encoded.payload, appendingTo: &buffer)
            buffer.append(UInt8(ascii: "\n"))
        }
        let start = lseek(fd, 0, SEEK_END)
        try buffer.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    let reason = String(cString: strerror(errno))
                    if start >= 0 { ftruncate(fd, start) }
                    throw RecordStreamError.writeFailed(file: url.path, reason: reason)
                }
                offset += n
            }
        }
        count = seq
        lastHash = prev
        unsynced = true
    }

    /// Flushes to stable storage if anything was appended since the last sync; a failure is an error, since
    /// the anchor written next vouches for these records.
    func sync() throws {
        guard unsynced else { return }
        guard fsync(fd) == 0 else { throw RecordStreamError.writeFailed(file: url.path, reason: "fsync failed: \(String(cString: strerror(errno)))") }
        unsynced = false
    }

    /// The stream, offset and kept record count a quarantine file name holds (`kept` is nil in names from
    /// before it was recorded).
    static func parseQuarantineName(_ file: String) -> (stream: String, offset: Int, kept: Int?)? {
        guard file.hasSuffix(".torn") else { return nil }
        let parts = file.dropLast(5).components(separatedBy: "-at-")
        guard parts.count == 2 else { return nil }
        let fields = parts[1].split(separator: "-")
        guard let offset = fields.first.flatMap({ Int($0) }) else { return nil }
        let kept = fields.count == 3 && fields[1].hasPrefix("k") ? Int(fields[1].dropFirst()) : nil
        return (parts[0], offset, kept)
    }

    /// Moves a torn tail out of the stream into `quarantine`, keeping its exact bytes.
    ///
    /// Returns the quarantine file name. The stream is cut back to its last complete line, so
    /// the chain can continue; the bytes are never dropped, and the caller records the event.
    static func quarantine(_ torn: TornTail, kept: Int, of url: URL, into dir: URL) throws -> String {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        // The name carries what the session record will: a crash before that record leaves a file that says it all.
        let name = "\(url.deletingPathExtension().lastPathComponent)-at-\(torn.offset)-k\(kept)-\(Digest.sha256(torn.bytes).prefix(12)).torn"
        let dest = dir.appendingPathComponent(name)
        try torn.bytes.write(to: dest, options: .atomic)
        let qfd = open(dest.path, O_RDONLY)
        if qfd >= 0 { fsync(qfd); close(qfd) }
        guard truncate(url.path, off_t(torn.offset)) == 0 else {
            throw RecordStreamError.writeFailed(file: url.path, reason: "cannot cut torn tail: \(String(cString: strerror(errno)))")
        }
        return name
    }
}
