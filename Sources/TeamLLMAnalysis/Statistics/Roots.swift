/// One-dimensional root finding for increasing functions with a known derivative.
public enum Roots {
    /// The root of an increasing `f` in [lo, hi] (f(lo) ≤ 0 ≤ f(hi)): Newton steps, replaced by bisection
    /// whenever one would leave the bracket, until a step is below `tolerance` relative to the root, or the bracket closes.
    public static func increasing(in range: ClosedRange<Double>, start: Double? = nil, tolerance: Double = 1e-15,
                                  _ f: (Double) -> (value: Double, slope: Double)) -> Double {
        var lo = range.lowerBound, hi = range.upperBound
        var x = start ?? 0.5 * (lo + hi)
        for _ in 0..<300 {
            let (v, slope) = f(x)
            if v == 0 { return x }
            if v < 0 { lo = x } else { hi = x }
            var next = slope > 0 ? x - v / slope : .nan
            if !(next > lo && next < hi) { next = 0.5 * (lo + hi) }
            let moved = abs(next - x)
            x = next
            if moved <= tolerance * abs(x) || hi - lo <= tolerance * abs(x) || moved < 1e-300 { break }
        }
        return x
    }
}
