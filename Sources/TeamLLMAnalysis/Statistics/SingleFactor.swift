import Foundation

/// The single-factor Gaussian copula: every model's latent error propensity loads √ρ on one shared factor.
public enum SingleFactor {
    /// The probability that every model errs at once, given each model's error rate and the common correlation ρ:
    /// ∫ φ(z) ∏ⱼ Φ((Φ⁻¹(eⱼ) − √ρ z)/√(1−ρ)) dz.
    ///
    /// The product is taken in log space and the integral centred on the log-integrand's maximum, so values far
    /// below 1e-9 keep their relative accuracy. ρ below 0 is taken as 0: one shared factor cannot carry a
    /// negative correlation common to more than two models.
    public static func allWrong(errorRates: [Double], rho: Double, relativeTolerance: Double = 1e-13) -> Double {
        if errorRates.contains(where: { $0 <= 0 }) { return 0 }
        let rates = errorRates.filter { $0 < 1 }
        if rates.isEmpty { return 1 }
        let r = max(0, rho)
        if r >= 1 { return rates.min()! }
        if r == 0 { return rates.reduce(1, *) }
        let thresholds = rates.map(Normal.quantile)
        let s = r.squareRoot(), c = (1 - r).squareRoot()
        func logIntegrand(_ z: Double) -> Double {
            var g = -0.5 * z * z - Normal.logRootTwoPi
            for t in thresholds { g += Normal.logCDF((t - s * z) / c) }
            return g
        }
        // The log-integrand is concave (a sum of log-concave terms), so its slope crosses zero once: bisect it.
        func slope(_ z: Double) -> Double {
            var d = -z
            for t in thresholds { d -= (s / c) * Normal.millsInverse((t - s * z) / c) }
            return d
        }
        var lo = -40.0, hi = 40.0
        for _ in 0..<64 {
            let m = 0.5 * (lo + hi)
            if slope(m) > 0 { lo = m } else { hi = m }
            if hi - lo < 1e-7 { break }
        }
        let peak = 0.5 * (lo + hi)
        let top = logIntegrand(peak)
        // Beyond 12 of the peak the integrand is below exp(−72) of its maximum: the −z²/2 term alone bounds it.
        let f = { (z: Double) in exp(logIntegrand(z) - top) }
        let mass = Quadrature.standard.integrate(peak - 12, peak, absolute: 1e-300, relative: relativeTolerance, f)
            + Quadrature.standard.integrate(peak, peak + 12, absolute: 1e-300, relative: relativeTolerance, f)
        return exp(top) * mass
    }
}
