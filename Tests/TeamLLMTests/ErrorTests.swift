import Foundation
import GRDB
import Testing
@testable import TeamLLM

/// Bad input and odd paths get an error that names what to fix and leaves nothing half-made; output says what is true.
@Suite("errors a researcher can act on, and output that is true")
struct ErrorTests {
    @Test("run ids that escape the runs folder, read as options, or name no run are refused")
    func runIDs() async throws {
        for bad in ["../../escaped", "/tmp/abs", "-x", ".hidden", "a/b", "", "UPPER"] {
            #expect(throws: RunError.self, "\(bad)") { try RunFolder.checkID(bad) }
        }
        try RunFolder.checkID("small-0123456789ab")
        let dir = Fixtures.tempDir("ids")
        let runs = dir.appendingPathComponent("runs")
        let url = try Fixtures.write(Fixtures.manifest(items: 2), to: dir)
        for bad in ["../../escaped", "/tmp/abs-\(UUID().uuidString.prefix(6))"] {
            await #expect(throws: RunError.self) { try await Sweep.run(manifest: url, options: Fixtures.options(runsDir: runs, runID: bad)) }
        }
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("escaped").path))
        // A mistyped id starts nothing.
        do {
            _ = try await Sweep.run(manifest: url, options: Fixtures.options(runsDir: runs, runID: "smal-0123"))
            Issue.record("a mistyped --run started a run")
        } catch let RunError.notFound(what) { #expect(what.contains("--run continues an existing run")) }
        #expect(!FileManager.default.fileExists(atPath: runs.appendingPathComponent("smal-0123").path))
        // A manifest name that would make a run id read as an option.
        let registry = try Fixtures.registry()
        #expect(throws: ConfigError.self) { try Manifest.parse(Fixtures.manifest(name: "-x"), file: "m.yaml", registry: registry) }
        // The CLI: an unknown run id exits 2 naming the runs there, not 64 with the usage text.
        _ = try await Sweep.run(manifest: url, options: Fixtures.options(runsDir: runs))
        let cli = try await Fixtures.cli(["status", "nosuch"] + Fixtures.paths(runs))
        #expect(cli.status == 2 && cli.err.contains("run 'nosuch' under") && cli.err.contains("runs there: small-") && !cli.err.contains("USAGE"), "\(cli)")
    }

    @Test("a run folder given by path finds the cache it ran with, from any directory and runs folder")
    func folderKnowsItsCache() async throws {
        let dir = Fixtures.tempDir("ownercache")
        let runs = dir.appendingPathComponent("elsewhere/runs")
        let r = try await Sweep.run(manifest: Fixtures.write(Fixtures.manifest(items: 3), to: dir), options: Fixtures.options(runsDir: runs))
        let stranger = Fixtures.tempDir("cwd")
        for command in [["verify"], ["status"], ["matrix"], ["audit", "--model", "sim-small", "--item", try r.folder.plannedCells()[0].cell.item]] {
            let cli = try await Fixtures.cli([command[0], r.folder.url.path] + command.dropFirst(), in: stranger)
            #expect(cli.status == 0, "\(command[0]) from another directory: \(cli.err)")
        }
        let sessions = try RunRecords.read(r.folder).sessions.map(\.payload)
        #expect(sessions.first?.cache == runs.appendingPathComponent("cache").standardizedFileURL.path)
        // The commit recorded is the one compiled into the binary (Plugins/BuildInfo): the HEAD the tests were
        // built from (the build before a test run regenerates it), marked +modified when the tree had changes.
        let recorded = try #require(sessions.first?.environment?.gitCommit)
        let git = Process()
        git.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        git.arguments = ["git", "-C", Fixtures.repo.path, "rev-parse", "HEAD"]
        let out = Pipe()
        git.standardOutput = out
        git.standardError = FileHandle.nullDevice
        try git.run()
        let head = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        await Fixtures.exit(git)
        if git.terminationStatus == 0 {
            #expect(recorded == head || recorded == head + "+modified", "recorded \(recorded), checkout at \(head)")
        } else {
            #expect(recorded == "unknown")
        }
    }

    @Test("a cache that cannot be used is named in words, and no run folder is left behind")
    func unusableCache() async throws {
        let dir = Fixtures.tempDir("badcache")
        let runs = dir.appendingPathComponent("runs")
        try FileManager.default.createDirectory(at: runs, withIntermediateDirectories: true)
        try Data("not a folder".utf8).write(to: runs.appendingPathComponent("afile"))
        for (cache, words) in [("/proc/evil", "cannot use /proc/evil as the response cache"), ("afile", "it is a file, not a folder")] {
            let url = try Fixtures.write(Fixtures.manifest(items: 2, extra: "").replacingOccurrences(of: "cache: cache", with: "cache: \(cache)"), to: dir)
            do {
                _ = try await Sweep.run(manifest: url, options: Fixtures.options(runsDir: runs))
                Issue.record("cache \(cache) was accepted")
            } catch {
                #expect("\(error)".contains(words) && !"\(error)".contains("NSCocoaErrorDomain"), "\(error)")
            }
            let left = try FileManager.default.contentsOfDirectory(atPath: runs.path).filter { $0 != "afile" }
            #expect(left.isEmpty, "left behind: \(left)")
        }
        // A runs folder that cannot be made: words, not a Cocoa error code.
        let url = try Fixtures.write(Fixtures.manifest(items: 2), to: dir)
        do {
            _ = try await Sweep.run(manifest: url, options: Fixtures.options(runsDir: URL(fileURLWithPath: "/proc/nope/runs")))
            Issue.record("a runs folder under /proc was accepted")
        } catch { #expect(!"\(error)".contains("Code=") && "\(error)".contains("/proc/nope"), "\(error)") }
    }

    @Test("a corrupted manifest.json makes verify exit 1 naming the file; bad metering JSON names its row")
    func corruptFrozenFiles() async throws {
        let dir = Fixtures.tempDir("frozen")
        let r = try await Sweep.run(manifest: Fixtures.write(Fixtures.manifest(items: 2), to: dir),
                                    options: Fixtures.options(runsDir: dir.appendingPathComponent("runs")))
        let original = try Data(contentsOf: r.folder.manifestJSON)
        try Data("{}".utf8).write(to: r.folder.manifestJSON)
        let cli = try await Fixtures.cli(["verify", r.folder.url.path])
        #expect(cli.status == 1 && cli.err.contains("manifest.json: hashes to") && !cli.err.contains("DecodingError"), "\(cli)")
        try original.write(to: r.folder.manifestJSON)

        let index = dir.appendingPathComponent("runs/cache/index.sqlite")
        let key = try #require(try RunRecords.read(r.folder).attempts.first { $0.payload.status == .ok }?.payload.request)
        try await DatabaseQueue(path: index.path).write { try $0.execute(sql: "UPDATE responses SET metering = '{\"cost' WHERE request_key = ?", arguments: [key]) }
        let problems = try Verifier.verify(r.folder).problems
        #expect(problems.contains { $0.contains("request \(key.prefix(12))…: column metering does not parse") }, "\(problems)")
    }

    @Test("manifest mistakes are located at the line to fix, in a sentence that says what is wrong")
    func manifestMistakes() async throws {
        let registry = try Fixtures.registry()
        func error(_ text: String) -> String {
            do { _ = try Manifest.parse(text, file: "m.yaml", registry: registry); return "accepted" } catch { return "\(error)" }
        }
        // A duplicate key: the duplicate's line, one sentence, not the whole document.
        let big = Fixtures.manifest(name: "dup") + "\n# " + String(repeating: "x", count: 50_000) + "\nseed: 8\n"
        let dup = error(big)
        let lines = big.split(separator: "\n", omittingEmptySubsequences: false)
        let second = lines.lastIndex { $0.hasPrefix("seed:") }! + 1
        #expect(dup.hasPrefix("m.yaml:\(second):1: key 'seed' appears twice") && dup.count < 300, "\(dup.prefix(300))")
        // A quoted number.
        let quoted = error(Fixtures.manifest().replacingOccurrences(of: "seed: 7", with: "seed: \"1\""))
        #expect(quoted.contains("seed: expected a whole number, found the quoted text \"1\"; write it without quotes"), "\(quoted)")
        // Duplicate subset items.
        let twice = error(Fixtures.manifest().replacingOccurrences(of: "limit: 30, shuffle_seed: 3", with: "subset: ['1', '2', '1']"))
        #expect(twice.contains("benchmarks[0].subset[2]: item '1' is listed twice"), "\(twice)")
        // An unknown subset item: file, line, column and the dataset, not "the registry has".
        let dir = Fixtures.tempDir("subset")
        let url = try Fixtures.write(Fixtures.manifest().replacingOccurrences(of: "{ref: gsm8k, limit: 30, shuffle_seed: 3}",
                                                                             with: "{ref: gsm8k, subset: ['1', 'nosuch']}"), to: dir)
        do {
            _ = try await Sweep.run(manifest: url, options: Fixtures.options(runsDir: dir.appendingPathComponent("runs")))
            Issue.record("an unknown subset item was accepted")
        } catch let e as ConfigError {
            #expect(e.line == 4 && e.path == "benchmarks[0].subset[1]" && e.message.contains("the dataset") && e.message.contains("has no item 'nosuch'"), "\(e)")
            #expect(!e.message.contains("the registry has"))
        }
    }

    @Test("status counts $0 replays apart from paid calls; replay latency reads as not recorded; summary explains an empty group")
    func truthfulOutput() async throws {
        let dir = Fixtures.tempDir("truth")
        let runs = dir.appendingPathComponent("runs")
        let r = try await Sweep.run(manifest: Fixtures.write(Fixtures.manifest(items: 3), to: dir), options: Fixtures.options(runsDir: runs))
        let status = try RunStatus.read(r.folder).render()
        #expect(status.contains("attempts: paid 6, free ($0: replays and zero-cost calls) 12, cache hits 0"), "\(status)")
        let replayed = try #require(Matrix.build(r.folder).cells.first { $0.model == "gpt3-6b-finetuning" })
        #expect(replayed.latencyMs == nil)
        let audit = try await Fixtures.cli(["audit", r.folder.url.path, "--model", "gpt3-6b-finetuning", "--item", replayed.item])
        #expect(audit.out.contains("latency not recorded"), "\(audit.out.prefix(2000))")

        let sim = try await Sweep.run(manifest: Fixtures.write(Fixtures.simulatedManifest(name: "simonly", items: 3), to: dir, as: "s.yaml"),
                                      options: Fixtures.options(runsDir: runs))
        let summary = try await Fixtures.cli(["summary", sim.folder.url.path])
        #expect(summary.status == 0 && summary.out.contains("no all-wrong rate: every model of the run is simulated") && !summary.out.contains("[]"), "\(summary)")
        let unknown = try await Fixtures.cli(["summary", sim.folder.url.path, "--group", "nosuch"])
        #expect(unknown.status == 2 && unknown.err.contains("model 'nosuch' in run"), "\(unknown)")
    }
}
