import Foundation

/// One question of a benchmark, with its gold answer.
public struct Item: Sendable, Equatable {
    /// 0-based position in the dataset file.
    public let index: Int
    public let id: String
    public let question: String
    /// The gold answer; for a multiple-choice item, the original index of the correct option.
    public let gold: String
    /// Every field of the row as template text: strings as they are, a list of strings one per line, other values as JSON.
    public let fields: [String: String]
    /// Every field of the row with its JSON type, for graders (MBPP's `test_list` stays a list).
    public var row: [String: JSONNode] = [:]
    /// A multiple-choice item's options, in dataset order.
    public var choices: [String]? = nil
    /// The order the prompt shows the options in (original indices); the identity unless the sweep shuffles them.
    public var choiceOrder: [Int]? = nil

    /// What the grader is handed: the gold, the options as shown, the typed row.
    public var grading: GradingItem {
        let order = choiceOrder ?? choices.map { Array($0.indices) }
        return GradingItem(gold: gold, choices: choices.map { c in order!.map { c[$0] } }, choiceOrder: order, fields: row)
    }

    /// The options as the prompt lists them: `A. text`, one per line, in the shown order.
    public var choiceLines: String? {
        guard let grading = grading.choices else { return nil }
        return grading.enumerated().map { "\(MultipleChoice.letter($0.offset)). \($0.element)" }.joined(separator: "\n")
    }
}

/// A benchmark's items, read from the data directory and checked against the registry's sha256.
public struct Dataset: Sendable {
    public let benchmark: BenchmarkEntry
    public let items: [Item]
    /// sha256 of the file as read.
    public let sha256: String

