import Foundation
import Synchronization

/// The entries of a pack file. Each is a header line, its bytes and a newline:
/// - `TLLMBODY <sha256> <length>\n<body>\n`: a response body, found through the `bodies` table;
/// - `TLLMRESP <request key> <length>\n<canonical JSON of a PackedResponse>\n`: everything the `responses` row of a
///   stored response holds, written in the same `write(2)` as its body, before the row is committed.
/// So a pack describes itself: entries a crash left unindexed are indexed again on the next open.
enum PackEntry {
    static let bodyTag = "TLLMBODY"
    static let responseTag = "TLLMRESP"

    /// The header line of a body entry.
    static func bodyHeader(hash: String, length: Int) -> Data { Data("\(bodyTag) \(hash) \(length)\n".utf8) }

    static func body(_ body: Data, hash: String) -> Data {
        var d = bodyHeader(hash: hash, length: body.count)
        d.append(body)
        d.append(UInt8(ascii: "\n"))
        return d
    }

    static func response(_ json: Data, key: String) -> Data {
        var d = Data("\(responseTag) \(key) \(json.count)\n".utf8)
        d.append(json)
        d.append(UInt8(ascii: "\n"))
        return d
    }
}

/// The `responses` row of a stored response, as a pack entry carries it.
struct PackedResponse: Codable, Sendable {
    let requestKey: String
    /// The canonical request (UTF-8 JSON), whose sha256 is `requestKey`.
    let request: String
    let responseHash: String
    let answerText: String
    let originRun: String
    let originAttempt: String
    let metering: String
    let rowHash: String
    enum CodingKeys: String, CodingKey {
        case request, metering
        case requestKey = "request_key", responseHash = "response_hash", answerText = "answer_text", originRun = "origin_run"
        case originAttempt = "origin_attempt", rowHash = "row_hash"
    }
}

/// Appends entries to the newest pack. A lock orders appends within this process; O_APPEND orders
/// them between processes, and the fd's offset after a write tells where the entry landed.
final class PackWriter: Sendable {
    private let dir: URL
    private let state = Mutex<(number: Int, fd: Int32)>((0, -1))

    init(dir: URL) { self.dir = dir }

    deinit { state.withLock { if $0.fd >= 0 { close($0.fd) } } }

    /// Appends encoded entries (`PackEntry`) with one `write(2)`; returns the pack number and each one's offset.
    ///
    /// `heal` is shown the pack and its size first and may name an offset to cut it back to: the start of an
    /// incomplete entry a killed process left mid-write, which later entries must not follow. Callers append
    /// only inside the cache's write transaction, so no other process appends meanwhile. A failed write is
    /// cut back too, so the pack always ends in whole entries.
    func append(_ chunks: [Data], limit: off_t, heal: (_ pack: Int, _ size: Int) throws -> Int?) throws -> [(pack: Int, offset: Int)] {
        guard !chunks.isEmpty else { return [] }
        var entries = Data()
        entries.reserveCapacity(chunks.reduce(0) { $0 + $1.count })
        var starts: [Int] = []
        for chunk in chunks {
            starts.append(entries.count)
            entries.append(chunk)
        }
        return try state.withLock { s in
            if s.fd < 0 || lseek(s.fd, 0, SEEK_END) > limit {
                if s.fd >= 0 { fsync(s.fd); close(s.fd) } // entries written since the last group commit must not be lost on rollover
                let existing = ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [])
                    .compactMap { $0.hasSuffix(".pack") ? Int($0.dropLast(5)) : nil }.max() ?? 1
                var number = max(existing, s.number, 1)
                var fd = open(dir.appendingPathComponent(String(format: "%06d.pack", number)).path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
                if fd >= 0, lseek(fd, 0, SEEK_END) > limit {
                    close(fd)
                    number += 1
                    fd = open(dir.appendingPathComponent(String(format: "%06d.pack", number)).path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
                }
                guard fd >= 0 else { throw CacheError.database("cannot open pack in \(dir.path): \(String(cString: strerror(errno)))") }
                s = (number, fd)
            }
            let fd = s.fd
            var size = Int(lseek(fd, 0, SEEK_END))
            if let cut = try heal(s.number, size), cut < size {
                guard ftruncate(fd, off_t(cut)) == 0 else {
                    throw CacheError.database("cannot cut pack \(s.number) back to byte \(cut): \(String(cString: strerror(errno)))")
                }
                size = cut
            }
            try entries.withUnsafeBytes { raw in
                // One write(2): with O_APPEND the whole batch lands contiguously.
                let n = write(fd, raw.baseAddress!, raw.count)
                guard n == raw.count else {
                    let reason = n < 0 ? String(cString: strerror(errno)) : "short write (\(n) of \(raw.count) bytes)"
                    ftruncate(fd, off_t(size))
                    throw CacheError.database("append to pack \(s.number) failed: \(reason)")
                }
            }
            let base = Int(lseek(fd, 0, SEEK_CUR)) - entries.count
            return starts.map { (s.number, base + $0) }
        }
    }

    /// Flushes the open pack to stable storage.
    func sync() throws {
        try state.withLock { s in
            if s.fd >= 0, fsync(s.fd) != 0 {
                throw CacheError.database("fsync of pack \(s.number) in \(dir.path) failed: \(String(cString: strerror(errno)))")
            }
        }
    }
}

/// A pack opened for reading (closed when released): every read of pack bytes goes through here.
final class PackFile {
    let url: URL
    let size: Int
    private let fd: Int32

    init(_ url: URL) throws {
        fd = open(url.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw CacheError.missingFile(url.path) }
        self.url = url
        size = Int(lseek(fd, 0, SEEK_END))
    }

    deinit { close(fd) }

    /// `count` bytes at `offset`; the file must hold them all.
    func read(_ offset: Int, _ count: Int) throws -> Data {
        var buffer = Data(count: count)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, count, off_t(offset)) }
        guard n == count else {
            throw CacheError.corruptFile(path: "\(url.lastPathComponent) at byte \(offset)", expected: "\(count) bytes", actual: "\(max(n, 0))")
        }
        return buffer
    }
}
