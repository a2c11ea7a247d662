#!/usr/bin/env python3
"""Independent reference values for TeamLLM's analyses, computed with SciPy.

Used by Tests/TeamLLMTests/AnalysisReferenceTests.swift: the Swift statistics (written in
Sources/TeamLLMAnalysis/Statistics) must agree with these to 1e-9 relative. The algorithms differ on
purpose: here Clopper-Pearson comes from scipy.special.betaincinv, the bivariate normal from Owen's T,
the tetrachoric correlation from Brent's method on it, and the single-factor beta from QUADPACK in
log space.

Reads one JSON object on stdin:
  {"matrices": [{"name": ..., "errors": [[0/1 per item] per model]}],   # 1 = the model is WRONG
   "bvn": [[h, k, rho], ...], "single_factor": [{"error_rates": [...], "rho": r}],
   "beta_quantile": [[p, a, b], ...], "delta": 0.05}
Writes one JSON object:
  {"matrices": [{"name", "n", "K", "beta", "beta_ci", "beta_lo", "accuracy": [[acc, lo, hi]],
                 "phi": [[i, j, v]], "mean_phi", "tetrachoric": [[i, j, v]], "mean_tetrachoric",
                 "beta_single_factor", "ratio"}],
   "bvn": [...], "single_factor": [...], "beta_quantile": [...]}

Definitions (docs/analyses.md):
- n items, K items where every model is wrong, beta = K/n.
- Clopper-Pearson two-sided 95% for x of n: lo = 0 if x == 0 else betaincinv(x, n-x+1, 0.025);
  hi = 1 if x == n else betaincinv(x+1, n-x, 0.975). beta_ci uses x = K; accuracy uses x = items right.
- beta_lo = 0 if K == 0 else betaincinv(K, n-K+1, delta).
- phi: Pearson correlation of two error vectors, omitted when either is constant; mean over defined pairs.
- tetrachoric: e1, e2 error rates, p11 both wrong; omitted when a rate is 0 or 1; -1 when
  p11 <= max(0, e1+e2-1); +1 when p11 >= min(e1, e2); else the rho with Phi2(ndtri(e1), ndtri(e2); rho) = p11.
- beta_single_factor: rbar = max(0, mean tetrachoric); integral of phi(z) prod_j Phi((ndtri(e_j) - sqrt(rbar) z)
  / sqrt(1 - rbar)) dz, 0 if some e_j == 0, models with e_j == 1 dropped, min e_j if rbar >= 1,
  prod e_j if rbar == 0. ratio = beta / beta_single_factor.

The "bvn" points are answered by Owen's T, or by direct quadrature where the Owen's-T formula cancels below
1e-10 (strong negative correlation far in the tails). `--self-test` checks Phi2 against direct quadrature on a grid and prints the largest difference.
"""
import json
import math
import sys

import numpy as np
from scipy import integrate, optimize, special


def ndtr(x):
    return special.ndtr(x)


def owens_t_term(h, k, rho):
    """T(h, a) for the Owen's-T formula of Phi2, with a = (k - rho h) / (h sqrt(1 - rho^2)); h != 0."""
    a = (k - rho * h) / (h * math.sqrt(1 - rho * rho))
    return special.owens_t(h, a)


def bvn(h, k, rho):
    """P(X < h, Y < k) for standard normals with correlation rho."""
    if rho >= 1:
        return float(ndtr(min(h, k)))
    if rho <= -1:
        return max(0.0, float(ndtr(h) - ndtr(-k)))
    if h == 0 and k == 0:
        return 0.25 + math.asin(rho) / (2 * math.pi)
    if h == 0 or k == 0:
        # The limit of the general formula as one argument goes to 0 (T(0, ±inf) = ±1/4 cancels the 1/4 of
        # Phi(0)/2 and the beta term): Phi2(0, x; rho) = Phi(x)/2 - T(x, -rho / sqrt(1 - rho^2)), x of either sign.
        x = k if h == 0 else h
        return float(0.5 * ndtr(x) - special.owens_t(x, -rho / math.sqrt(1 - rho * rho)))
    beta = 0.0 if (h * k > 0) else 0.5
    value = 0.5 * ndtr(h) + 0.5 * ndtr(k) - owens_t_term(h, k, rho) - owens_t_term(k, h, rho) - beta
    return float(value)


def bvn_quad(h, k, rho):
    """The same probability by direct quadrature, for the self-test only."""
    s = math.sqrt(1 - rho * rho)
    f = lambda x: math.exp(-0.5 * x * x) / math.sqrt(2 * math.pi) * ndtr((k - rho * x) / s)
    return integrate.quad(f, -np.inf, h, epsabs=0, epsrel=1e-13, limit=500)[0]


def bvn_reference(h, k, rho):
    """Owen's T, except where it cancels to nothing: below 1e-10 the direct quadrature keeps relative accuracy."""
    value = bvn(h, k, rho)
    return value if value > 1e-10 else bvn_quad(h, k, rho)


