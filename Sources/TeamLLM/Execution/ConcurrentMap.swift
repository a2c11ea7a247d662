import Foundation

extension Array where Element: Sendable {
    /// `map` split over the machine's cores, results in order; small arrays stay on the calling task.
    func concurrentMap<T: Sendable>(_ transform: @escaping @Sendable (Element) throws -> T) async throws -> [T] {
        let parts = Swift.min(ProcessInfo.processInfo.activeProcessorCount, count / 16)
        guard parts > 1 else { return try map(transform) }
        let size = (count + parts - 1) / parts
        return try await withThrowingTaskGroup(of: (Int, [T]).self) { group in
            for p in 0..<parts {
                let slice = self[Swift.min(p * size, count)..<Swift.min((p + 1) * size, count)]
                group.addTask { (p, try slice.map(transform)) }
            }
            var results = [[T]](repeating: [], count: parts)
            for try await (p, r) in group { results[p] = r }
            return results.flatMap { $0 }
        }
    }
}
