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

    private var entries: [String: Entry] = [:]

    /// An empty index.
    public init() {}

    /// An index of the given prompts (tests build small ones by hand).
    public init(_ prompts: [(messages: [ChatMessage], entry: Entry)]) throws {
        for p in prompts { entries[try CanonicalJSON.hash(p.messages)] = p.entry }
    }

    /// Every item of a plan, rendered with its benchmark's template. Two items with the same prompt are
    /// one request to a model, so the first in dataset order stands for both.
    public init(plan: SweepPlan, registry: Registry) throws {
        for (bench, items) in zip(plan.datasets.map(\.benchmark), plan.items) {
            for item in items {
                let hash = try CanonicalJSON.hash(RequestBuilder.messages(item: item, benchmark: bench, registry: registry))
                if entries[hash] == nil { entries[hash] = Entry(benchmark: bench, item: item) }
            }
        }
    }

    /// The item behind a request's messages, if the plan has it.
    public func entry(for messages: [ChatMessage]) -> Entry? {
        (try? CanonicalJSON.hash(messages)).flatMap { entries[$0] }
    }
}
