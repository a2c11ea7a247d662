import Foundation

/// A model a sweep can name: its identity, snapshot and price, and how offline providers reach it.
public struct ModelEntry: Codable, Equatable, Sendable {
    public let id: String
    /// OpenRouter slug (for recorded or simulated models, the slug they are filed under).
    public let slug: String
    /// Dated snapshot of the model, as published.
    public let snapshot: String
    public let family: String
    public let tier: String
    public let inputPerMTok: USD
    public let outputPerMTok: USD
    /// The date the price was read from its source.
    public let priceReadOn: String
    /// Recording and key that replay this model, if any.
    public let replay: ReplaySource?

    public struct ReplaySource: Codable, Equatable, Sendable {
        public let recording: String
        public let key: String
    }
}

/// A benchmark: its dataset file, how to read an item, how to prompt and how to grade.
public struct BenchmarkEntry: Codable, Equatable, Sendable {
    public let id: String
    /// Path of the dataset file inside the data directory.
    public let file: String
    public let sha256: String
    /// `jsonl`, or `jsonl.gz` for a file published gzipped (the sha256 is of the file as published).
    public let format: String
    /// Field holding the item id; nil means the 0-based line index.
    public let idField: String?
    public let questionField: String
    /// Field holding the gold answer; empty for a benchmark graded by its tests alone (stdin/stdout problems).
    public let goldField: String
    /// Regex whose first capture group is the gold answer inside `goldField`; nil means the whole field.
    public let goldPattern: String?
    /// What an answer looks like: number, boxed, letter or program.
    public let answerFormat: AnswerFormat
    public let template: String
    /// `name@version` of the grader (a bare name in benchmarks.yaml is the newest version this build has).
    public let grader: String
    /// The field holding a list of options, or the fields holding one option each (multiple choice).
    public var choicesFields: [String]? = nil
    /// Where `file` is found; nil is the data directory.
    public var root: DatasetRoot? = nil
    /// Fields every row of a code benchmark must hold, with their types; nil for none beyond id, question and gold.
    public var shape: RowShape? = nil
}

/// The fields a code benchmark's graders will need, checked on every row when the file is read.
public enum RowShape: String, Codable, Sendable, CaseIterable {
    /// HumanEval: `prompt`, `canonical_solution`, `test` and `entry_point`, all text.
    case humaneval
    /// MBPP: `code` (text) and `test_list` (a non-empty list of texts); `test_imports` a list of texts if present.
    case mbpp
    /// stdin/stdout problems (code_contests, LiveCodeBench style): `tests`, a non-empty list of `{input, output}`
    /// texts; `time_limit_s` and `memory_limit_mb`, positive numbers.
    case stdio
}

/// Where a benchmark's dataset file lives.
public enum DatasetRoot: String, Codable, Sendable, CaseIterable {
    /// The data directory (`--data-dir`, `TEAMLLM_DATA_DIR`): real benchmark files, never committed.
    case data
    /// `registry/fixtures/`: small files this project wrote itself for formats with no real file here.
    case registry
}

/// The shape of a benchmark's answers, used by graders and the simulated provider.
public enum AnswerFormat: String, Codable, Sendable, CaseIterable {
    case number, boxed, letter, program
}

/// Recorded real outputs of models on one benchmark.
public struct RecordingEntry: Codable, Equatable, Sendable {
    public let id: String
    public let benchmark: String
    public let file: String
    public let sha256: String
    /// Field of a recording row that equals the item's question field.
    public let matchField: String
    /// Field inside each model's object holding the response text.
    public let solutionField: String
    /// Field inside each model's object holding the publisher's correctness label, if any.
    public let labelField: String?
}

/// A prompt template: plain text with `{{field}}` placeholders filled from the item.
public struct PromptTemplate: Codable, Equatable, Sendable {
    public let name: String
    public let text: String
    /// sha256 of the template text.
    public var hash: String { Digest.sha256(text) }

