import Foundation

/// Per pair of models, over the items both answered: the Pearson correlation of their error indicators (φ) and
/// the tetrachoric correlation. Undefined pairs (a model always right or always wrong there) are nil.
public struct PairwiseErrors: Sendable {
    /// phi[a][b], symmetric, nil on the diagonal and for undefined pairs.
    public let phi: [[Double?]]
    public let tetrachoric: [[Double?]]

    /// Both matrices for `pool`.
    public init(_ pool: ScoredPool) {
        let m = pool.models.count
        var phi = [[Double?]](repeating: [Double?](repeating: nil, count: m), count: m)
        var tet = phi
        let pairs = (0..<m).flatMap { a in ((a + 1)..<m).map { (a, $0) } }
        var results = [(Double?, Double?)](repeating: (nil, nil), count: pairs.count)
        results.withUnsafeMutableBufferPointer { out in
            let buffer = UncheckedBuffer(out)
            DispatchQueue.concurrentPerform(iterations: 2) { part in
                for p in stride(from: part, to: pairs.count, by: 2) {
                    buffer[p] = PairwiseErrors.pair(pool, pairs[p].0, pairs[p].1)
                }
            }
        }
        for (p, (a, b)) in pairs.enumerated() {
            (phi[a][b], tet[a][b]) = results[p]
            (phi[b][a], tet[b][a]) = results[p]
        }
        self.phi = phi
        tetrachoric = tet
    }

    static func pair(_ pool: ScoredPool, _ a: Int, _ b: Int) -> (Double?, Double?) {
        let both = pool.answered[a].intersection(pool.answered[b])
        let n = Double(both.cardinality)
        guard n > 0 else { return (nil, nil) }
        let ea = Double(pool.wrong[a].overlap(both)) / n, eb = Double(pool.wrong[b].overlap(both)) / n
        let joint = Double(pool.wrong[a].overlap(pool.wrong[b])) / n
        let spread = ea * (1 - ea) * eb * (1 - eb)
        let phi = spread > 0 ? (joint - ea * eb) / spread.squareRoot() : nil
        return (phi, Tetrachoric.correlation(ea, eb, joint: joint))
    }

    /// The mean over defined pairs among `group`, and how many pairs were defined.
    public static func mean(_ values: [[Double?]], over group: [Int]) -> (mean: Double?, pairs: Int) {
        var sum = 0.0, n = 0
        for (x, a) in group.enumerated() {
            for b in group[(x + 1)...] { if let v = values[a][b] { sum += v; n += 1 } }
        }
        return (n == 0 ? nil : sum / Double(n), n)
    }
}

/// Lets two workers of `concurrentPerform` write disjoint slots of one buffer. Safe because each index is
/// written by exactly one iteration (the stride partitions them) and the buffer outlives the call.
struct UncheckedBuffer<T>: @unchecked Sendable {
    let base: UnsafeMutableBufferPointer<T>
    init(_ base: UnsafeMutableBufferPointer<T>) { self.base = base }
    subscript(i: Int) -> T {
        get { base[i] }
        nonmutating set { base[i] = newValue }
    }
}
