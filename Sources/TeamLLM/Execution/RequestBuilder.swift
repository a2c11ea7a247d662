import Foundation

/// Builds the exact request of a cell from the plan, the registry's template and the provider.
struct RequestBuilder: Sendable {
    let plan: SweepPlan
    let registry: Registry
    let providers: [ProviderKind: any Provider]

    /// The messages that ask an item: its benchmark's template rendered with the item's fields.
    static func messages(item: Item, benchmark bench: BenchmarkEntry, registry: Registry) throws -> [ChatMessage] {
        var fields = item.fields
        fields["question"] = item.question
        if let choices = item.choiceLines { fields["choices"] = choices }
        return try template(of: bench, registry).render(fields)
    }

    private static func template(of bench: BenchmarkEntry, _ registry: Registry) throws -> PromptTemplate {
        guard let template = registry.templates[bench.template] else {
            throw RegistryError.unknown(kind: "template", ref: bench.template, known: registry.templates.keys.sorted())
        }
        return template
    }

    /// The request a cell sends, with its prompt and template hashes.
    /// `maxTokens`: a re-ask's larger limit, instead of the manifest's.
    func request(for cell: PlannedCell, maxTokens: Int? = nil) throws -> (ProviderRequest, prompt: String, template: String) {
        let bench = plan.benchmark(of: cell), item = plan.item(of: cell), model = plan.model(of: cell)
        let template = try Self.template(of: bench, registry)
        let messages = try Self.messages(item: item, benchmark: bench, registry: registry)
        let kind = plan.provider(of: cell)
        guard let provider = providers[kind] else { throw RunError.corrupt("no provider for \(kind.rawValue)") }
        let sampling = plan.manifest.sampling
        var request = ProviderRequest(provider: kind, baseURL: provider.baseURL(for: model), model: model.slug, messages: messages,
                                      temperature: sampling.temperature, maxTokens: maxTokens ?? sampling.maxTokens, seed: cell.seed, sample: cell.id.sample,
                                      topP: sampling.topP, stop: sampling.stop)
        if kind == .openrouter { request.routing = plan.manifest.models.first { $0.ref == model.id }?.routing }
        return (request, try CanonicalJSON.hash(messages), template.hash)
    }
}
