import Foundation
import Testing
import TeamLLM
@testable import TeamLLMAnalysis

/// The analyses from a run's own records, through the command line, and the report in a real browser.
@Suite struct AnalysisRunTests {
    static let gpt3 = ["gpt3-6b-finetuning", "gpt3-6b-verification", "gpt3-175b-finetuning", "gpt3-175b-verification"]

    /// The GSM8K demo sweep (four replayed GPT-3 models and three simulated ones over all 1,319 items).
    static func demoRun() async throws -> (runs: URL, folder: RunFolder) {
        let runs = Fixtures.tempDir("analysis").appendingPathComponent("runs")
        let r = try await Sweep.run(manifest: Fixtures.registryDir.appendingPathComponent("manifests/demo-gsm8k-replay.yaml"), options: Fixtures.options(runsDir: runs))
        return (runs, r.folder)
    }

    @Test func aRunsMatrixGivesThePublishedLabelsFigures() async throws {
        let (runs, folder) = try await Self.demoRun()
        let matrix = try CorrectnessMatrix.load(folder, benchmark: nil, dataDir: Fixtures.dataDir, registryDir: Fixtures.registryDir)
        #expect(matrix.models.count == 7 && matrix.items.count == 1319 && matrix.prompts?.allSatisfy { !$0.isEmpty } == true)
        var settings = Analysis.Settings()
        settings.pool = Self.gpt3
        settings.resamples = 300
        let run = try Analysis(matrix, settings: settings)
        let (published, _, _) = try AnalysisFixtures.figures(try AnalysisFixtures.gsm8kPublished())
        // The numeric grader agrees with every published label, so the run's matrix is the publisher's.
        #expect(run.coFailure.allWrong == published.allWrong && run.coFailure.items == 1319)
        #expect(run.coFailure.models.map(\.correct) == published.models.map(\.correct))
        #expect(run.coFailure.meanTetrachoric == published.meanTetrachoric && run.coFailure.betaSingleFactor == published.betaSingleFactor)
        #expect(run.command == "teamllm analyze \(folder.id) --benchmark gsm8k --models \(Self.gpt3.joined(separator: ",")) --resamples 300")

        // The same figures through the command line, as JSON with the documented keys.
        let cli = try await Fixtures.cli(["analyze", folder.id, "--runs-dir", runs.path, "--data-dir", Fixtures.dataDir.path,
                                          "--models", Self.gpt3.joined(separator: ","), "--resamples", "300", "--json"])
        try #require(cli.status == 0, "\(cli.err)")
        let json = try JSONSerialization.jsonObject(with: Data(cli.out.utf8)) as! [String: Any]
        for key in ["beta", "oracle_gain", "certified_max_gain", "mean_tetrachoric", "beta_single_factor", "beta_interval", "beta_lower",
                    "oracle_gain_interval", "single_best_accuracy", "mean_phi", "underpricing", "pool_curve", "replays", "models", "pool", "tetrachoric"] {
            #expect(json[key] != nil, "--json lacks \(key)")
        }
        // JSONDecoder reads doubles exactly (JSONSerialization on Linux does not), so the printed figures compare exactly.
        struct Model: Decodable { let model: String; let accuracy: Double; let interval: [Double] }
        struct Figures: Decodable { let beta: Double; let certifiedMaxGain: Double; let oracleGainInterval: [Double]; let models: [Model]; let pool: [String] }
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        let figures = try d.decode(Figures.self, from: Data(cli.out.utf8))
        #expect(figures.beta == run.coFailure.beta && figures.certifiedMaxGain == run.coFailure.certifiedMaxGain)
        #expect(figures.oracleGainInterval == run.coFailure.oracleGainInterval, "the seeded bootstrap gives the same interval twice")
        #expect(figures.pool == Self.gpt3 && figures.models.map(\.model) == Self.gpt3)
        #expect(figures.models.map(\.accuracy) == run.coFailure.models.map(\.accuracy) && figures.models[3].interval == run.coFailure.models[3].interval)
        let text = try await Fixtures.cli(["analyze", folder.id, "--runs-dir", runs.path, "--models", Self.gpt3.joined(separator: ","), "--resamples", "100"],
                                          environment: ["TEAMLLM_DATA_DIR": ""])
        #expect(text.status == 0 && text.out.contains("beta (all wrong)        0.3275 = 432/1319"), "\(text.out)\(text.err)")

        // A data folder without the datasets takes out the kNN router only.
        let noData = try await Fixtures.cli(["analyze", folder.id, "--runs-dir", runs.path, "--data-dir", runs.path, "--resamples", "10", "--subsets", "2"])
        #expect(noData.status == 0 && noData.out.contains("not replayed: kNN router: needs the items' prompts: the prompts could not be read from"), "\(noData.out)\(noData.err)")

        // A matrix from elsewhere, malformed: refused naming its line and column.
        let bad = runs.deletingLastPathComponent().appendingPathComponent("bad.csv")
        try "item,a,b\nq1,1,0\nq2,yes,1\n".write(to: bad, atomically: true, encoding: .utf8)
        let refused = try await Fixtures.cli(["analyze", "--matrix", bad.path])
        #expect(refused.status == 2 && refused.err.contains("bad.csv:3, column 2: model 'a': expected 1, 0 or empty, found 'yes'"), "\(refused.err)")
        let unknown = try await Fixtures.cli(["analyze", folder.id, "--runs-dir", runs.path, "--models", "gpt3-6b-finetuning,gpt5"])
        #expect(unknown.status == 2 && unknown.err.contains("model 'gpt5' is not in the matrix"), "\(unknown.err)")
    }

