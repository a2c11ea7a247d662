import Foundation

/// The standard bivariate normal distribution with correlation ρ.
public enum BivariateNormal {
    /// P(X < h, Y < k) for standard normals with correlation ρ.
    ///
    /// Φ(h)Φ(k) plus Plackett's integral of the density over the correlation, with ρ = sin θ: the substitution
    /// removes the 1/√(1−ρ²) singularity, leaving a smooth, bounded integrand right up to ρ = ±1.
    public static func cdf(_ h: Double, _ k: Double, _ rho: Double) -> Double {
        if rho >= 1 { return Normal.cdf(min(h, k)) }
        if rho <= -1 { return max(0, Normal.cdf(h) - Normal.cdf(-k)) }
        let base = Normal.cdf(h) * Normal.cdf(k)
        if rho == 0 { return base }
        let hh = h * h + k * k, hk = h * k
        let integral = Quadrature.standard.integrate(0, asin(rho), absolute: 1e-17, relative: 1e-15) { t in
            let s = sin(t), c = cos(t)
            return exp(-(hh - 2 * hk * s) / (2 * c * c))
        }
        return min(max(base + integral / (2 * Double.pi), 0), min(Normal.cdf(h), Normal.cdf(k)))
    }

    /// The density at (h, k): ∂/∂ρ of `cdf` (Plackett's identity).
    public static func density(_ h: Double, _ k: Double, _ rho: Double) -> Double {
        let r = 1 - rho * rho
        return exp(-(h * h - 2 * rho * h * k + k * k) / (2 * r)) / (2 * Double.pi * r.squareRoot())
    }
}
