import Foundation
import Testing
@testable import TeamLLM

@Suite("manifest")
struct ManifestTests {
    let registry: Registry
    init() throws { registry = try Fixtures.registry() }

    func error(_ text: String) -> ConfigError? {
        do { _ = try Manifest.parse(text, file: "m.yaml", registry: registry); return nil } catch let e as ConfigError { return e } catch { return nil }
    }

    @Test("the demo manifest parses and hashes the same every time")
    func demo() throws {
        let url = Fixtures.registryDir.appendingPathComponent("manifests/demo-gsm8k-replay.yaml")
        let a = try Manifest.load(url, registry: registry), b = try Manifest.load(url, registry: registry)
        #expect(try a.hash() == b.hash())
        #expect(a.models.count == 7)
        #expect(try a.runID().hasPrefix("demo-gsm8k-replay-"))
    }

    @Test("an unknown field is named with its line, column and path")
    func unknownField() throws {
        let text = Fixtures.manifest().replacingOccurrences(of: "sampling: {temperature: 0,", with: "sampling: {temprature: 0,")
        let lines = text.components(separatedBy: "\n")
        let line = try #require(lines.firstIndex { $0.contains("temprature") }) + 1
        let column = try #require(lines[line - 1].range(of: "temprature")).lowerBound.utf16Offset(in: lines[line - 1]) + 1
        let e = try #require(error(text))
        #expect(e.path == "sampling.temprature")
        #expect(e.line == line)
        #expect(e.column == column)
        #expect(e.message.contains("unknown field 'temprature'"))
        #expect(e.description.hasPrefix("m.yaml:\(line):\(column): sampling.temprature: unknown field"))
    }

    @Test("a wrong type says what was expected")
    func wrongType() throws {
        let e = try #require(error(Fixtures.manifest().replacingOccurrences(of: "max_tokens: 256", with: "max_tokens: lots")))
        #expect(e.path == "sampling.max_tokens")
        #expect(e.message.contains("expected a whole number"))
    }

    @Test("an unknown model lists the registry's models")
    func unknownModel() throws {
        let e = try #require(error(Fixtures.manifest().replacingOccurrences(of: "{ref: gpt3-6b-finetuning", with: "{ref: gpt-5")))
        #expect(e.path == "models[0].ref")
        #expect(e.message.contains("unknown model 'gpt-5'"))
        #expect(e.message.contains("gpt3-175b-verification"))
    }

    @Test("a pre-registered grader version this build lacks is refused by name, listing the versions it has")
    func missingGrader() throws {
        let e = try #require(error(Fixtures.manifest(simulated: false).replacingOccurrences(of: "ref: gsm8k,", with: "ref: gsm8k, grader: code-execution@2,")))
        #expect(e.path == "benchmarks[0].grader")
        #expect(e.message.contains("grader code-execution has no version 2") && e.message.contains("versions: 1"))
    }

    @Test("a replayed model cannot answer another benchmark")
    func replayWrongBenchmark() throws {
        let e = try #require(error(Fixtures.manifest(simulated: false).replacingOccurrences(of: "ref: gsm8k", with: "ref: aime2024")))
        #expect(e.path == "models[0].provider")
        #expect(e.message.contains("recording of 'gsm8k'"))
    }

    @Test("missing field, duplicate model, bad YAML")
    func otherErrors() throws {
        let noSeed = try #require(error(Fixtures.manifest().replacingOccurrences(of: "seed: 7\n", with: "")))
        #expect(noSeed.message == "missing required field 'seed'")
        let dup = try #require(error(Fixtures.manifest().replacingOccurrences(of: "{ref: gpt3-6b-verification", with: "{ref: gpt3-6b-finetuning")))
        #expect(dup.path == "models[1]")
        let yaml = try #require(error("name: x\nmodels: [a, b\n"))
        #expect(yaml.line >= 2)
        #expect(yaml.message.hasPrefix("not valid YAML"))
    }

    @Test("differences list the changed fields")
    func differences() throws {
        let a = try Manifest.parse(Fixtures.manifest(), file: "a", registry: registry)
        let b = try Manifest.parse(Fixtures.manifest(seed: 8).replacingOccurrences(of: "temperature: 0,", with: "temperature: 0.7,"), file: "b", registry: registry)
        #expect(try b.differences(from: a) == ["sampling.temperature", "seed"])
        #expect(try a.hash() != b.hash())
    }
}
