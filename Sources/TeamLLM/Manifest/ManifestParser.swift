import Foundation

extension Manifest {
    /// Reads and validates a manifest file against the registry.
    public static func load(_ url: URL, registry: Registry) throws -> Manifest {
        try parse(YAMLValue.load(url), registry: registry)
    }

    /// Parses manifest text (for tests and tools); `file` names it in errors.
    public static func parse(_ text: String, file: String, registry: Registry) throws -> Manifest {
        try parse(YAMLValue.parse(text, file: file), registry: registry)
    }

    static let fields = ["name", "preregistration", "benchmarks", "models", "sampling", "seed", "providers",
                         "concurrency", "budget_usd", "cache", "retries", "retry_base_ms", "model_concurrency", "grace_s", "timeouts", "http", "prices", "truncation"]

    /// Seeds are hashed as JSON numbers; RFC 8785 (I-JSON) numbers are exact only up to 2^53 − 1.
    static let maxSeed = 9_007_199_254_740_991

    /// A byte a manifest name or run id may hold: lowercase letters, digits, '-', '_' and '.'.
    static func isNameByte(_ b: UInt8) -> Bool { (97...122).contains(b) || (48...57).contains(b) || b == 45 || b == 95 || b == 46 }

    static func parse(_ root: YAMLValue, registry: Registry) throws -> Manifest {
        let m = try root.mapping(allowed: fields)
        let nameValue = try m.required("name")
        let name = try nameValue.string()
        guard let first = name.utf8.first, (97...122).contains(first) || (48...57).contains(first),
              name.utf8.allSatisfy(isNameByte), name.count <= 64 else {
            throw nameValue.error("expected lowercase letters, digits, '-', '_' or '.', starting with a letter or digit (at most 64), found '\(name)'")
        }

        let benchmarks = try m.required("benchmarks").list().map { v in
            let b = try v.mapping(allowed: ["ref", "limit", "subset", "shuffle_seed", "shuffle_choices", "grader"])
            let refValue = try b.required("ref")
            let ref = try refValue.string()
            guard let entry = registry.benchmarks[ref] else {
                throw refValue.error("unknown benchmark '\(ref)'; the registry has: \(registry.benchmarks.keys.sorted().joined(separator: ", "))")
            }
            let graderValue = b.optional("grader")
            let graderSpec = try graderValue?.string()
            if let graderValue, let graderSpec {
                guard graderSpec.contains("@") else { throw graderValue.error("name the grader with its version, NAME@VERSION (versions of \(graderSpec): \(GraderCatalog.versions(of: graderSpec).joined(separator: ", ")))") }
                do { _ = try GraderCatalog.entry(spec: graderSpec) } catch { throw graderValue.error("\(error)") }
            } else if (try? GraderCatalog.entry(spec: entry.grader)) == nil {
                throw refValue.error("benchmark '\(ref)' is graded by '\(entry.grader)', which this version does not have; available: \(GraderCatalog.names.joined(separator: ", "))")
            }
            let subsetValue = b.optional("subset")
            let subset = try subsetValue?.list().map { try $0.string() }
            if let subsetValue, let subset { try rejectDuplicates(subset, in: subsetValue, what: "item") }
            let shuffleValue = b.optional("shuffle_choices")
            let shuffle = try shuffleValue?.bool()
            if let shuffleValue, shuffle == true, entry.choicesFields == nil {
                throw shuffleValue.error("benchmark '\(ref)' has no options to shuffle (its registry entry names no 'choices' field)")
            }
            return BenchmarkSelection(ref: ref, limit: try b.optional("limit")?.int(in: 1...10_000_000),
                                      subset: subset,
                                      shuffleSeed: try b.optional("shuffle_seed")?.int(in: 0...maxSeed) ?? 0, shuffleChoices: shuffle, grader: graderSpec)
        }
        guard !benchmarks.isEmpty else { throw try m.required("benchmarks").error("expected at least one benchmark") }
        try rejectDuplicates(benchmarks.map(\.ref), in: m.required("benchmarks"), what: "benchmark")

        let providersMap = try m.optional("providers")?.mapping(allowed: ["simulated"])
        let simulated: SimulatedSettings? = try providersMap?.optional("simulated").map { v in
            let s = try v.mapping(allowed: ["common_mode", "sleep_scale", "accuracy"])
            var accuracy: [String: Double] = [:]
            for (ref, a) in try s.required("accuracy").table() {
                guard registry.models[ref] != nil else { throw a.error("unknown model '\(ref)'") }
                accuracy[ref] = try a.double(in: 0...1)
            }
            return SimulatedSettings(commonMode: try s.optional("common_mode")?.double(in: 0...1) ?? 0,
                                     sleepScale: try s.optional("sleep_scale")?.double(in: 0...100) ?? 0, accuracy: accuracy)
        }

        let modelsValue = try m.required("models")
        let models = try modelsValue.list().map { v in
            let e = try v.mapping(allowed: ["ref", "provider", "base_url", "pin", "routing"])
            let refValue = try e.required("ref")
            let ref = try refValue.string()
            guard let model = registry.models[ref] else {
                throw refValue.error("unknown model '\(ref)'; the registry has: \(registry.models.keys.sorted().joined(separator: ", "))")
            }
            let pv = try e.required("provider")
            guard let provider = ProviderKind(rawValue: try pv.string()) else {
                throw pv.error("expected one of \(ProviderKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            for key in ["base_url", "pin", "routing"] where provider != .openrouter {
                if let x = e.optional(key) { throw x.error("'\(key)' is for models with provider: openrouter") }
            }
            switch provider {
            case .replay:
                guard let r = model.replay, let rec = registry.recordings[r.recording] else {
                    throw pv.error("model '\(ref)' has no recording in the registry, so it cannot be replayed")
                }
                if let other = benchmarks.first(where: { $0.ref != rec.benchmark }) {
                    throw pv.error("model '\(ref)' is replayed from a recording of '\(rec.benchmark)' and cannot answer benchmark '\(other.ref)'")
                }
            case .simulated:
                guard simulated?.accuracy[ref] != nil else {
                    throw pv.error("model '\(ref)' is simulated, so providers.simulated.accuracy must give its accuracy")
                }
            case .openrouter:
                var routing = try e.optional("routing").map(parseRouting) ?? ProviderRouting()
                if let pin = e.optional("pin") {
                    // Pinning is one line: that provider and no other.
                    if e.optional("routing") != nil { throw pin.error("give either 'pin' or 'routing', not both") }
                    routing.order = [try pin.string()]
                    routing.allowFallbacks = false
                }
                // Every cell sends a seed, and a provider that drops it silently re-samples: require it by default.
                if routing.requireParameters == nil { routing.requireParameters = true }
                var base: String?
                if let b = e.optional("base_url") {
                    let text = try b.string()
                    guard let u = URL(string: text), let scheme = u.scheme, ["http", "https"].contains(scheme), u.host != nil else {
                        throw b.error("expected an http(s) URL such as https://openrouter.ai/api/v1, found '\(text)'")
                    }
                    base = text.hasSuffix("/") ? String(text.dropLast()) : text
                }
                return ModelSelection(ref: ref, provider: provider, baseURL: base, routing: routing)
            }
            return ModelSelection(ref: ref, provider: provider)
        }
        guard !models.isEmpty else { throw modelsValue.error("expected at least one model") }
        try rejectDuplicates(models.map(\.ref), in: modelsValue, what: "model")

        let sv = try m.required("sampling")
        let s = try sv.mapping(allowed: ["temperature", "max_tokens", "samples", "top_p", "stop"])
        let topP = try s.optional("top_p")?.double(in: 0...1)
        if let topP, topP == 0, let v = s.optional("top_p") { throw v.error("expected a number above 0 and at most 1, found 0") }
        var stop: [String]?
        if let v = s.optional("stop") {
            stop = (try? v.list()) != nil ? try v.list().map { try $0.string() } : [try v.string()]
            guard let count = stop?.count, (1...4).contains(count) else { throw v.error("expected one to four stop sequences") }
        }
        var sampling = Sampling(temperature: try s.required("temperature").double(in: 0...2),
                                maxTokens: try s.required("max_tokens").int(in: 1...1_000_000),
                                samples: try s.optional("samples")?.int(in: 1...1000) ?? 1, topP: topP, stop: stop)

        var operations = OperationalSettings(concurrency: try m.optional("concurrency")?.int(in: 1...1024) ?? 8,
                                             budgetUSD: try m.required("budget_usd").usd(),
                                             retries: try m.optional("retries")?.int(in: 0...100) ?? 3,
                                             retryBaseMs: try m.optional("retry_base_ms")?.int(in: 1...600_000) ?? 500)
        if let v = m.optional("model_concurrency") {
            for (ref, cap) in try v.table() {
                guard models.contains(where: { $0.ref == ref }) else { throw cap.error("model '\(ref)' is not one of this manifest's models") }
                operations.modelConcurrency[ref] = try cap.int(in: 1...1024)
            }
        }
        if let v = m.optional("grace_s") { operations.graceSeconds = try v.double(in: 0...3600) }
        if let v = m.optional("timeouts") {
            let t = try v.mapping(allowed: ["connect_s", "first_byte_s", "total_s"])
            if let x = t.optional("connect_s") { operations.timeouts.connect = try x.double(in: 0.001...3600) }
            if let x = t.optional("first_byte_s") { operations.timeouts.firstByte = try x.double(in: 0.001...86_400) }
            if let x = t.optional("total_s") { operations.timeouts.total = try x.double(in: 0.001...86_400) }
        }
        if let v = m.optional("http") {
            let h = try v.mapping(allowed: ["key_file", "referer", "title"])
            operations.http = HTTPSettings(keyFile: try h.optional("key_file")?.string(), referer: try h.optional("referer")?.string(),
                                           title: try h.optional("title")?.string())
        }
        if let v = m.optional("truncation") {
            let t = try v.mapping(allowed: ["reask_max_tokens"])
            let listValue = try t.required("reask_max_tokens")
            let limits = try listValue.list().map { try $0.int(in: 1...1_000_000) }
            guard !limits.isEmpty, limits.first! > sampling.maxTokens, zip(limits, limits.dropFirst()).allSatisfy({ $0 < $1 }) else {
                throw listValue.error("expected limits above max_tokens (\(sampling.maxTokens)), each larger than the one before, found \(limits)")
            }
            sampling.reaskMaxTokens = limits
        }
        var prices: String?
        if let v = m.optional("prices") {
            let name = try v.string()
            do { _ = try PriceSnapshot.load(name, registry: registry.root) } catch { throw v.error("\(error)") }
            prices = name
        }
        return Manifest(name: name, preregistration: try m.required("preregistration").string(), benchmarks: benchmarks,
                        models: models, sampling: sampling, seed: try m.required("seed").int(in: 0...maxSeed),
                        providers: ProviderSettings(simulated: simulated), cache: try m.optional("cache")?.string() ?? "cache",
                        prices: prices, operations: operations)
    }

    private static func parseRouting(_ v: YAMLValue) throws -> ProviderRouting {
        let r = try v.mapping(allowed: ["order", "only", "ignore", "allow_fallbacks", "require_parameters", "data_collection"])
        func slugs(_ key: String) throws -> [String]? { try r.optional(key)?.list().map { try $0.string() } }
        var routing = ProviderRouting(order: try slugs("order"), only: try slugs("only"), ignore: try slugs("ignore"),
                                      allowFallbacks: try r.optional("allow_fallbacks")?.bool(),
                                      requireParameters: try r.optional("require_parameters")?.bool())
        if let d = r.optional("data_collection") {
            let text = try d.string()
            guard ["allow", "deny"].contains(text) else { throw d.error("expected allow or deny, found '\(text)'") }
            routing.dataCollection = text
        }
        return routing
    }

    private static func rejectDuplicates(_ refs: [String], in list: YAMLValue, what: String) throws {
        var seen = Set<String>()
        for (i, r) in refs.enumerated() where !seen.insert(r).inserted {
            throw try list.list()[i].error("\(what) '\(r)' is listed twice")
        }
    }
}
