import Foundation
import Testing
@testable import TeamLLM

@Suite("canonical JSON")
struct CanonicalJSONTests {
    struct Sample: Codable, Equatable {
        let text: String
        let n: Int
        let x: Double
        let flag: Bool
        let list: [Int]
        let nested: [String: String]
        let missing: String?
        let small: Int32
        let wide: UInt64
    }

    @Test("keys sorted, no whitespace, escapes as JSON requires, round trip exact")
    func roundTrip() throws {
        let s = Sample(text: "a/b \"q\" \\ \n\t\u{01} é ☕", n: -42, x: 0.7, flag: true, list: [3, 1], nested: ["b": "2", "a": "1"], missing: nil, small: -7, wide: UInt64.max)
        let bytes = try CanonicalJSON.encode(s)
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text == #"{"flag":true,"list":[3,1],"n":-42,"nested":{"a":"1","b":"2"},"small":-7,"text":"a/b \"q\" \\ \n\t\u0001 é ☕","wide":18446744073709551615,"x":0.7}"#)
        #expect(try CanonicalJSON.decode(Sample.self, from: bytes) == s)
        // Foundation's parser reads the same value back.
        #expect(try JSONDecoder().decode(Sample.self, from: bytes) == s)
        #expect(String(decoding: try CanonicalJSON.encode(["t": 0.0, "u": 2.5e-8]), as: UTF8.self) == #"{"t":0,"u":2.5e-8}"#)
    }

