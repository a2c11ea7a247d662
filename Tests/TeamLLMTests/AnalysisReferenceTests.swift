import Foundation
import Testing
import TeamLLM
@testable import TeamLLMAnalysis

/// The statistics against an independent implementation: scripts/analysis_reference.py computes every figure with
/// SciPy (Clopper–Pearson from its incomplete-beta inverse, the bivariate normal through Owen's T, tetrachoric by
/// Brent's root finding on it, β_sf by adaptive quadrature in log space). Agreement is asked to 1e-9 relative.
@Suite struct AnalysisReferenceTests {
    static func close(_ a: Double, _ b: Double, _ tolerance: Double = 1e-9) -> Bool {
        a == b || abs(a - b) <= tolerance * max(abs(a), abs(b), 1e-300)
    }

    static let bvnPoints: [[Double]] = [[0, 0, 0.5], [-1.2, 0.3, -0.4], [-2.5, -2.0, 0.9], [1.5, -0.7, 0.999], [-3, -3, -0.95],
                                        [0.4, 0.4, 0.99999], [-0.5, 2.2, 0.2], [-4.5, -4.0, 0.6], [0, -1, -0.999], [2, 2, -0.3],
                                        [-3.1, -2.9, 0.05], [-1.6, -0.2, -0.7], [-0.7, -0.6, 0.35]]
    static let singleFactorPoints: [([Double], Double)] = [
        ([0.3, 0.4, 0.2], 0.25), (Array(repeating: 0.3, count: 67), 0.05), (Array(repeating: 0.35, count: 67), 0.02),
        ((0..<40).map { 0.1 + 0.01 * Double($0) }, 0.6), ([0.5, 0.5], 0.999), ([0.01, 0.02, 0.03, 0.04], 0.3),
    ]
    static let betaPoints: [[Double]] = [[0.025, 1, 330], [0.975, 38, 293], [0.05, 432, 888], [0.5, 2.5, 7.5], [1e-6, 5, 5000], [0.999, 3000, 2]]

    static func reference(_ matrices: [AnalysisFixtures.Errors]) async throws -> [String: Any] {
        let input: [String: Any] = [
            "matrices": matrices.map(\.json), "bvn": bvnPoints,
            "single_factor": singleFactorPoints.map { ["error_rates": $0.0, "rho": $0.1] }, "beta_quantile": betaPoints, "delta": 0.05,
        ]
        let file = Fixtures.tempDir("reference").appendingPathComponent("input.json")
        try JSONSerialization.data(withJSONObject: input).write(to: file)
        let script = Fixtures.repo.appendingPathComponent("scripts/analysis_reference.py").path
        let (status, output) = try await Fixtures.python([script], input: file)
        try #require(status == 0, "the reference script failed: \(output)")
        return try JSONSerialization.jsonObject(with: Data(output.utf8)) as! [String: Any]
    }

    @Test func distributionFunctionsMatchSciPy() async throws {
        // The reference's own Φ2 (Owen's T) is first checked against direct quadrature on a grid.
        let script = Fixtures.repo.appendingPathComponent("scripts/analysis_reference.py").path
        let selfTest = try await Fixtures.python([script, "--self-test"])
        #expect(selfTest.status == 0, "the reference's Φ2 disagrees with quadrature: \(selfTest.output)")
        let ref = try await Self.reference([])
        // Relative agreement where Φ2 is above 1e-12 (every joint error rate a matrix can have); below that (strong
        // negative correlation far in the tails) Φ(h)Φ(k) minus an integral of nearly the same size leaves an
        // absolute accuracy, asked here to 1e-16.
        for (p, want) in zip(Self.bvnPoints, ref["bvn"] as! [Double]) {
            let got = BivariateNormal.cdf(p[0], p[1], p[2])
            #expect(want > 1e-12 ? Self.close(got, want) : abs(got - want) < 1e-16, "Φ2\(p) = \(got), SciPy \(want)")
        }
        for (p, want) in zip(Self.singleFactorPoints, ref["single_factor"] as! [Double]) {
            let got = SingleFactor.allWrong(errorRates: p.0, rho: p.1)
            #expect(Self.close(got, want), "β_sf(ρ \(p.1), \(p.0.count) models) = \(got), SciPy \(want)")
        }
        for (p, want) in zip(Self.betaPoints, ref["beta_quantile"] as! [Double]) {
            let got = Beta.quantile(p[0], p[1], p[2])
            #expect(Self.close(got, want), "I⁻¹(\(p)) = \(got), SciPy \(want)")
        }
        // A tiny single-factor value is the point of the exercise: the 67-model pool at ρ 0.02 is far below 1e-9.
        #expect(SingleFactor.allWrong(errorRates: Array(repeating: 0.35, count: 67), rho: 0.02) < 1e-12)
    }

