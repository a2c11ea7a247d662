import Foundation

/// Random mixing of single models: at a cost per item c, route each item to one of two models at random with
/// the probabilities that make the expected cost c. The best such mix lies on the upper concave hull of the
/// single models' (cost, accuracy) points, so a router is worth its cost only above that hull.
public struct RandomMix: Codable, Sendable {
    /// The hull's vertices, by increasing cost.
    public let hull: [[Double]]

    /// The hull of the given single-model results.
    public init(_ singles: [PolicyResult]) {
        let points = singles.map { [$0.costPerItem, $0.accuracy] }.sorted { ($0[0], -$0[1]) < ($1[0], -$1[1]) }
        var upper: [[Double]] = []
        for p in points {
            if let last = upper.last, p[1] <= last[1] { continue } // costs more, no better: never on the hull
            while upper.count >= 2 {
                let a = upper[upper.count - 2], b = upper[upper.count - 1]
                // Drop b when it lies on or below the segment a → p.
                if (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]) >= 0 { upper.removeLast() } else { break }
            }
            upper.append(p)
        }
        hull = upper
    }

    /// The expected accuracy of the best random mix costing `cost` per item; nil below the cheapest model.
    public func accuracy(atCost cost: Double) -> Double? {
        guard let first = hull.first, cost >= first[0] - 1e-15 else { return nil }
        for (a, b) in zip(hull, hull.dropFirst()) where cost <= b[0] {
            let t = b[0] == a[0] ? 1 : (cost - a[0]) / (b[0] - a[0])
            return a[1] + t * (b[1] - a[1])
        }
        return hull.last![1]
    }
}
