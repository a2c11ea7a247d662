import Foundation
import Testing
@testable import TeamLLM

@Suite("cells, seeds and the forward-only phases")
struct PlanTests {
    func plan(_ text: String) throws -> SweepPlan {
        let r = try Fixtures.registry()
        return try SweepPlan(manifest: Manifest.parse(text, file: "m", registry: r), registry: r, dataDir: Fixtures.dataDir)
    }

    @Test("two plans of one manifest have the same cells, seeds and order")
    func deterministic() throws {
        let a = try plan(Fixtures.manifest(samples: 2)), b = try plan(Fixtures.manifest(samples: 2))
        #expect(a.cells.count == 30 * 6 * 2)
        #expect(a.cells.map(\.id) == b.cells.map(\.id))
        #expect(a.cells.map(\.seed) == b.cells.map(\.seed))
        #expect(a.hash == b.hash)
        let c = try plan(Fixtures.manifest(seed: 8, samples: 2))
        #expect(c.hash != a.hash)
        #expect(Set(c.cells.map(\.id)) == Set(a.cells.map(\.id)))
    }

    @Test("the seed follows the documented formula")
    func formula() {
        let id = CellID(benchmark: "gsm8k", item: "12", model: "sim-small", sample: 1)
        let bytes = Digest.sha256Bytes("teamllm/cell-seed/v1|7|gsm8k|12|sim-small|1")
        let expected = Int((UInt32(bytes[0]) << 24 | UInt32(bytes[1]) << 16 | UInt32(bytes[2]) << 8 | UInt32(bytes[3])) & 0x7fff_ffff)
        #expect(Seeds.cell(master: 7, id) == expected)
        #expect(Seeds.cell(master: 7, id) != Seeds.cell(master: 7, CellID(benchmark: "gsm8k", item: "12", model: "sim-small", sample: 0)))
    }

    @Test("a limited subset depends on the shuffle seed only")
    func subset() throws {
        let a = try plan(Fixtures.manifest()), b = try plan(Fixtures.manifest(seed: 99))
        #expect(a.items[0].map(\.id) == b.items[0].map(\.id))
        let c = try plan(Fixtures.manifest().replacingOccurrences(of: "shuffle_seed: 3", with: "shuffle_seed: 4"))
        #expect(a.items[0].map(\.id) != c.items[0].map(\.id))
        #expect(a.items[0].count == 30)
    }

    func event(_ cell: CellID?, _ from: Phase, _ to: Phase) -> EventRecord {
        EventRecord(scope: cell == nil ? "sweep" : "cell", cell: cell, from: from, to: to)
    }

    @Test("replaying the log rejects a backward or skipped transition, naming the record")
    func forwardOnly() throws {
        let c = CellID(benchmark: "b", item: "1", model: "m", sample: 0)
        var ok = RunState()
        try ok.apply(event(c, .pending, .executing), line: 1)
        try ok.apply(event(c, .executing, .verifying), line: 2)
        #expect(ok.phase(c) == .verifying)
        var back = ok
        #expect(throws: RunError.self) { try back.apply(event(c, .verifying, .executing), line: 3) }
        do { try back.apply(event(c, .verifying, .executing), line: 3) } catch {
            #expect("\(error)".contains("events.jsonl:3: backward transition VERIFYING → EXECUTING"))
        }
        var skip = RunState()
        do { try skip.apply(event(c, .pending, .verifying), line: 1); Issue.record("skip accepted") } catch {
            #expect("\(error)".contains("skipped transition PENDING → VERIFYING"))
        }
        var sweep = RunState()
        do { try sweep.apply(event(nil, .executing, .verifying), line: 1); Issue.record("out of order accepted") } catch {
            #expect("\(error)".contains("the sweep, which was PENDING"))
        }
    }

    @Test("the typestate API only moves forward")
    func typestate() {
        guard case let .pending(p) = Progress.resume(at: .pending) else { Issue.record("not pending"); return }
        let (e, t1) = p.start()
        let (v, t2) = e.executed()
        let t3 = v.verified()
        #expect([t1, t2, t3].map(\.from) == [.pending, .executing, .verifying])
        #expect([t1, t2, t3].map(\.to) == [.executing, .verifying, .completed])
    }
}
