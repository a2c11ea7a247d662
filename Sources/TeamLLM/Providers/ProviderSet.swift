import Foundation

/// The providers a manifest routes its models to, built once per sweep.
struct ProviderSet: Sendable {
    /// The recording replayed models answer from, loaded before the plan exists (it is the bulk of start-up).
    var replay: ReplayProvider?
    /// (recording file, sha256) of each recording read, for the run header.
    var recordingHashes: [(String, String)] = []

    /// Loads what the offline providers read from disk.
    static func load(manifest: Manifest, registry: Registry, dataDir: URL) throws -> ProviderSet {
        var out = ProviderSet()
        guard manifest.models.contains(where: { $0.provider == .replay }) else { return out }
        // Manifest validation guarantees every replayed model's recording covers the sweep's one benchmark.
        let replayed = try manifest.models.filter { $0.provider == .replay }.map { try registry.model($0.ref) }
        let ids = Set(replayed.compactMap { $0.replay?.recording })
        guard ids.count == 1, let id = ids.first, let rec = registry.recordings[id] else {
            throw RunError.corrupt("replayed models must come from one recording; found \(ids.sorted())")
        }
        let provider = try ReplayProvider(recording: rec, models: replayed, dataDir: dataDir)
        out.replay = provider
        out.recordingHashes.append((rec.file, provider.sha256))
        return out
    }

    /// The providers of a plan with what the options bring: injected test doubles, and the providers the
    /// substrate does not build itself (OpenRouter), built from their factories with this session's settings.
    func providers(plan: SweepPlan, registry: Registry, settings: OperationalSettings, options: RunOptions) throws -> [ProviderKind: any Provider] {
        var injected = options.providers
        for (kind, make) in options.providerFactories where injected[kind] == nil && plan.manifest.models.contains(where: { $0.provider == kind }) {
            injected[kind] = try make(ProviderContext(plan: plan, registry: registry, settings: settings))
        }
        return try providers(plan: plan, registry: registry, injected: injected)
    }

    /// The provider of each kind the plan uses, answering its prompts; one in `injected` takes the place
    /// of the built one (a test double, run through the real executor).
    func providers(plan: SweepPlan, registry: Registry, injected: [ProviderKind: any Provider] = [:]) throws -> [ProviderKind: any Provider] {
        var out: [ProviderKind: any Provider] = [:]
        let kinds = Set(plan.manifest.models.map(\.provider))
        let needsIndex = kinds.contains { injected[$0] == nil }
        let prompts = needsIndex ? try PromptIndex(plan: plan, registry: registry) : PromptIndex()
        if kinds.contains(.replay), let replay { out[.replay] = replay.answering(prompts) }
        if kinds.contains(.simulated), let s = plan.manifest.providers.simulated {
            // The simulated pool tells models apart by the slug a request carries.
            let simulated = plan.models.filter { m in plan.manifest.models.contains { $0.ref == m.id && $0.provider == .simulated } }
            if let twin = Dictionary(grouping: simulated, by: \.slug).first(where: { $0.value.count > 1 }) {
                throw RunError.corrupt("simulated models \(twin.value.map(\.id).joined(separator: " and ")) share the slug '\(twin.key)'; give each its own slug in the registry")
            }
            out[.simulated] = SimulatedProvider(settings: s, prompts: prompts, models: plan.models, masterSeed: plan.manifest.seed)
        }
        for (kind, provider) in injected { out[kind] = provider }
        return out
    }
}
