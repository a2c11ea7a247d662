import Foundation

/// Tetrachoric correlation: the latent bivariate-normal correlation behind two binary indicators.
public enum Tetrachoric {
    /// The ρ whose lower-orthant probability at (Φ⁻¹(p₁), Φ⁻¹(p₂)) equals `joint`, the share of items where
    /// both indicators are 1; nil when either marginal is 0 or 1 (no latent threshold exists). A joint rate at
    /// or beyond the Fréchet bounds gives ±1.
    public static func correlation(_ p1: Double, _ p2: Double, joint: Double) -> Double? {
        guard p1 > 0, p1 < 1, p2 > 0, p2 < 1 else { return nil }
        if joint <= max(0, p1 + p2 - 1) { return -1 }
        if joint >= min(p1, p2) { return 1 }
        let h = Normal.quantile(p1), k = Normal.quantile(p2)
        // Start from the Pearson φ of the indicators, usually close; Newton with the density as slope.
        let phi = (joint - p1 * p2) / (p1 * (1 - p1) * p2 * (1 - p2)).squareRoot()
        return Roots.increasing(in: -1...1, start: min(max(phi, -0.99), 0.99)) { rho in
            (BivariateNormal.cdf(h, k, rho) - joint, BivariateNormal.density(h, k, rho))
        }
    }
}
