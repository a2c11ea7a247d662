import Foundation

/// Which item of a plan a rendered prompt asks.
///
/// A provider sees only the request, as an HTTP provider would: no item, no gold answer. The offline
/// providers, which stand in for models, find the item behind a request here, by the sha256 of its
/// canonical messages (the prompt hash every attempt records). The simulated pool is handed the gold
/// answers this way at construction, in the open, and a stray gold answer can never reach a real model.
public struct PromptIndex: Sendable {
    /// The item a prompt asks, with its benchmark.
    public struct Entry: Sendable {
        public let benchmark: BenchmarkEntry
        public let item: Item
    }

    private var entries: [String: [Entry]] = [:]

    /// An empty index.
    public init() {}

    /// An index of the given prompts (tests build small ones by hand).
    public init(_ prompts: [(messages: [ChatMessage], entry: Entry)]) throws {
        for p in prompts { entries[try CanonicalJSON.hash(p.messages), default: []].append(p.entry) }
    }

    /// Every item of a plan, rendered with its benchmark's template.
    public init(plan: SweepPlan, registry: Registry) throws {
        for (bench, items) in zip(plan.datasets.map(\.benchmark), plan.items) {
            for item in items {
                let hash = try CanonicalJSON.hash(RequestBuilder.messages(item: item, benchmark: bench, registry: registry))
                entries[hash, default: []].append(Entry(benchmark: bench, item: item))
            }
        }
    }

    /// The items whose prompt these messages are: one, or several when a dataset repeats a question.
    public func entries(for messages: [ChatMessage]) -> [Entry] {
        (try? CanonicalJSON.hash(messages)).flatMap { entries[$0] } ?? []
    }

    /// The item a request asks: among items with the same prompt, the one whose cell seed is the request's
    /// (each cell's seed derives from its item, so a repeated question still has one item per request).
    public func entry(for request: ProviderRequest, model: String, masterSeed: Int) -> Entry? {
        let found = entries(for: request.messages)
        guard found.count > 1 else { return found.first }
        return found.first { e in
            Seeds.cell(master: masterSeed, CellID(benchmark: e.benchmark.id, item: e.item.id, model: model, sample: request.sample)) == request.seed
        }
    }
}