    /// The chat messages for one item; every placeholder must be known.
    public func render(_ fields: [String: String]) throws -> [ChatMessage] {
        // A byte scan: Foundation's `range(of:)` made rendering a visible part of a cell's cost.
        let open = Array("{{".utf8), close = Array("}}".utf8)
        var out = [UInt8]()
        var t = text
        try t.withUTF8 { b in
            var i = 0
            func find(_ pattern: [UInt8], from start: Int) -> Int? {
                var j = start
                while j + 1 < b.count { if b[j] == pattern[0] && b[j + 1] == pattern[1] { return j }; j += 1 }
                return nil
            }
            while let o = find(open, from: i) {
                out.append(contentsOf: b[i..<o])
                guard let c = find(close, from: o + 2) else { throw RegistryError.template(name, "unclosed '{{'") }
                let key = String(decoding: b[(o + 2)..<c], as: UTF8.self).trimmingCharacters(in: .whitespaces)
                guard let value = fields[key] else { throw RegistryError.template(name, "unknown placeholder '{{\(key)}}'") }
                out.append(contentsOf: value.utf8)
                i = c + 2
            }
            out.append(contentsOf: b[i...])
        }
        return [ChatMessage(role: "user", content: String(decoding: out, as: UTF8.self))]
    }
}

/// One chat message as sent to a provider.
public struct ChatMessage: Codable, Equatable, Sendable {
    public let role: String
    public let content: String

    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }
}

/// Problems with the registry itself or a dataset it points at.
public enum RegistryError: Error, CustomStringConvertible, Equatable {
    case template(String, String)
    case unknown(kind: String, ref: String, known: [String])
    case datasetMissing(benchmark: String, path: String)
    case datasetHashMismatch(file: String, expected: String, actual: String)
    case datasetLine(file: String, line: Int, reason: String)

    public var description: String {
        switch self {
        case let .template(name, why): "template '\(name)': \(why)"
        case let .unknown(kind, ref, known): "unknown \(kind) '\(ref)'; the registry has: \(known.joined(separator: ", "))"
        case let .datasetMissing(b, path): "dataset for benchmark '\(b)' not found at \(path) (set --data-dir or TEAMLLM_DATA_DIR)"
        case let .datasetHashMismatch(file, expected, actual):
            "dataset \(file) has sha256 \(actual) but the registry expects \(expected); refusing to use a different file"
        case let .datasetLine(file, line, reason): "\(file):\(line): \(reason)"
        }
    }
}

/// Everything under `registry/`: models, benchmarks, recordings and templates.
public struct Registry: Sendable {
    public internal(set) var models: [String: ModelEntry]
    public let benchmarks: [String: BenchmarkEntry]
    public let recordings: [String: RecordingEntry]
    public let templates: [String: PromptTemplate]
    /// The registry folder it was read from.
    public let root: URL