    @Test("malformed JSON and wrong types are refused with a reason")
    func errors() throws {
        #expect(throws: (any Error).self) { try CanonicalJSON.decode(Sample.self, from: Data(#"{"text":"a""#.utf8)) }
        #expect(throws: (any Error).self) { try CanonicalJSON.decode([Int].self, from: Data("[01]".utf8)) }
        do { _ = try CanonicalJSON.decode(Sample.self, from: Data(#"{"text":5}"#.utf8)); Issue.record("accepted a number for a string") } catch {
            #expect("\(error)".contains("expected String, found the number 5"))
        }
        #expect(try CanonicalJSON.decode(String.self, from: Data(#""\ud83d\ude00""#.utf8)) == "😀")
    }

    @Test("the hand-written per-cell records encode byte for byte as their Codable form does")
    func handWrittenRecords() throws {
        let cell = CellID(benchmark: "gsm8k", item: "7", model: "m-1", sample: 2)
        let tricky = "a \"q\" \\ \n\t\u{01} é ☕ /"
        let attempts = [
            AttemptRecord(attempt: "\(cell)#1", cell: cell, n: 1, status: .ok, request: String(repeating: "a", count: 64),
                          prompt: String(repeating: "b", count: 64), template: String(repeating: "c", count: 64), seed: -9_007_199_254_740_991,
                          model: "m-1", provider: .simulated, baseURL: "sim://x?y=1", modelUsed: "vendor/m-1", providerUsed: "p",
                          tokens: TokenUsage(input: 12, output: 0), costUSD: USD(exactly: "0.000123")!, costSource: "metered", latencyMs: 7,
                          response: String(repeating: "d", count: 64), cacheOrigin: "run/\(cell)#1", recovered: true,
                          failure: AttemptFailure(kind: .rateLimited, message: tricky, httpStatus: 429, retryAfterMs: 1500, chargedUSD: USD(exactly: "0.0001"), generationID: "gen-1"), at: "2026-11-22T10:00:00.000Z"),
            AttemptRecord(attempt: "\(cell)#1", cell: cell, n: 1, status: .failed, request: "r", prompt: "p", template: "t", seed: 0,
                          model: "m", provider: .replay, baseURL: "replay:x", modelUsed: nil, providerUsed: nil, tokens: nil,
                          costUSD: .zero, costSource: "none", latencyMs: nil, response: nil, cacheOrigin: nil, recovered: nil,
                          failure: nil, at: "t"),
        ]
        let grades = [
            GradeRecord(cell: cell, attempt: "a#1", grader: "numeric-exact", graderVersion: "1", extracted: "1,000", span: [3, 8],
                        rule: "hash_anchor", gold: "1000", verdict: .correct, reason: tricky),
            GradeRecord(cell: cell, attempt: "a#1", grader: "g", graderVersion: "2", extracted: nil, span: nil, rule: nil, gold: "",
                        verdict: .ungradable, reason: nil),
        ]
        let events = [EventRecord(scope: "cell", cell: cell, from: .pending, to: .executing),
                      EventRecord(scope: "sweep", cell: nil, from: .verifying, to: .completed)]
        for a in attempts { #expect(try a.canonicalPayload() == CanonicalJSON.encode(a)) }
        for g in grades { #expect(try g.canonicalPayload() == CanonicalJSON.encode(g)) }
        for e in events { #expect(try e.canonicalPayload() == CanonicalJSON.encode(e)) }
    }

    @Test("numbers are written as RFC 8785 (ECMAScript) writes them; values checked against the PyPI rfc8785 package")
    func ecmaScriptNumbers() throws {
        let cases: [(Double, String)] = [
            (1.0, "1"), (0.00001, "0.00001"), (1e21, "1e+21"), (1.2345678901234568e+20, "123456789012345680000"), (-0.0, "0"),
            (0.1, "0.1"), (1e-7, "1e-7"), (2.5e-8, "2.5e-8"), (1e15, "1000000000000000"), (1e16, "10000000000000000"),
            (0.000001, "0.000001"), (1.5e300, "1.5e+300"), (-123.456, "-123.456"), (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"), (0.7, "0.7"), (1e20, "100000000000000000000"),
            (1.23e-18, "1.23e-18"), (0.3333333333333333, "0.3333333333333333"),
        ]
        for (value, expected) in cases {
            #expect(String(decoding: try CanonicalJSON.encode([value]), as: UTF8.self) == "[\(expected)]", "\(value)")
        }
    }

    @Test("object keys sort by UTF-16 code units, as RFC 8785 requires (a character above U+FFFF before U+FFFF)")
    func keyOrder() throws {
        let text = String(decoding: try CanonicalJSON.encode(["\u{FFFF}": 2, "😀": 1, "é": 3, "a": 0, "ab": 4, "b": 5]), as: UTF8.self)
        #expect(text == "{\"a\":0,\"ab\":4,\"b\":5,\"é\":3,\"😀\":1,\"\u{FFFF}\":2}")
    }

    @Test("the cache key of a known request is pinned: its exact bytes and sha256")
    func pinnedRequest() throws {
        let request = ProviderRequest(provider: .simulated, baseURL: "simulated:teamllm-simulated/1?accuracy=0.9&common_mode=0.2",
                                      model: "teamllm/sim-frontier",
                                      messages: [ChatMessage(role: "user", content: "Q: What is 6 × 7?\nA: \"42\" / done")],
                                      temperature: 0.7, maxTokens: 256, seed: 470_464_638, sample: 0, topP: 0.95, stop: ["\n\n"])
        let bytes = String(decoding: try request.canonical(), as: UTF8.self)
        #expect(bytes == #"{"base_url":"simulated:teamllm-simulated/1?accuracy=0.9&common_mode=0.2","max_tokens":256,"messages":[{"content":"Q: What is 6 × 7?\nA: \"42\" / done","role":"user"}],"model":"teamllm/sim-frontier","provider":"simulated","sample":0,"seed":470464638,"stop":["\n\n"],"temperature":0.7,"top_p":0.95}"#)
        // Computed with PyPI rfc8785 from the same request, independently of this code.
        #expect(Digest.sha256(try request.canonical()) == "dd9677e22406a8aad5337687d31d43b27e96aabfc7ebbe010a90cbc5bac4b70e")
        // Without the optional fields the key is what it was before they existed.
        let plain = ProviderRequest(provider: .replay, baseURL: "replay:x", model: "m", messages: [ChatMessage(role: "user", content: "hi")],
                                    temperature: 0, maxTokens: 16, seed: 1, sample: 0)
        #expect(String(decoding: try plain.canonical(), as: UTF8.self)
            == #"{"base_url":"replay:x","max_tokens":16,"messages":[{"content":"hi","role":"user"}],"model":"m","provider":"replay","sample":0,"seed":1,"temperature":0}"#)
    }

    @Test("an independent RFC 8785 implementation (PyPI rfc8785) agrees with every record payload, cache key and frozen file of a real run")
    func independentImplementation() async throws {
        let dir = Fixtures.tempDir("rfc8785")
        let manifest = Fixtures.manifest(items: 3).replacingOccurrences(of: "sampling: {temperature: 0,", with: "sampling: {temperature: 0.7, top_p: 0.95, stop: [\"\\n\\n\"],")
        let r = try await Sweep.run(manifest: Fixtures.write(manifest, to: dir), options: Fixtures.options(runsDir: dir.appendingPathComponent("runs")))
        #expect(r.sweepPhase == .completed)
        let script = Fixtures.repo.appendingPathComponent("docs/schemas/rfc8785_check.py")
        let (status, text) = try await Fixtures.python([script.path, r.folder.url.path, dir.appendingPathComponent("runs/cache/index.sqlite").path])
        #expect(status == 0, "\(text)")
        #expect(text.contains("agree: 18 cache keys"), "\(text)")
    }
}
