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
        #expect(String(decoding: try CanonicalJSON.encode(["t": 0.0, "u": 2.5e-8]), as: UTF8.self) == #"{"t":0,"u":2.5e-08}"#)
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
                          failure: AttemptFailure(kind: "rate_limit", message: tricky), at: "2026-11-22T10:00:00.000Z"),
            AttemptRecord(attempt: "\(cell)#1", cell: cell, n: 1, status: .failed, request: "r", prompt: "p", template: "t", seed: 0,
                          model: "m", provider: .replay, baseURL: "replay:x", modelUsed: nil, providerUsed: nil, tokens: nil,
                          costUSD: .zero, costSource: "none", latencyMs: 0, response: nil, cacheOrigin: nil, recovered: nil,
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
}
