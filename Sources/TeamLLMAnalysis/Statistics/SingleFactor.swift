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
        // The log-integrand is strictly concave (its second derivative is below −1: a sum of log-concave terms and
        // −z²/2), so its slope has one root: Newton's method on it, kept inside a bracket.
        let ratio = s / c
        let peak = Roots.increasing(in: -40...40, start: 0, tolerance: 1e-12) { z in
            var slope = -z, curvature = -1.0
            for t in thresholds {
                let u = (t - s * z) / c, lambda = Normal.millsInverse(u)
                slope -= ratio * lambda
                curvature -= ratio * ratio * lambda * (u + lambda)
            }
            return (-slope, -curvature)
        }
        let top = logIntegrand(peak)
        // Beyond 12 of the peak the integrand is below exp(−72) of its maximum: the −z²/2 term alone bounds it.
        let f = { (z: Double) in exp(logIntegrand(z) - top) }
        // Each λ(u)(u + λ(u)) is below 1, so the curvature never exceeds K = 1 + k(s/c)²: the centred integrand's
        // mass is at least √(2π/K). Asking each piece for that share of the tolerance, rather than for its own
        // relative accuracy, spares the far tails' pieces (worth nothing) the effort.
        let floor = (2 * Double.pi / (1 + Double(thresholds.count) * ratio * ratio)).squareRoot()
        let absolute = relativeTolerance * floor * 0.02
        let mass = Quadrature.standard.integrate(peak - 12, peak, absolute: absolute, relative: relativeTolerance, f)
            + Quadrature.standard.integrate(peak, peak + 12, absolute: absolute, relative: relativeTolerance, f)
        return exp(top) * mass
    }
}
