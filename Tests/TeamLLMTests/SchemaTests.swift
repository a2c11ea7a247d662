import Foundation
import Testing
@testable import TeamLLM

/// Holds docs/schemas/ to what the code writes: every record variant a run can produce must validate.
@Suite("JSON Schemas in docs/schemas")
struct SchemaTests {
    @Test("records of a launch, cache hits, an interrupted resume and a torn line all match their schemas")
    func schemas() async throws {
        let dir = Fixtures.tempDir("schema")
        let runs = dir.appendingPathComponent("runs")
        let first = try await Sweep.run(manifest: Fixtures.write(Fixtures.manifest(name: "one", items: 6), to: dir),
                                        options: Fixtures.options(runsDir: runs))
        // A second run over the same cache (cache hits), interrupted, with a torn line, then resumed.
        let second = try Fixtures.write(Fixtures.manifest(name: "two", items: 8), to: dir, as: "two.yaml")
        let partial = try await Sweep.run(manifest: second, options: Fixtures.options(runsDir: runs, stopAfter: 10))
        let handle = try FileHandle(forWritingTo: partial.folder.stream(GradeRecord.self))
        handle.seekToEndOfFile(); handle.write(Data(#"{"seq":1"#.utf8)); try handle.close()
        let done = try await Sweep.run(manifest: second, options: Fixtures.options(runsDir: runs))

        let attempts = try RunRecords.read(done.folder).attempts.map(\.payload)
        #expect(attempts.contains { $0.status == .cacheHit } && attempts.contains { $0.status == .ok })
        for folder in [first.folder, done.folder] {
            let matrixFile = dir.appendingPathComponent("\(folder.id).matrix.jsonl")
            try Matrix.build(folder).jsonl().write(to: matrixFile)
            let (status, text) = try await Fixtures.python([Fixtures.repo.appendingPathComponent("docs/schemas/check.py").path, folder.url.path,
                                                      "--matrix", matrixFile.path])
            #expect(status == 0, "check.py on \(folder.id): \(text)")
            #expect(text.contains("records valid"))
        }
    }
}
