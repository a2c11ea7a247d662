import Foundation

/// What a sweep would do, computed without calling anything: cells, calls the cache cannot answer, cost.
public struct PlanEstimate: Sendable {
    public struct Row: Sendable {
        public let benchmark: String
        public let model: String
        public let provider: ProviderKind
        public let cells: Int
        /// Cells whose exact request the cache does not hold.
        public let calls: Int
        /// Prompt tokens estimated at 4 characters a token.
        public let promptTokens: Int
        /// Input cost of those calls at registry prices.
        public let inputUSD: USD
        /// Input cost plus `max_tokens` of output for every call: the most they can cost.
        public let ceilingUSD: USD
    }
    public let runID: String
    public let manifestHash: String
    public let planHash: String
    public let rows: [Row]

    /// Plans a manifest and prices it from the registry.
    public static func make(manifest url: URL, options: RunOptions) throws -> PlanEstimate {
        let listed = try Registry.load(from: options.registryDir)
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw ConfigError(file: url.path, line: 0, column: 0, path: "", message: "cannot read the manifest (\(SystemError.words(error)))")
        }
        let manifest = try Manifest.parse(text, file: url.path, registry: listed)
        let registry = try listed.priced(for: manifest)
        let plan = try YAMLValue.locating(in: text, file: url.path) { try SweepPlan(manifest: manifest, registry: registry, dataDir: options.dataDir) }
        let providers = try ProviderSet.load(manifest: plan.manifest, registry: registry, dataDir: options.dataDir)
            .providers(plan: plan, registry: registry, settings: manifest.operations, options: options)
        let cacheURL = options.cacheURL(manifest)
        let cache = FileManager.default.fileExists(atPath: cacheURL.path) ? try ResponseCache(root: cacheURL) : nil
        let builder = RequestBuilder(plan: plan, registry: registry, providers: providers)
        var rows: [String: (cells: Int, calls: Int, tokens: Int)] = [:]
        for cell in plan.cells {
            let (request, _, _) = try builder.request(for: cell)
            let cached = try cache?.lookup(Digest.sha256(try request.canonical())) != nil
            let key = "\(cell.id.benchmark)\u{1F}\(cell.id.model)"
            let tokens = TokenEstimate.prompt(request.messages)
            var r = rows[key] ?? (0, 0, 0)
            r.cells += 1
            if !cached { r.calls += 1; r.tokens += tokens }
            rows[key] = r
        }
        let out = manifest.benchmarks.flatMap { b in
            zip(manifest.models, plan.models).map { sel, model -> Row in
                let r = rows["\(b.ref)\u{1F}\(sel.ref)"] ?? (0, 0, 0)
                let free = sel.provider == .replay
                let input = free ? USD.zero : USD.cost(tokens: r.tokens, perMillion: model.inputPerMTok)
                let output = free ? USD.zero : USD.cost(tokens: r.calls * manifest.sampling.maxTokens, perMillion: model.outputPerMTok)
                return Row(benchmark: b.ref, model: sel.ref, provider: sel.provider, cells: r.cells, calls: r.calls,
                           promptTokens: r.tokens, inputUSD: input, ceilingUSD: input + output)
            }
        }
        return PlanEstimate(runID: try manifest.runID(), manifestHash: try manifest.hash(), planHash: plan.hash, rows: out)
    }

    /// A plain-text report.
    public func render() -> String {
        var s = "run \(runID)\nmanifest sha256 \(manifestHash)\nplan sha256 \(planHash)\n\n"
        s += "benchmark  model                          provider   cells  calls  prompt tokens  input USD    ceiling USD\n"
        for r in rows {
            s += "\(r.benchmark.padding(toLength: 10, withPad: " ", startingAt: 0)) \(r.model.padding(toLength: 30, withPad: " ", startingAt: 0)) \(r.provider.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)) \(String(format: "%6d %6d %14d", r.cells, r.calls, r.promptTokens))  \(r.inputUSD.description.padding(toLength: 12, withPad: " ", startingAt: 0)) \(r.ceilingUSD)\n"
        }
        let cells = rows.reduce(0) { $0 + $1.cells }, calls = rows.reduce(0) { $0 + $1.calls }
        let ceiling = rows.reduce(USD.zero) { $0 + $1.ceilingUSD }, input = rows.reduce(USD.zero) { $0 + $1.inputUSD }
        s += "\ntotal: \(cells) cells, \(calls) calls not answered by the cache, input $\(input), ceiling $\(ceiling) (input + max_tokens of output per call)\n"
        s += "replayed models cost $0: their outputs are recorded. Nothing was called to make this estimate.\n"
        return s
    }
}
