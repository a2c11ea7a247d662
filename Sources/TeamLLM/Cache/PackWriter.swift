import Foundation
import Synchronization

/// Appends bodies to the newest pack. A lock orders appends within this process; O_APPEND orders
/// them between processes, and the fd's offset after a write tells where the entry landed.
final class PackWriter: Sendable {
    private let dir: URL
    private let state = Mutex<(number: Int, fd: Int32)>((0, -1))

    init(dir: URL) { self.dir = dir }

    deinit { state.withLock { if $0.fd >= 0 { close($0.fd) } } }

    /// Appends entries with one `write(2)`; returns each one's pack number and the offset of its header.
    func append(_ bodies: [(body: Data, hash: String)], limit: off_t) throws -> [(pack: Int, offset: Int)] {
        guard !bodies.isEmpty else { return [] }
        var entries = Data()
        var starts: [Int] = []
        for (body, hash) in bodies {
            starts.append(entries.count)
            entries.append(contentsOf: "TLLMBODY \(hash) \(body.count)\n".utf8)
            entries.append(body)
            entries.append(UInt8(ascii: "\n"))
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
            try entries.withUnsafeBytes { raw in
                // One write(2): with O_APPEND the whole batch lands contiguously even with other writers.
                let n = write(fd, raw.baseAddress!, raw.count)
                guard n == raw.count else {
                    throw CacheError.database("append to pack \(s.number) failed: \(n < 0 ? String(cString: strerror(errno)) : "short write")")
                }
            }
            let base = Int(lseek(fd, 0, SEEK_CUR)) - entries.count
            return starts.map { (s.number, base + $0) }
        }
    }

    /// Flushes the open pack to stable storage.
    func sync() { state.withLock { if $0.fd >= 0 { fsync($0.fd) } } }
}
