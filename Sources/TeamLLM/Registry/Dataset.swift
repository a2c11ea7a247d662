import Foundation

/// One question of a benchmark, with its gold answer.
public struct Item: Sendable, Equatable {
    /// 0-based position in the dataset file.
    public let index: Int
    public let id: String
    public let question: String
    public let gold: String
    /// All string fields of the row, for template placeholders.
    public let fields: [String: String]
}

/// A benchmark's items, read from the data directory and checked against the registry's sha256.
public struct Dataset: Sendable {
    public let benchmark: BenchmarkEntry
    public let items: [Item]
    /// sha256 of the file as read.
    public let sha256: String

    /// Reads `dataDir/benchmark.file`; refuses a file whose sha256 differs from the registry's.
    public static func load(_ benchmark: BenchmarkEntry, dataDir: URL) throws -> Dataset {
        let url = dataDir.appendingPathComponent(benchmark.file)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw RegistryError.datasetMissing(benchmark: benchmark.id, path: url.path)
        }
        let sha = Digest.sha256(data)
        guard sha == benchmark.sha256 else {
            throw RegistryError.datasetHashMismatch(file: url.path, expected: benchmark.sha256, actual: sha)
        }
        let goldRegex = try benchmark.goldPattern.map { try NSRegularExpression(pattern: $0, options: [.anchorsMatchLines]) }
        var items: [Item] = []
        var seen = Set<String>()
        for (n, row) in try JSONLines.objects(in: data, file: url.path).enumerated() {
            let line = n + 1
            func text(_ key: String) throws -> String {
                guard let s = row[key]?.text else {
                    throw RegistryError.datasetLine(file: url.path, line: line, reason: "field '\(key)' is missing or not text")
                }
                return s
            }
            let id = try benchmark.idField.map(text) ?? String(n)
            guard !id.contains("/"), !id.isEmpty, seen.insert(id).inserted else {
                throw RegistryError.datasetLine(file: url.path, line: line, reason: "item id '\(id)' is empty, repeated or contains '/'")
            }
            var gold = try text(benchmark.goldField)
            if let regex = goldRegex {
                let ns = gold as NSString
                guard let m = regex.matches(in: gold, range: NSRange(location: 0, length: ns.length)).last, m.numberOfRanges > 1,
                      m.range(at: 1).location != NSNotFound else {
                    throw RegistryError.datasetLine(file: url.path, line: line, reason: "gold pattern does not match field '\(benchmark.goldField)'")
                }
                gold = ns.substring(with: m.range(at: 1)).trimmingCharacters(in: .whitespaces)
            }
            var fields: [String: String] = [:]
            for (k, v) in row { if let s = v.string { fields[k] = s } }
            items.append(Item(index: n, id: id, question: try text(benchmark.questionField), gold: gold, fields: fields))
        }
        return Dataset(benchmark: benchmark, items: items, sha256: sha)
    }
}

/// Reading JSON Lines written by others: every line must be one JSON object.
enum JSONLines {
    /// The objects of a JSONL file; a bad line is reported with its number and why. A final line without newline is accepted.
    static func objects(in data: Data, file: String) throws -> [[String: JSONNode]] {
        var out: [[String: JSONNode]] = []
        let bytes = [UInt8](data)
        var line = 0
        var start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0 // a UTF-8 byte order mark is not part of the first object
        while start < bytes.count {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            line += 1
            let chunk = bytes[start..<end]
            start = end + 1
            if chunk.allSatisfy({ $0 == 32 || $0 == 13 || $0 == 9 }) { continue }
            let node: JSONNode
            do { node = try JSONParser.parse(chunk) } catch {
                throw RegistryError.datasetLine(file: file, line: line, reason: "not JSON (\(error))")
            }
            guard let obj = node.members else { throw RegistryError.datasetLine(file: file, line: line, reason: "not a JSON object") }
            out.append(obj)
        }
        return out
    }
}
