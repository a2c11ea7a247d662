import Foundation

/// Adaptive Gauss–Legendre quadrature. The nodes and weights are computed here, by Newton's method on the
/// Legendre recurrence, rather than typed in: nothing to mistype.
public struct Quadrature: Sendable {
    /// Nodes on [−1, 1] and their weights.
    public let nodes: [Double]
    public let weights: [Double]

    /// The rule used by the analyses: 20 points, exact for polynomials of degree 39.
    public static let standard = Quadrature(order: 20)

    /// The `order`-point Gauss–Legendre rule.
    public init(order n: Int) {
        var x = [Double](repeating: 0, count: n), w = [Double](repeating: 0, count: n)
        for i in 0..<(n + 1) / 2 {
            var z = cos(Double.pi * (Double(i) + 0.75) / (Double(n) + 0.5))
            var derivative = 0.0
            for _ in 0..<100 {
                var p0 = 1.0, p1 = 0.0
                for j in 1...n { let p2 = p1; p1 = p0; p0 = ((2 * Double(j) - 1) * z * p1 - (Double(j) - 1) * p2) / Double(j) }
                derivative = Double(n) * (z * p0 - p1) / (z * z - 1)
                let step = p0 / derivative
                z -= step
                if abs(step) < 1e-16 { break }
            }
            x[i] = -z; x[n - 1 - i] = z
            w[i] = 2 / ((1 - z * z) * derivative * derivative); w[n - 1 - i] = w[i]
        }
        nodes = x; weights = w
    }

    /// The rule applied once on [a, b].
    @inline(__always)
    public func apply(_ a: Double, _ b: Double, _ f: (Double) -> Double) -> Double {
        let half = 0.5 * (b - a), mid = 0.5 * (a + b)
        var s = 0.0
        for i in nodes.indices { s += weights[i] * f(mid + half * nodes[i]) }
        return s * half
    }

    /// ∫ₐᵇ f, bisecting until the two halves agree with the whole to `absolute` or `relative` (of the
    /// running estimate `scale`, when the caller knows the integral's size); depth-limited at 2⁻⁴⁰ of the interval.
    public func integrate(_ a: Double, _ b: Double, absolute: Double = 1e-15, relative: Double = 1e-14, _ f: (Double) -> Double) -> Double {
        func step(_ a: Double, _ b: Double, _ whole: Double, _ depth: Int) -> Double {
            let m = 0.5 * (a + b)
            let left = apply(a, m, f), right = apply(m, b, f)
            let halves = left + right
            if depth >= 40 || abs(halves - whole) <= max(absolute, relative * abs(halves)) { return halves }
            return step(a, m, left, depth + 1) + step(m, b, right, depth + 1)
        }
        return step(a, b, apply(a, b, f), 0)
    }
}
