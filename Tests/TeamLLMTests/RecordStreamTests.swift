import Foundation
import Testing
@testable import TeamLLM

@Suite("sealed append-only records")
struct RecordStreamTests {
    let record = EventRecord(scope: "cell", cell: CellID(benchmark: "gsm8k", item: "4", model: "m", sample: 0), from: .pending, to: .executing)

    @Test("every one-byte change of a sealed line is caught")
    func everyByte() throws {
        let (line, hash) = SealedLine.seal(seq: 1, prev: SealedLine.genesis, schema: 1, payload: try CanonicalJSON.encode(record))
        guard case .success(hash) = SealedLine.check(Array(line)) else { Issue.record("fresh line does not check"); return }
        var bytes = Array(line)
        for i in bytes.indices {
            let original = bytes[i]
            bytes[i] = original == UInt8(ascii: "a") ? UInt8(ascii: "b") : UInt8(ascii: "a")
            if case .success = SealedLine.check(bytes) { Issue.record("change at byte \(i) not caught") }
            bytes[i] = original
        }
    }

    @Test("a stream reads back, and a changed, removed or torn line is named")
    func chain() throws {
        let dir = Fixtures.tempDir("stream")
        let url = dir.appendingPathComponent("events.jsonl")
        let s = try RecordStream(url: url, tail: StreamTail(count: 0, lastHash: SealedLine.genesis, torn: nil))
        for _ in 0..<3 { try s.append(record) }
        let read = try StreamReader.read(url)
        #expect(read.lines.count == 3)
        #expect(try read.decode(EventRecord.self, file: "events.jsonl").map(\.payload) == [record, record, record])

        let data = try Data(contentsOf: url)
        let lines = data.split(separator: UInt8(ascii: "\n"))
        try Data((lines[0] + [10] + lines[2] + [10])).write(to: url)
        #expect(throws: RecordStreamError.self) { try StreamReader.read(url) }
        do { _ = try StreamReader.read(url) } catch { #expect("\(error)".hasPrefix("events.jsonl:2: seq is 3")) }

        try (data + Data("{\"seq\":4,\"pr".utf8)).write(to: url)
        let torn = try StreamReader.read(url)
        #expect(torn.lines.count == 3)
        #expect(torn.torn?.offset == data.count)
        let kept = try RecordStream.quarantine(torn.torn!, kept: torn.lines.count, of: url, into: dir.appendingPathComponent("quarantine"))
        #expect(try Data(contentsOf: url) == data)
        #expect(try Data(contentsOf: dir.appendingPathComponent("quarantine/\(kept)")) == Data("{\"seq\":4,\"pr".utf8))
    }

    @Test("USD amounts stay exact decimals")
    func usd() throws {
        let price = try #require(USD(exactly: "0.15"))
        #expect(USD.cost(tokens: 975, perMillion: price).description == "0.00014625")
        #expect(USD(exactly: "1e3") == nil)
        #expect(USD(exactly: "-1") == nil)
        #expect((USD(exactly: "0.1")! + USD(exactly: "0.2")!).description == "0.3")
        // Very small and large amounts stay plain decimals, exactly.
        #expect(USD.cost(tokens: 1, perMillion: USD(exactly: "0.000001")!).description == "0.000000000001")
        #expect(USD(exactly: "123456789012345.000000000001")!.description == "123456789012345.000000000001")
        #expect(USD(exactly: "1000000")!.description == "1000000")
        // Digits are read without a locale, in chunks of 18: amounts across a chunk boundary and leading zeros stay exact.
        #expect(USD(exactly: "1234567890123456789.012345678")!.value == Decimal(string: "1234567890123456789.012345678", locale: Locale(identifier: "en_US_POSIX"))!)
        #expect(USD(exactly: "000.5") == USD(exactly: "0.5"))
        #expect(USD(exactly: String(repeating: "9", count: 39)) == nil)
    }
}
