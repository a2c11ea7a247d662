import Foundation

/// A dated copy of the API's model list (`teamllm registry sync`): per-token prices as the API's decimal
/// strings, context lengths and supported parameters. Files in `registry/prices/` are written once and never
/// edited; a manifest names the one it was priced with (`prices: 2026-12-02`), and plans, budget ceilings
/// and the registry a run freezes take their prices from it.
public struct PriceSnapshot: Codable, Equatable, Sendable {
    /// One model as the API listed it.
    public struct Model: Codable, Equatable, Sendable {
        /// USD per token, exactly as the API wrote them.
        public let prompt: String
        public let completion: String
        public let contextLength: Int?
        public let maxCompletionTokens: Int?
        public let supportedParameters: [String]

        public init(prompt: String, completion: String, contextLength: Int?, maxCompletionTokens: Int?, supportedParameters: [String]) {
            self.prompt = prompt
            self.completion = completion
            self.contextLength = contextLength
            self.maxCompletionTokens = maxCompletionTokens
            self.supportedParameters = supportedParameters
        }

        enum CodingKeys: String, CodingKey {
            case prompt, completion
            case contextLength = "context_length", maxCompletionTokens = "max_completion_tokens", supportedParameters = "supported_parameters"
        }
    }
    /// When it was read (ISO 8601) and from where.
    public let readAt: String
    public let source: String
    /// By model slug.
    public let models: [String: Model]

    public init(readAt: String, source: String, models: [String: Model]) {
        self.readAt = readAt
        self.source = source
        self.models = models
    }

    enum CodingKeys: String, CodingKey { case source, models, readAt = "read_at" }

    /// The folder snapshots live in.
    public static func folder(_ registry: URL) -> URL { registry.appendingPathComponent("prices") }

    /// Reads the snapshot a manifest names.
    public static func load(_ name: String, registry: URL) throws -> PriceSnapshot {
        let url = folder(registry).appendingPathComponent("\(name).json")
        guard let data = FileManager.default.contents(atPath: url.path) else {
            let known = ((try? FileManager.default.contentsOfDirectory(atPath: folder(registry).path)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
            throw RegistryError.unknown(kind: "price snapshot", ref: name, known: known.map { String($0.dropLast(5)) })
        }
        do { return try CanonicalJSON.decode(PriceSnapshot.self, from: data) } catch {
            throw RegistryError.datasetLine(file: url.path, line: 1, reason: "not a price snapshot: \(error)")
        }
    }

    /// Writes a new snapshot named by its date (a second one that day gets `-2`, `-3`, …): never over an older one.
    public func write(registry: URL, date: String) throws -> URL {
        let dir = Self.folder(registry)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var name = date, n = 1
        while FileManager.default.fileExists(atPath: dir.appendingPathComponent("\(name).json").path) {
            n += 1
            name = "\(date)-\(n)"
        }
        let url = dir.appendingPathComponent("\(name).json")
        var bytes = try CanonicalJSON.encode(self)
        bytes.append(0x0A)
        // O_EXCL semantics: fail rather than replace a file another process wrote meanwhile.
        guard FileManager.default.createFile(atPath: url.path, contents: nil),
              let h = FileHandle(forWritingAtPath: url.path) else { throw RunError.corrupt("cannot create \(url.path)") }
        try h.write(contentsOf: bytes)
        try h.close()
        return url
    }
}

extension Registry {
    /// The registry as a manifest prices it: with the snapshot it names, else as listed.
    public func priced(for manifest: Manifest) throws -> Registry {
        guard let name = manifest.prices else { return self }
        return priced(with: try PriceSnapshot.load(name, registry: root))
    }

    /// The registry with each model's price taken from a snapshot where the snapshot lists its slug (per-token
    /// strings as per-million amounts, exactly), dated with the snapshot's read time.
    public func priced(with snapshot: PriceSnapshot) -> Registry {
        var copy = self
        copy.models = models.mapValues { m in
            guard let p = snapshot.models[m.slug], let input = USD(jsonNumber: p.prompt), let output = USD(jsonNumber: p.completion) else { return m }
            return ModelEntry(id: m.id, slug: m.slug, snapshot: m.snapshot, family: m.family, tier: m.tier,
                              inputPerMTok: input.perMillion, outputPerMTok: output.perMillion,
                              priceReadOn: String(snapshot.readAt.prefix(10)), replay: m.replay)
        }
        return copy
    }
}
