import Foundation

/// The standard normal distribution: density, distribution function (also in log space, for tails far past
/// where it underflows), and quantile.
public enum Normal {
    static let logRootTwoPi = 0.5 * log(2 * Double.pi)

    /// φ(x).
    public static func density(_ x: Double) -> Double { exp(-0.5 * x * x - logRootTwoPi) }

    /// Φ(x), through erfc so the lower tail keeps its relative accuracy.
    public static func cdf(_ x: Double) -> Double { 0.5 * erfc(-x / 2.0.squareRoot()) }

    /// log Φ(x), accurate for any x: log1p in the upper tail, the asymptotic Mills-ratio series below −30,
    /// where Φ itself is under 5e-198 and soon underflows.
    public static func logCDF(_ x: Double) -> Double {
        if x > 3 { return log1p(-cdf(-x)) }
        if x > -30 { return log(cdf(x)) }
        // Φ(x) = φ(x)/|x| · (1 − 1/x² + 3/x⁴ − 15/x⁶ + …); at |x| ≥ 30 eight terms are exact to double precision.
        let z = x * x
        var sum = 1.0, term = 1.0
        for k in 1...8 { term *= -Double(2 * k - 1) / z; sum += term }
        return -0.5 * z - logRootTwoPi - log(-x) + log(sum)
    }

    /// φ(x)/Φ(x), the inverse Mills ratio, computed in log space so it stays finite in the far lower tail.
    public static func millsInverse(_ x: Double) -> Double { exp(-0.5 * x * x - logRootTwoPi - logCDF(x)) }

    /// Φ⁻¹(p) for p in (0, 1): a rational first guess refined by Halley steps on erfc to full double precision.
    /// The upper half is the mirror of the lower (1 − p is exact there), so both tails keep relative accuracy.
    public static func quantile(_ p: Double) -> Double {
        precondition(p > 0 && p < 1, "normal quantile needs p in (0, 1), got \(p)")
        if p > 0.5 { return -quantile(1 - p) }
        if p == 0.5 { return 0 }
        var x = firstGuess(p)
        for _ in 0..<4 {
            let e = cdf(x) - p
            let u = e / density(x)
            let step = u / (1 + 0.5 * x * u)
            x -= step
            if abs(step) <= 1e-16 * max(1, abs(x)) { break }
        }
        return x
    }

    /// A rational approximation good to about 1e-9 (the coefficients of P. J. Acklam's published algorithm).
    static func firstGuess(_ p: Double) -> Double {
        let a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00]
        let b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01]
        let c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00]
        let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
        if p < 0.02425 {
            let q = (-2 * log(p)).squareRoot()
            return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        }
        let q = p - 0.5, r = q * q
        return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
            / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
    }
}