    /// Loads `models.yaml`, `benchmarks.yaml`, `recordings.yaml` and `templates/*.txt`.
    public static func load(from root: URL) throws -> Registry {
        let models = try YAMLValue.load(root.appendingPathComponent("models.yaml")).table().map { id, v in
            try checkID(id, in: v)
            let m = try v.mapping(allowed: ["slug", "snapshot", "family", "tier", "price", "replay"])
            let p = try m.required("price").mapping(allowed: ["input_per_mtok", "output_per_mtok", "read_on"])
            let replay = try m.optional("replay").map { r in
                let rm = try r.mapping(allowed: ["recording", "key"])
                return ModelEntry.ReplaySource(recording: try rm.required("recording").string(), key: try rm.required("key").string())
            }
            return ModelEntry(id: id, slug: try m.required("slug").string(), snapshot: try m.required("snapshot").string(),
                              family: try m.required("family").string(), tier: try m.required("tier").string(),
                              inputPerMTok: try p.required("input_per_mtok").usd(), outputPerMTok: try p.required("output_per_mtok").usd(),
                              priceReadOn: try p.required("read_on").string(), replay: replay)
        }
        let benchmarks = try YAMLValue.load(root.appendingPathComponent("benchmarks.yaml")).table().map { id, v in
            try checkID(id, in: v)
            let m = try v.mapping(allowed: ["file", "sha256", "format", "fields", "gold_pattern", "answer_format", "template", "grader", "root", "shape"])
            let f = try m.required("fields").mapping(allowed: ["id", "question", "gold", "choices"])
            // One field holding the list of options, or a list of fields holding one option each.
            let choices = try f.optional("choices").map { c -> [String] in
                if let list = try? c.list() { return try list.map { try $0.string() } }
                return [try c.string()]
            }
            let datasetRoot = try m.optional("root")?.one(of: DatasetRoot.self)
            // A bare grader name means the newest version this build has, frozen with the run as `name@version`.
            let graderValue = try m.required("grader")
            var grader = try graderValue.string()
            if !grader.contains("@"), let newest = GraderCatalog.entry(named: grader) { grader = newest.identity.description }
            let format = try m.required("format").string()
            guard format == "jsonl" || format == "jsonl.gz" else { throw try m.required("format").error("expected 'jsonl' or 'jsonl.gz'") }
            let shape = try m.optional("shape")?.one(of: RowShape.self)
            let sha = try m.required("sha256").string()
            guard Digest.isHex64(sha) else { throw try m.required("sha256").error("expected 64 lowercase hex characters") }
            let answerFormat = try m.required("answer_format").one(of: AnswerFormat.self)
            if let pattern = m.optional("gold_pattern") {
                guard (try? NSRegularExpression(pattern: try pattern.string(), options: [.anchorsMatchLines])) != nil else {
                    throw pattern.error("not a valid regular expression")
                }
            }
            return BenchmarkEntry(id: id, file: try m.required("file").string(), sha256: sha, format: format,
                                  idField: try f.optional("id")?.string(), questionField: try f.required("question").string(),
                                  goldField: try f.optional("gold")?.string() ?? "", goldPattern: try m.optional("gold_pattern")?.string(),
                                  answerFormat: answerFormat, template: try m.required("template").string(),
                                  grader: grader, choicesFields: choices, root: datasetRoot, shape: shape)
        }
        let recordings = try YAMLValue.load(root.appendingPathComponent("recordings.yaml")).table().map { id, v in
            let m = try v.mapping(allowed: ["benchmark", "file", "sha256", "match_field", "solution_field", "label_field"])
            return RecordingEntry(id: id, benchmark: try m.required("benchmark").string(), file: try m.required("file").string(),
                                  sha256: try m.required("sha256").string(), matchField: try m.required("match_field").string(),
                                  solutionField: try m.required("solution_field").string(),
                                  labelField: try m.optional("label_field")?.string())
        }
        let templateDir = root.appendingPathComponent("templates")
        var templates: [String: PromptTemplate] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: templateDir.path)) ?? [] where name.hasSuffix(".txt") {
            let text = try String(contentsOf: templateDir.appendingPathComponent(name), encoding: .utf8)
            let id = String(name.dropLast(4))
            templates[id] = PromptTemplate(name: id, text: text)
        }
        let registry = Registry(models: Dictionary(uniqueKeysWithValues: models.map { ($0.id, $0) }),
                                benchmarks: Dictionary(uniqueKeysWithValues: benchmarks.map { ($0.id, $0) }),
                                recordings: Dictionary(uniqueKeysWithValues: recordings.map { ($0.id, $0) }),
                                templates: templates, root: root)
        try registry.checkReferences()
        return registry
    }

    /// Ids become parts of cell ids (`benchmark/item/model/sample`) and of plan.tsv, so they are kept plain.
    static func checkID(_ id: String, in value: YAMLValue) throws {
        guard !id.isEmpty, id.utf8.allSatisfy({ (97...122).contains($0) || (65...90).contains($0) || (48...57).contains($0) || $0 == 45 || $0 == 95 || $0 == 46 }) else {
            throw value.error("'\(id)' is not a usable id: use letters, digits, '-', '_' and '.' only")
        }
    }

    private func checkReferences() throws {
        for b in benchmarks.values.sorted(by: { $0.id < $1.id }) where templates[b.template] == nil {
            throw RegistryError.unknown(kind: "template (benchmark '\(b.id)')", ref: b.template, known: templates.keys.sorted())
        }
        for m in models.values.sorted(by: { $0.id < $1.id }) {
            if let r = m.replay, recordings[r.recording] == nil {
                throw RegistryError.unknown(kind: "recording (model '\(m.id)')", ref: r.recording, known: recordings.keys.sorted())
            }
        }
    }

    func model(_ ref: String) throws -> ModelEntry {
        guard let m = models[ref] else { throw RegistryError.unknown(kind: "model", ref: ref, known: models.keys.sorted()) }
        return m
    }

    func benchmark(_ ref: String) throws -> BenchmarkEntry {
        guard let b = benchmarks[ref] else { throw RegistryError.unknown(kind: "benchmark", ref: ref, known: benchmarks.keys.sorted()) }
        return b
    }
}
