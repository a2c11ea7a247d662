import Foundation
import Testing
@testable import TeamLLM

@Suite("benchmark formats: loaders, typed fields, prompts, and malformed rows named by file, line and field")
struct BenchmarkFormatTests {
    let registry: Registry
    init() throws { registry = try Fixtures.registry() }

    func load(_ id: String) throws -> Dataset {
        try Dataset.load(try #require(registry.benchmarks[id]), dataDir: Fixtures.dataDir, registryDir: Fixtures.registryDir)
    }

    /// A benchmark entry over a file written in a temporary folder, hashed as it was written.
    func entry(_ lines: [String], format: String = "jsonl", gzip: Data? = nil, fields: (q: String, gold: String), choices: [String]? = nil,
               shape: RowShape? = nil) throws -> (BenchmarkEntry, URL) {
        let dir = Fixtures.tempDir("formats")
        let data = gzip ?? Data(lines.joined(separator: "\n").utf8)
        try data.write(to: dir.appendingPathComponent("bench.\(format)"))
        let e = BenchmarkEntry(id: "b", file: "bench.\(format)", sha256: Digest.sha256(data), format: format, idField: nil, questionField: fields.q,
                               goldField: fields.gold, goldPattern: nil, answerFormat: choices == nil ? .program : .letter, template: "t",
                               grader: "multiple-choice@1", choicesFields: choices, root: nil, shape: shape)
        return (e, dir)
    }

    func refusal(_ e: BenchmarkEntry, _ dir: URL) -> String? {
        do { _ = try Dataset.load(e, dataDir: dir); return nil } catch { return "\(error)" }
    }

    // Written first: rows that must be refused, each naming file, line and field.
    @Test("malformed rows are refused naming file, line and field")
    func malformed() throws {
        let mbppOK = #"{"prompt": "p", "code": "c", "test_list": ["assert f()"]}"#
        var (e, dir) = try entry([mbppOK, #"{"prompt": "p", "code": "c", "test_list": "assert f()"}"#], fields: ("prompt", "code"), shape: .mbpp)
        #expect(refusal(e, dir) == "\(dir.path)/bench.jsonl:2: field 'test_list' is not a non-empty list of texts")
        (e, dir) = try entry([#"{"prompt": "p", "code": "c", "test_list": []}"#], fields: ("prompt", "code"), shape: .mbpp)
        #expect(refusal(e, dir) == "\(dir.path)/bench.jsonl:1: field 'test_list' is not a non-empty list of texts")
        (e, dir) = try entry([#"{"prompt": "p", "test": "t", "entry_point": "f"}"#], fields: ("prompt", "prompt"), shape: .humaneval)
        #expect(refusal(e, dir) == "\(dir.path)/bench.jsonl:1: field 'canonical_solution' is missing or not text")
        let stdioOK = #"{"q": "x", "tests": [{"input": "1\n", "output": "1\n"}], "time_limit_s": 1, "memory_limit_mb": 256}"#
        (e, dir) = try entry([stdioOK, stdioOK, #"{"q": "x", "tests": [{"input": "1\n", "output": "1\n"}, {"input": "2\n"}], "time_limit_s": 1, "memory_limit_mb": 256}"#],
                             fields: ("q", ""), shape: .stdio)
        #expect(refusal(e, dir) == "\(dir.path)/bench.jsonl:3: field 'tests[1].output' is missing or not text")
        (e, dir) = try entry([#"{"q": "x", "tests": [{"input": "", "output": ""}], "time_limit_s": 0, "memory_limit_mb": 256}"#], fields: ("q", ""), shape: .stdio)
        #expect(refusal(e, dir) == "\(dir.path)/bench.jsonl:1: field 'time_limit_s' is missing or not a positive number")
        // Multiple choice: a gold that is no option, a list that is not one, duplicate options, one option.
        let mc = { (row: String) in try entry([#"{"q": "x", "o": ["a", "b", "c"], "a": 1}"#, row], fields: ("q", "a"), choices: ["o"]) }
        (e, dir) = try mc(#"{"q": "x", "o": ["a", "b", "c"], "a": "D"}"#)
        #expect(refusal(e, dir) == "\(dir.path)/bench.jsonl:2: field 'a' ('D') is neither a letter, an index nor the text of one of the 3 options")
        (e, dir) = try mc(#"{"q": "x", "o": ["a", "b", "c"], "a": 3}"#)
        #expect(refusal(e, dir)?.contains("bench.jsonl:2: field 'a' ('3')") == true)
        (e, dir) = try mc(#"{"q": "x", "o": "a, b", "a": 1}"#)
        #expect(refusal(e, dir) == "\(dir.path)/bench.jsonl:2: field 'o' is missing or not a list of options")
        (e, dir) = try mc(#"{"q": "x", "o": ["a", "a", "c"], "a": 1}"#)
        #expect(refusal(e, dir)?.hasPrefix("\(dir.path)/bench.jsonl:2: two options have the same text") == true)
        (e, dir) = try mc(#"{"q": "x", "o": ["a"], "a": 0}"#)
        #expect(refusal(e, dir) == "\(dir.path)/bench.jsonl:2: 1 options; a multiple-choice item needs 2 to 26")
        (e, dir) = try entry([#"{"q": "x", "right": "r", "wrong": ""}"#], fields: ("q", "right"), choices: ["right", "wrong"])
        #expect(refusal(e, dir) == "\(dir.path)/bench.jsonl:1: field 'wrong' (an option) is missing, empty or not text")
        // A gzip file cut short is refused as a whole, before any row is read.
        let gz = try Data(contentsOf: Fixtures.dataDir.appendingPathComponent("humaneval/HumanEval.jsonl.gz"))
        (e, dir) = try entry([], format: "jsonl.gz", gzip: gz.prefix(gz.count / 2), fields: ("prompt", "canonical_solution"), shape: .humaneval)
        #expect(refusal(e, dir) == "\(dir.path)/bench.jsonl.gz:0: not a complete gzip file (format jsonl.gz)")
        // A torn line (not JSON) names its line.
        (e, dir) = try entry([mbppOK, #"{"prompt": "p", "code": "#], fields: ("prompt", "code"), shape: .mbpp)
        #expect(refusal(e, dir)?.hasPrefix("\(dir.path)/bench.jsonl:2: not JSON") == true)
    }

    @Test("every registry benchmark loads from its file: real ones from the data directory, fixtures from registry/fixtures")
    func loads() throws {
        let counts = ["gsm8k": 1319, "aime2024": 30, "math500": 500, "mbpp_sanitized": 257, "humaneval": 164, "mmlu_style": 12,
                      "mmlu_pro_style": 6, "gpqa_style": 6, "stdio_fixture": 4]
        #expect(Set(registry.benchmarks.keys) == Set(counts.keys))
        for (id, n) in counts { #expect(try load(id).items.count == n, "\(id)") }
    }

    @Test("code benchmarks keep their fields' JSON types, and templates render them")
    func codeFields() throws {
        let mbpp = try load("mbpp_sanitized").items[0]
        let tests = try #require(mbpp.row["test_list"]?.items)
        #expect(tests.count == 3 && tests.allSatisfy { $0.string?.hasPrefix("assert remove_Occ(") == true })
        #expect(mbpp.row["test_imports"]?.items?.isEmpty == true)
        let prompt = try RequestBuilder.messages(item: mbpp, benchmark: registry.benchmarks["mbpp_sanitized"]!, registry: registry)[0].content
        #expect(prompt.contains(#"assert remove_Occ("hello","l") == "heo""# + "\n" + #"assert remove_Occ("abcda","a") == "bcd""#))
        #expect(mbpp.grading.fields["test_list"] == mbpp.row["test_list"])

        let he = try load("humaneval")
        #expect(he.items[0].row["task_id"]?.string == "HumanEval/0" && he.items[0].id == "0")
        #expect(he.items[0].row["entry_point"]?.string == "has_close_elements" && he.items[0].gold.contains("for idx, elem in enumerate(numbers)"))
        let hePrompt = try RequestBuilder.messages(item: he.items[0], benchmark: registry.benchmarks["humaneval"]!, registry: registry)[0].content
        #expect(hePrompt.contains("def has_close_elements(numbers: List[float], threshold: float) -> bool:"))

        let stdio = try load("stdio_fixture").items
        #expect(stdio[0].row["tests"]?.items?.count == 3 && stdio[0].gold == "")
        let sPrompt = try RequestBuilder.messages(item: stdio[2], benchmark: registry.benchmarks["stdio_fixture"]!, registry: registry)[0].content
        #expect(sPrompt.contains("Time limit: 2 s. Memory limit: 256 MB.") && sPrompt.contains("how many primes are at most n"))
    }

    @Test("multiple-choice golds as an index, a letter or the option's text all become the option's original index")
    func choiceGolds() throws {
        let mmlu = try load("mmlu_style").items
        #expect(mmlu[0].gold == "1" && mmlu[0].choices == ["S", "Na", "So", "N"])
        let pro = try load("mmlu_pro_style").items
        #expect(pro.map(\.gold) == ["3", "2", "3", "1", "7", "2"] && pro.allSatisfy { $0.choices?.count == 10 })
        #expect(pro.allSatisfy { $0.gold == $0.row["answer_index"]?.text })
        let gpqa = try load("gpqa_style").items
        #expect(gpqa.allSatisfy { $0.gold == "0" && $0.choices?.count == 4 && $0.choices?[0] == $0.row["Correct Answer"]?.string })
        // Unshuffled, the prompt shows the dataset order.
        let prompt = try RequestBuilder.messages(item: mmlu[0], benchmark: registry.benchmarks["mmlu_style"]!, registry: registry)[0].content
        #expect(prompt.hasSuffix("A. S\nB. Na\nC. So\nD. N\n") || prompt.hasSuffix("A. S\nB. Na\nC. So\nD. N"))
        #expect(MultipleChoice().grade(response: "Answer: B", item: mmlu[0].grading).verdict == .correct)
    }

    @Test("manifest settings of a benchmark: shuffling needs options, a grader needs its version, and both enter the hash")
    func manifestSettings() throws {
        func parse(_ line: String) throws -> Manifest {
            try Manifest.parse(Fixtures.manifest(simulated: false).replacingOccurrences(of: "- {ref: gsm8k, limit: 30, shuffle_seed: 3}", with: line),
                               file: "m.yaml", registry: registry)
        }
        func error(_ line: String) -> ConfigError? {
            do { _ = try parse(line); return nil } catch let e as ConfigError { return e } catch { return nil }
        }
        #expect(error("- {ref: gsm8k, limit: 30, shuffle_choices: true}")?.message.contains("has no options to shuffle") == true)
        #expect(error("- {ref: gsm8k, limit: 30, grader: numeric-exact}")?.message.contains("NAME@VERSION") == true)
        #expect(error("- {ref: gsm8k, limit: 30, grader: numeric-exact@7}")?.path == "benchmarks[0].grader")
        let plain = try parse("- {ref: gsm8k, limit: 30}"), pinned = try parse("- {ref: gsm8k, limit: 30, grader: numeric-exact@1}")
        #expect(try plain.differences(from: pinned) == ["benchmarks[0].grader"])
        #expect(registry.benchmarks["gsm8k"]?.grader == "numeric-exact@1" && registry.benchmarks["math500"]?.grader == "boxed-latex@2")
    }
}