    static func chromium() -> String? {
        for path in ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"] where FileManager.default.isExecutableFile(atPath: path) { return path }
        return nil
    }

    static func run(_ tool: String, _ arguments: [String]) async throws -> (status: Int32, out: Data) {
        try await Fixtures.offPool {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: tool)
            p.arguments = arguments
            let out = Pipe()
            p.standardOutput = out
            p.standardError = FileHandle.nullDevice
            p.standardInput = FileHandle.nullDevice
            try p.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            return (p.terminationStatus, data)
        }
    }

    @Test func theReportRendersEveryFigureInHeadlessChromium() async throws {
        // The graders demo's MATH-500 run: three samples per model, so every replay (σ-routing, cascades) is drawn.
        let runs = Fixtures.tempDir("report").appendingPathComponent("runs")
        let r = try await Sweep.run(manifest: Fixtures.registryDir.appendingPathComponent("manifests/demo-graders-simulated.yaml"), options: Fixtures.options(runsDir: runs))
        let out = runs.deletingLastPathComponent().appendingPathComponent("report.html")
        let cli = try await Fixtures.cli(["report", r.folder.id, "--runs-dir", runs.path, "--data-dir", Fixtures.dataDir.path, "--benchmark", "math500",
                                          "--resamples", "200", "--out", out.path])
        try #require(cli.status == 0, "\(cli.err)")
        #expect(cli.out.hasPrefix("report: \(out.path)"))
        // The summary's all-wrong rate is the analysis's β (first samples, items every model answered).
        let matrix = try Matrix.build(r.folder)
        let summary = MatrixSummary(matrix, group: ["sim-frontier", "sim-mid", "sim-small"]).allWrong.first { $0.benchmark == "math500" }!
        let analysis = try Analysis(try CorrectnessMatrix.of(matrix, run: r.folder.id, benchmark: "math500"), settings: { var s = Analysis.Settings(); s.resamples = 10; s.poolCurve = false; return s }())
        #expect(summary.items == analysis.coFailure.items && summary.allWrong == analysis.coFailure.allWrong)
        #expect(analysis.coFailure.itemsDropped > 0, "some MATH-500 answers are ungradable, so complete coverage drops items")
        let html = try String(contentsOf: out, encoding: .utf8)
        for id in HTMLReport.figureIDs { #expect(html.contains("<svg id=\"\(id)\""), "the report lacks \(id)") }
        #expect(!html.contains("<script") && !html.contains("src=") && !html.contains("href="), "self-contained: no script, nothing fetched")
        #expect(html.contains("σ-routing") && html.contains("cascade envelope") && html.contains("teamllm analyze \(r.folder.id) --benchmark math500"))

        let browser = try #require(Self.chromium(), "headless Chromium is needed to check the report: `make deps` installs Debian's chromium")
        let flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--user-data-dir=\(runs.deletingLastPathComponent().path)/chromium"]
        let dom = try await Self.run(browser, flags + ["--dump-dom", out.absoluteString])
        let rendered = String(decoding: dom.out, as: UTF8.self)
        #expect(dom.status == 0 && rendered.contains("Co-failure report"), "Chromium did not render the report")
        for id in HTMLReport.figureIDs { #expect(rendered.contains("id=\"\(id)\""), "Chromium's DOM lacks \(id)") }
        let png = runs.deletingLastPathComponent().appendingPathComponent("report.png")
        let shot = try await Self.run(browser, flags + ["--window-size=1200,6000", "--screenshot=\(png.path)", out.absoluteString])
        let image = try Data(contentsOf: png)
        #expect(shot.status == 0 && image.starts(with: [0x89, 0x50, 0x4E, 0x47]) && image.count > 50_000, "screenshot of \(image.count) bytes")
    }
}
