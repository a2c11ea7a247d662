import Foundation
import TeamLLM

/// Empirical quantiles and seeded draws, shared by the bootstrap and the pool-size curve.
public enum Sampling {
    /// The `q` quantile of `values` by linear interpolation between order statistics (Hyndman–Fan type 7, the
    /// default of R and NumPy); nil for no values.
    public static func quantile(_ values: [Double], _ q: Double) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let h = Double(sorted.count - 1) * q
        let lo = Int(h.rounded(.down)), hi = min(lo + 1, sorted.count - 1)
        return sorted[lo] + (h - Double(lo)) * (sorted[hi] - sorted[lo])
    }

    /// A generator for one named use of one seed: the same (purpose, seed) always draws the same sequence.
    public static func generator(_ purpose: String, seed: UInt64) -> SplitMix64 {
        SplitMix64(text: "teamllm/analysis/\(purpose)/v1|\(seed)")
    }

    /// A uniform integer in 0..<n (the standard library's unbiased bounded draw).
    @inline(__always)
    public static func below(_ n: Int, _ rng: inout SplitMix64) -> Int {
        Int(rng.next(upperBound: UInt64(n)))
    }

    /// `k` distinct indices of 0..<n, in increasing order (a partial Fisher–Yates shuffle).
    public static func subset(_ k: Int, of n: Int, _ rng: inout SplitMix64) -> [Int] {
        var pool = Array(0..<n)
        for i in 0..<k { pool.swapAt(i, i + below(n - i, &rng)) }
        return pool[0..<k].sorted()
    }
}

/// A fixed-length set of item positions, one bit each: co-failure counts are ANDs and popcounts.
public struct ItemSet: Sendable, Equatable {
    public private(set) var words: [UInt64]
    public let count: Int

    /// The empty set over `count` positions (or the full one).
    public init(count: Int, full: Bool = false) {
        self.count = count
        words = [UInt64](repeating: full ? ~0 : 0, count: (count + 63) / 64)
        if full, count % 64 != 0 { words[words.count - 1] = (1 << UInt64(count % 64)) - 1 }
    }

    public subscript(_ i: Int) -> Bool {
        get { words[i >> 6] & (1 << UInt64(i & 63)) != 0 }
        set { if newValue { words[i >> 6] |= 1 << UInt64(i & 63) } else { words[i >> 6] &= ~(1 << UInt64(i & 63)) } }
    }

    /// How many positions are in the set.
    public var cardinality: Int { words.reduce(0) { $0 + $1.nonzeroBitCount } }

    /// The positions in both sets.
    public func intersection(_ other: ItemSet) -> ItemSet {
        var out = self
        for w in out.words.indices { out.words[w] &= other.words[w] }
        return out
    }

    /// The positions in either set.
    public func union(_ other: ItemSet) -> ItemSet {
        var out = self
        for w in out.words.indices { out.words[w] |= other.words[w] }
        return out
    }

    /// The positions not in the set.
    public var complement: ItemSet {
        var out = self
        for w in out.words.indices { out.words[w] = ~out.words[w] }
        if count % 64 != 0 { out.words[out.words.count - 1] &= (1 << UInt64(count % 64)) - 1 }
        return out
    }

    /// |self ∩ other| without building the intersection.
    public func overlap(_ other: ItemSet) -> Int {
        var n = 0
        for w in words.indices { n += (words[w] & other.words[w]).nonzeroBitCount }
        return n
    }
}
