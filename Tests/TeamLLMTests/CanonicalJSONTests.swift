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
}
