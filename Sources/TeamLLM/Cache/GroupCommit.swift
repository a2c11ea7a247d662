/// Paid responses stored in group commits. A response that returns while a store transaction runs waits for
/// the next one, which takes everything that came back meanwhile: 64 calls answering together cost a few
/// transactions, not 64 in a row, and the slots they hold free up sooner. Each caller resumes only once its
/// own response is committed, so a response is still stored before anything records it.
actor GroupCommit {
    private let cache: ResponseCache
    private var pending: [(payment: ResponseCache.Payment, waiter: CheckedContinuation<Result<CacheEntry, any Error>, Never>)] = []
    private var writing = false

    init(cache: ResponseCache) { self.cache = cache }

    /// Stores one paid response with whatever else is waiting; the entry the cache keeps (the first writer's).
    func store(_ payment: ResponseCache.Payment) async throws -> CacheEntry {
        try await withCheckedContinuation { waiter in
            pending.append((payment, waiter))
            if !writing {
                writing = true
                // Detached: a paid response is stored even when the sweep is being cancelled.
                Task.detached { await self.drain() }
            }
        }.get()
    }

    private func drain() async {
        while !pending.isEmpty {
            let batch = pending
            pending = []
            let result: Result<[CacheEntry], any Error>
            do { result = .success(try await cache.storeOffPool(batch.map(\.payment))) } catch { result = .failure(error) }
            for (i, item) in batch.enumerated() { item.waiter.resume(returning: result.map { $0[i] }) }
        }
        writing = false
    }
}