def clopper_pearson(x, n, level=0.95):
    alpha = 1 - level
    lo = 0.0 if x == 0 else float(special.betaincinv(x, n - x + 1, alpha / 2))
    hi = 1.0 if x == n else float(special.betaincinv(x + 1, n - x, 1 - alpha / 2))
    return lo, hi


def tetrachoric(e1, e2, p11):
    if e1 <= 0 or e1 >= 1 or e2 <= 0 or e2 >= 1:
        return None
    if p11 <= max(0.0, e1 + e2 - 1):
        return -1.0
    if p11 >= min(e1, e2):
        return 1.0
    h, k = float(special.ndtri(e1)), float(special.ndtri(e2))
    f = lambda r: bvn(h, k, r) - p11
    return optimize.brentq(f, -1 + 1e-15, 1 - 1e-15, xtol=1e-16, rtol=8.9e-16, maxiter=500)


def single_factor(rates, rho):
    if any(e <= 0 for e in rates):
        return 0.0
    rates = [e for e in rates if e < 1]
    if not rates:
        return 1.0
    r = max(0.0, rho)
    if r >= 1:
        return min(rates)
    if r == 0:
        return float(np.prod(rates))
    t = special.ndtri(np.array(rates))
    s, c = math.sqrt(r), math.sqrt(1 - r)

    def logf(z):
        return -0.5 * z * z - 0.5 * math.log(2 * math.pi) + float(np.sum(special.log_ndtr((t - s * z) / c)))

    peak = optimize.minimize_scalar(lambda z: -logf(z), bounds=(-40, 40), method="bounded",
                                    options={"xatol": 1e-10}).x
    top = logf(peak)
    g = lambda z: math.exp(logf(z) - top)
    left = integrate.quad(g, peak - 40, peak, epsabs=0, epsrel=1e-13, limit=500)[0]
    right = integrate.quad(g, peak, peak + 40, epsabs=0, epsrel=1e-13, limit=500)[0]
    return math.exp(top) * (left + right)


def matrix_figures(entry, delta):
    E = np.array(entry["errors"], dtype=int)
    m, n = E.shape
    all_wrong = int(np.sum(E.min(axis=0)))
    out = {"name": entry["name"], "n": n, "K": all_wrong, "beta": all_wrong / n}
    out["beta_ci"] = list(clopper_pearson(all_wrong, n))
    out["beta_lo"] = 0.0 if all_wrong == 0 else float(special.betaincinv(all_wrong, n - all_wrong + 1, delta))
    out["accuracy"] = []
    for j in range(m):
        right = int(n - E[j].sum())
        lo, hi = clopper_pearson(right, n)
        out["accuracy"].append([right / n, lo, hi])
    rates = E.mean(axis=1)
    phis, tets = [], []
    for a in range(m):
        for b in range(a + 1, m):
            ea, eb = float(rates[a]), float(rates[b])
            p11 = float(np.mean(E[a] & E[b]))
            spread = ea * (1 - ea) * eb * (1 - eb)
            if spread > 0:
                phis.append([a, b, (p11 - ea * eb) / math.sqrt(spread)])
            t = tetrachoric(ea, eb, p11)
            if t is not None:
                tets.append([a, b, t])
    out["phi"] = phis
    out["mean_phi"] = float(np.mean([p[2] for p in phis])) if phis else None
    out["tetrachoric"] = tets
    mean_t = float(np.mean([p[2] for p in tets])) if tets else None
    out["mean_tetrachoric"] = mean_t
    sf = single_factor([float(e) for e in rates], mean_t) if mean_t is not None else None
    out["beta_single_factor"] = sf
    out["ratio"] = (out["beta"] / sf) if sf else None
    return out


def self_test():
    worst = 0.0
    for h in [-4.0, -2.5, -1.0, -0.3, 0.0, 0.4, 1.5, 3.0]:
        for k in [-3.5, -1.2, 0.0, 0.7, 2.2]:
            for rho in [-0.999, -0.9, -0.4, 0.0, 0.3, 0.8, 0.99, 0.99999]:
                a, b = bvn(h, k, rho), bvn_quad(h, k, rho)
                worst = max(worst, abs(a - b))
    print(f"Phi2 against direct quadrature: largest absolute difference {worst:.3e}")
    return worst < 1e-12


def main():
    if "--self-test" in sys.argv:
        sys.exit(0 if self_test() else 1)
    request = json.load(sys.stdin)
    delta = request.get("delta", 0.05)
    result = {
        "matrices": [matrix_figures(e, delta) for e in request.get("matrices", [])],
        "bvn": [bvn_reference(*p) for p in request.get("bvn", [])],
        "single_factor": [single_factor(p["error_rates"], p["rho"]) for p in request.get("single_factor", [])],
        "beta_quantile": [float(special.betaincinv(a, b, p)) for p, a, b in request.get("beta_quantile", [])],
    }
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