    @Test func everyFigureMatchesSciPyOnFourMatrices() async throws {
        let matrices = [try AnalysisFixtures.gsm8kPublished(), AnalysisFixtures.commonShock(), AnalysisFixtures.small, AnalysisFixtures.edges]
        let ref = (try await Self.reference(matrices))["matrices"] as! [[String: Any]]
        try #require(ref.count == matrices.count)
        for (e, r) in zip(matrices, ref) {
            let (f, pairwise, _) = try AnalysisFixtures.figures(e)
            let name = e.name
            #expect(f.items == r["n"] as! Int && f.allWrong == r["K"] as! Int, "\(name): n, K")
            #expect(Self.close(f.beta, r["beta"] as! Double), "\(name): beta")
            let ci = r["beta_ci"] as! [Double]
            #expect(Self.close(f.betaInterval[0], ci[0]) && Self.close(f.betaInterval[1], ci[1]), "\(name): beta interval \(f.betaInterval) vs \(ci)")
            #expect(Self.close(f.betaLower, r["beta_lo"] as! Double), "\(name): beta_lo \(f.betaLower) vs \(r["beta_lo"]!)")
            #expect((r["accuracy"] as! [[Double]]).count == f.models.count)
            for (m, acc) in zip(f.models, r["accuracy"] as! [[Double]]) {
                #expect(Self.close(m.accuracy, acc[0]) && Self.close(m.interval[0], acc[1]) && Self.close(m.interval[1], acc[2]),
                        "\(name): accuracy of \(m.model) \(m.accuracy) \(m.interval) vs \(acc)")
            }
            let refPhi = r["phi"] as! [[Double]], refTet = r["tetrachoric"] as! [[Double]]
            #expect(refTet.count == f.definedPairs, "\(name): defined pairs \(f.definedPairs) vs \(refTet.count)")
            let ours = f.pairs - refPhi.count
            #expect(pairwise.phi.joined().compactMap { $0 }.count == 2 * refPhi.count, "\(name): φ defined on the same pairs (\(ours) undefined)")
            for t in refPhi {
                let got = pairwise.phi[Int(t[0])][Int(t[1])]
                #expect(got.map { Self.close($0, t[2]) } == true, "\(name): φ(\(Int(t[0])), \(Int(t[1]))) = \(String(describing: got)) vs \(t[2])")
            }
            for t in refTet {
                let got = pairwise.tetrachoric[Int(t[0])][Int(t[1])]
                #expect(got.map { Self.close($0, t[2]) } == true, "\(name): tetrachoric(\(Int(t[0])), \(Int(t[1]))) = \(String(describing: got)) vs \(t[2])")
            }
            if let want = r["mean_tetrachoric"] as? Double {
                #expect(f.meanTetrachoric.map { Self.close($0, want) } == true, "\(name): mean tetrachoric \(String(describing: f.meanTetrachoric)) vs \(want)")
            } else { #expect(f.meanTetrachoric == nil) }
            if let want = r["mean_phi"] as? Double { #expect(f.meanPhi.map { Self.close($0, want) } == true, "\(name): mean φ") } else { #expect(f.meanPhi == nil) }
            if let want = r["beta_single_factor"] as? Double {
                #expect(f.betaSingleFactor.map { Self.close($0, want) } == true, "\(name): β_sf \(String(describing: f.betaSingleFactor)) vs \(want)")
            } else { #expect(f.betaSingleFactor == nil, "\(name): β_sf should be undefined") }
            if let want = r["ratio"] as? Double { #expect(f.underpricing.map { Self.close($0, want) } == true, "\(name): ratio") } else { #expect(f.underpricing == nil) }
        }
    }
}