    /// Reads `dataDir/benchmark.file` (or `registry/fixtures/benchmark.file` for a fixture the project ships);
    /// refuses a file whose sha256 differs from the registry's.
    public static func load(_ benchmark: BenchmarkEntry, dataDir: URL, registryDir: URL? = nil) throws -> Dataset {
        let base = benchmark.root == .registry ? (registryDir ?? URL(fileURLWithPath: "registry")).appendingPathComponent("fixtures") : dataDir
        let url = base.appendingPathComponent(benchmark.file)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw RegistryError.datasetMissing(benchmark: benchmark.id, path: url.path)
        }
        let sha = Digest.sha256(data)
        guard sha == benchmark.sha256 else {
            throw RegistryError.datasetHashMismatch(file: url.path, expected: benchmark.sha256, actual: sha)
        }
        var rows = data
        if benchmark.format == "jsonl.gz" {
            guard let plain = Gzip.decompress(data) else {
                throw RegistryError.datasetLine(file: url.path, line: 0, reason: "not a complete gzip file (format jsonl.gz)")
            }
            rows = plain
        }
        let goldRegex = try benchmark.goldPattern.map { try NSRegularExpression(pattern: $0, options: [.anchorsMatchLines]) }
        var items: [Item] = []
        var seen = Set<String>()
        for (n, row) in try JSONLines.objects(in: rows, file: url.path).enumerated() {
            let line = n + 1
            if let shape = benchmark.shape { try shape.check(row, file: url.path, line: line) }
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
            let choices = try benchmark.choicesFields.map { try Self.choices(row, fields: $0, file: url.path, line: line) }
            var gold = benchmark.goldField.isEmpty ? "" : try text(benchmark.goldField)
            if let choices {
                guard let index = Self.optionIndex(gold, choices) else {
                    throw RegistryError.datasetLine(file: url.path, line: line,
                                                    reason: "field '\(benchmark.goldField)' ('\(gold)') is neither a letter, an index nor the text of one of the \(choices.count) options")
                }
                gold = String(index)
            }
            if let regex = goldRegex {
                let ns = gold as NSString
                guard let m = regex.matches(in: gold, range: NSRange(location: 0, length: ns.length)).last, m.numberOfRanges > 1,
                      m.range(at: 1).location != NSNotFound else {
                    throw RegistryError.datasetLine(file: url.path, line: line, reason: "gold pattern does not match field '\(benchmark.goldField)'")
                }
                gold = ns.substring(with: m.range(at: 1)).trimmingCharacters(in: .whitespaces)
            }
            var item = Item(index: n, id: id, question: try text(benchmark.questionField), gold: gold, fields: row.mapValues(Self.templateText))
            item.row = row
            item.choices = choices
            items.append(item)
        }
        return Dataset(benchmark: benchmark, items: items, sha256: sha)
    }

    /// A field as a template shows it: a string as is, a list of strings one per line, anything else as canonical JSON.
    static func templateText(_ node: JSONNode) -> String {
        if let s = node.string { return s }
        if let list = node.items, list.allSatisfy({ $0.string != nil }) { return list.map { $0.string! }.joined(separator: "\n") }
        return String(decoding: JSONWriter.bytes(node), as: UTF8.self)
    }

    /// The options of a row: one field holding a list of texts, or several fields holding one text each.
    static func choices(_ row: [String: JSONNode], fields: [String], file: String, line: Int) throws -> [String] {
        var out: [String] = []
        if fields.count == 1 {
            guard let list = row[fields[0]]?.items else {
                throw RegistryError.datasetLine(file: file, line: line, reason: "field '\(fields[0])' is missing or not a list of options")
            }
            for (i, o) in list.enumerated() {
                guard let s = o.text, !s.trimmingCharacters(in: .whitespaces).isEmpty else {
                    throw RegistryError.datasetLine(file: file, line: line, reason: "field '\(fields[0])'[\(i)] is not a non-empty text")
                }
                out.append(s)
            }
        } else {
            for f in fields {
                guard let s = row[f]?.text, !s.trimmingCharacters(in: .whitespaces).isEmpty else {
                    throw RegistryError.datasetLine(file: file, line: line, reason: "field '\(f)' (an option) is missing, empty or not text")
                }
                out.append(s)
            }
        }
        guard (2...26).contains(out.count) else {
            throw RegistryError.datasetLine(file: file, line: line, reason: "\(out.count) options; a multiple-choice item needs 2 to 26")
        }
        guard Set(out).count == out.count else {
            throw RegistryError.datasetLine(file: file, line: line, reason: "two options have the same text, so an answer quoting it could not be placed")
        }
        return out
    }

    /// `C`, `(C)`, `2` or the text of exactly one option → its index.
    static func optionIndex(_ gold: String, _ choices: [String]) -> Int? {
        let g = gold.trimmingCharacters(in: .whitespaces)
        if let i = Int(g) { return choices.indices.contains(i) ? i : nil }
        let letter = g.trimmingCharacters(in: CharacterSet(charactersIn: "()"))
        if letter.count == 1, let a = letter.uppercased().first?.asciiValue, a >= 65, Int(a) - 65 < choices.count { return Int(a) - 65 }
        let hits = choices.indices.filter { choices[$0] == g }
        return hits.count == 1 ? hits[0] : nil
    }
}

extension RowShape {
    /// Throws, naming file, line and field, unless the row holds every field this shape needs with its type:
    /// the tests, as the code grader reads them (`CodeProblem`), and the reference solution.
    func check(_ row: [String: JSONNode], file: String, line: Int) throws {
        func fail(_ field: String, _ why: String) -> RegistryError { .datasetLine(file: file, line: line, reason: "field '\(field)' \(why)") }
        let problem: CodeProblem
        do { problem = try CodeProblem(row: row) } catch { throw fail(error.field, error.why) }
        switch (self, problem) {
        case (.humaneval, .function(.humaneval)):
            guard row["canonical_solution"]?.string != nil else { throw fail("canonical_solution", "is missing or not text") }
        case (.mbpp, .function(.mbpp)):
            guard row["code"]?.string != nil else { throw fail("code", "is missing or not text") }
        case (.stdio, .stdio): break
        default: throw fail(self == .stdio ? "tests" : self == .mbpp ? "test_list" : "test", "is missing: the row is not a \(rawValue) problem")
        }
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
