import Foundation

/// The providers a manifest routes its models to, built once per sweep.
struct ProviderSet: Sendable {
    var byKind: [ProviderKind: any Provider] = [:]
    /// (recording file, sha256) of each recording read, for the run header.
    var recordingHashes: [(String, String)] = []

    /// The providers of every model the manifest names.
    static func make(manifest: Manifest, registry: Registry, dataDir: URL) throws -> ProviderSet {
        var out = ProviderSet()
        let kinds = Set(manifest.models.map(\.provider))
        if kinds.contains(.replay) {
            // Manifest validation guarantees every replayed model's recording covers the sweep's one benchmark.
            let replayed = try manifest.models.filter { $0.provider == .replay }.map { try registry.model($0.ref) }
            let ids = Set(replayed.compactMap { $0.replay?.recording })
            guard ids.count == 1, let id = ids.first, let rec = registry.recordings[id] else {
                throw RunError.corrupt("replayed models must come from one recording; found \(ids.sorted())")
            }
            let provider = try ReplayProvider(recording: rec, models: replayed, dataDir: dataDir)
            out.byKind[.replay] = provider
            out.recordingHashes.append((rec.file, provider.sha256))
        }
        if kinds.contains(.simulated), let s = manifest.providers.simulated {
            out.byKind[.simulated] = SimulatedProvider(settings: s)
        }
        return out
    }
}
