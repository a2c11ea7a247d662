import Foundation

/// The beta distribution's regularized incomplete function and its inverse, for Clopper–Pearson limits.
public enum Beta {
    /// I_x(a, b): a continued fraction (modified Lentz), on whichever side of the mean converges fast.
    public static func regularized(_ x: Double, _ a: Double, _ b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        if x > (a + 1) / (a + b + 2) { return 1 - regularized(1 - x, b, a) }
        let logFront = a * log(x) + b * log1p(-x) - logBeta(a, b)
        return exp(logFront) * continuedFraction(x, a, b) / a
    }

    /// The density x^(a−1)(1−x)^(b−1)/B(a, b).
    public static func density(_ x: Double, _ a: Double, _ b: Double) -> Double {
        guard x > 0 && x < 1 else { return 0 }
        return exp((a - 1) * log(x) + (b - 1) * log1p(-x) - logBeta(a, b))
    }

    /// log B(a, b).
    public static func logBeta(_ a: Double, _ b: Double) -> Double { lgamma(a) + lgamma(b) - lgamma(a + b) }

    /// The x with I_x(a, b) = p.
    public static func quantile(_ p: Double, _ a: Double, _ b: Double) -> Double {
        if p <= 0 { return 0 }
        if p >= 1 { return 1 }
        let mean = a / (a + b)
        return Roots.increasing(in: 0...1, start: mean) { x in (regularized(x, a, b) - p, density(x, a, b)) }
    }

    static func continuedFraction(_ x: Double, _ a: Double, _ b: Double) -> Double {
        let tiny = 1e-300
        var c = 1.0, d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        for m in 1...10_000 {
            let m = Double(m)
            let even = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
            d = 1 + even * d; if abs(d) < tiny { d = tiny }
            c = 1 + even / c; if abs(c) < tiny { c = tiny }
            d = 1 / d; h *= d * c
            let odd = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
            d = 1 + odd * d; if abs(d) < tiny { d = tiny }
            c = 1 + odd / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-16 { break }
        }
        return h
    }
}

/// Clopper–Pearson ("exact") binomial confidence limits, from the beta quantile.
public enum ClopperPearson {
    /// The two-sided interval at `level` for `successes` of `trials`.
    public static func interval(_ successes: Int, of trials: Int, level: Double = 0.95) -> (lower: Double, upper: Double) {
        let alpha = 1 - level
        return (lower(successes, of: trials, confidence: 1 - alpha / 2), upper(successes, of: trials, confidence: 1 - alpha / 2))
    }

    /// The one-sided lower limit at `confidence` (0 when there are no successes).
    public static func lower(_ successes: Int, of trials: Int, confidence: Double) -> Double {
        successes == 0 ? 0 : Beta.quantile(1 - confidence, Double(successes), Double(trials - successes + 1))
    }

    /// The one-sided upper limit at `confidence` (1 when every trial succeeded).
    public static func upper(_ successes: Int, of trials: Int, confidence: Double) -> Double {
        successes == trials ? 1 : Beta.quantile(confidence, Double(successes + 1), Double(trials - successes))
    }
}
