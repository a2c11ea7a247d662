import Crypto
import Foundation

/// The on-disk form of one record: a JSON object that carries its own SHA-256 as its last key.
///
/// A line is `{"seq":N,"prev":"<hash>","schema":S,<payload keys sorted>,"sha256":"<hash>"}`.
/// The seal is the SHA-256 of the same bytes with the `,"sha256":"…"` suffix removed (so the body
/// ends in `}`). Verifying needs no JSON re-encoding: strip the suffix, hash, compare. A change to
/// any byte of a line breaks its seal; a change to a whole line breaks the next line's `prev`.
public enum SealedLine {
    static let suffixHead = Array(#","sha256":""#.utf8)
    /// Length of `,"sha256":"` + 64 hex + `"}`.
    static let suffixLength = suffixHead.count + 64 + 2
    /// `prev` of the first record of a stream.
    public static let genesis = String(repeating: "0", count: 64)

    /// Builds a sealed line (without the newline) from an encoded payload object.
    static func seal(seq: Int, prev: String, schema: Int, payload: Data) -> (line: Data, hash: String) {
        var line: [UInt8] = []
        line.reserveCapacity(payload.count + 120 + suffixLength)
        let hash = seal(seq: seq, prev: prev, schema: schema, payload: payload, appendingTo: &line)
        return (Data(line), hash)
    }

    /// Appends a sealed line (without the newline) to `buffer`, so a batch of lines needs one buffer; returns its seal.
    static func seal(seq: Int, prev: String, schema: Int, payload: Data, appendingTo buffer: inout [UInt8]) -> String {
        let start = buffer.count
        buffer.append(contentsOf: #"{"seq":"#.utf8)
        buffer.append(contentsOf: String(seq).utf8)
        buffer.append(contentsOf: #","prev":""#.utf8)
        buffer.append(contentsOf: prev.utf8)
        buffer.append(contentsOf: #"","schema":"#.utf8)
        buffer.append(contentsOf: String(schema).utf8)
        if payload.count > 2 {
            buffer.append(UInt8(ascii: ","))
            payload.withUnsafeBytes { raw in buffer.append(contentsOf: UnsafeBufferPointer(rebasing: raw.bindMemory(to: UInt8.self)[1...])) }
        } else {
            buffer.append(UInt8(ascii: "}"))
        }
        var hasher = SHA256()
        buffer.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[start...])) }
        let hash = Digest.hex(hasher.finalize())
        buffer.removeLast()
        buffer.append(contentsOf: suffixHead)
        buffer.append(contentsOf: hash.utf8)
        buffer.append(contentsOf: #""}"#.utf8)
        return hash
    }

    /// Checks a line's seal and returns its hash, or says why it is broken.
    static func check<Bytes: RandomAccessCollection>(_ line: Bytes) -> Result<String, SealError>
    where Bytes.Element == UInt8, Bytes.Index == Int {
        guard line.count > suffixLength + 2 else { return .failure(.tooShort) }
        let end = line.endIndex
        let suffixStart = end - suffixLength
        guard line[end - 1] == UInt8(ascii: "}"), line[end - 2] == UInt8(ascii: "\""),
              line.first == UInt8(ascii: "{"),
              Array(line[suffixStart..<(suffixStart + suffixHead.count)]) == suffixHead
        else { return .failure(.noSeal) }
        let claimed = String(decoding: line[(suffixStart + suffixHead.count)..<(end - 2)], as: UTF8.self)
        guard Digest.isHex64(claimed) else { return .failure(.noSeal) }
        var hasher = SHA256()
        line[line.startIndex..<suffixStart].withContiguousStorageIfAvailable { hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }
            ?? hasher.update(data: Array(line[line.startIndex..<suffixStart]))
        hasher.update(data: [UInt8(ascii: "}")])
        let actual = Digest.hex(hasher.finalize())
        return actual == claimed ? .success(actual) : .failure(.mismatch(claimed: claimed, actual: actual))
    }

    enum SealError: Error, CustomStringConvertible {
        case tooShort, noSeal, mismatch(claimed: String, actual: String)
        var description: String {
            switch self {
            case .tooShort: "line too short to be a sealed record"
            case .noSeal: "line does not end in a \"sha256\" seal"
            case let .mismatch(claimed, actual): "content does not match its seal (sealed \(claimed.prefix(12))…, content hashes to \(actual.prefix(12))…)"
            }
        }
    }
}
