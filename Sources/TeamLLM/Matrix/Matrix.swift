import Foundation

/// A matrix cell's verdict: the grade that counts, or `missing` (not run, a provider failure, ungradable, not graded).
public enum MatrixVerdict: String, Codable, Sendable, CaseIterable {
    case correct, incorrect, missing
}

/// One cell of the correctness matrix. `missing` is never counted as wrong.
public struct MatrixCell: Codable, Equatable, Sendable {
    public let benchmark: String
    public let item: String
    public let model: String
    public let sample: Int
    /// Whether the grade that counts says correct or incorrect, or the cell is missing.
    public let verdict: MatrixVerdict
    /// Why a cell is missing: not run yet, a typed provider failure, or ungradable.
    public let reason: String?
    /// What this run paid for the cell, over all its attempts.
    public let costUSD: USD
    public let tokensIn: Int?
    public let tokensOut: Int?
    public let latencyMs: Int?
    /// The attempt whose response was graded.
    public let attempt: String?
    /// `name@version` of the grader whose grade counts here.
    public let grader: String?
    public let extracted: String?
    /// The grade's canonical answer key (equal answers share it), for votes and agreement across models.
    public var canonical: String? = nil
    /// The output limit of that attempt: the manifest's `max_tokens`, or the re-ask limit that produced the answer.
    public var maxTokens: Int? = nil

    enum CodingKeys: String, CodingKey {
        case benchmark, item, model, sample, verdict, reason, attempt, grader, extracted, canonical
        case costUSD = "cost_usd", tokensIn = "tokens_in", tokensOut = "tokens_out", latencyMs = "latency_ms", maxTokens = "max_tokens"
    }

    public static let csvColumns = ["benchmark", "item", "model", "sample", "verdict", "reason", "cost_usd", "tokens_in",
                                    "tokens_out", "latency_ms", "attempt", "grader", "extracted", "max_tokens", "canonical"]
}

/// The model × item correctness matrix of a run, rebuilt from its records alone.
public struct Matrix: Sendable {
    /// Every planned cell, ordered by benchmark and model (manifest order), item (dataset order), sample.
    public let cells: [MatrixCell]

    /// Rebuilds the matrix from the frozen plan and the record streams, counting the grades `selection` picks.
    public static func build(_ folder: RunFolder, grader selection: GraderSelection = .newest) throws -> Matrix {
        let manifest = try folder.manifest()
        let state = try RunState.read(folder)
        let benchOrder = Dictionary(uniqueKeysWithValues: manifest.benchmarks.enumerated().map { ($1.ref, $0) })
        let modelOrder = Dictionary(uniqueKeysWithValues: manifest.models.enumerated().map { ($1.ref, $0) })
        let planned = try folder.plannedCells().sorted {
            (benchOrder[$0.cell.benchmark]!, modelOrder[$0.cell.model]!, $0.itemIndex, $0.cell.sample)
                < (benchOrder[$1.cell.benchmark]!, modelOrder[$1.cell.model]!, $1.itemIndex, $1.cell.sample)
        }
        let cells = planned.map { p -> MatrixCell in
            let id = p.cell
            let attempts = state.attempts[id] ?? []
            let cost = attempts.reduce(USD.zero) { $0 + $1.costUSD }
            guard let final = CellOutcome.final(attempts) else {
                return MatrixCell(benchmark: id.benchmark, item: id.item, model: id.model, sample: id.sample, verdict: .missing,
                                  reason: "not run (\(state.phase(id).rawValue))", costUSD: cost, tokensIn: nil, tokensOut: nil,
                                  latencyMs: nil, attempt: nil, grader: nil, extracted: nil)
            }
            let grade = CellOutcome.counting(state.grades[final.attempt], selection)
            let verdict: MatrixVerdict
            let reason: String?
            if let f = final.failure {
                (verdict, reason) = (.missing, "provider failure: \(f)")
            } else if let g = grade {
                switch g.verdict {
                case .correct: (verdict, reason) = (.correct, nil)
                case .incorrect: (verdict, reason) = (.incorrect, nil)
                case .ungradable: (verdict, reason) = (.missing, "ungradable: \(g.reason ?? "")")
                }
            } else if case .exactly = selection, state.grades[final.attempt] != nil {
                (verdict, reason) = (.missing, "not graded by \(selection) (teamllm regrade \(folder.id) --grader \(selection))")
            } else {
                (verdict, reason) = (.missing, "not graded yet (\(state.phase(id).rawValue))")
            }
            var cell = MatrixCell(benchmark: id.benchmark, item: id.item, model: id.model, sample: id.sample, verdict: verdict, reason: reason,
                                  costUSD: cost, tokensIn: final.tokens?.input, tokensOut: final.tokens?.output, latencyMs: final.latencyMs,
                                  attempt: final.attempt, grader: grade?.identity, extracted: grade?.extracted)
            cell.maxTokens = final.maxTokens ?? manifest.sampling.maxTokens
            cell.canonical = grade?.canonical
            return cell
        }
        return Matrix(cells: cells)
    }

    /// One canonical JSON object per cell.
    public func jsonl() throws -> Data {
        var out = Data()
        for c in cells {
            out.append(try CanonicalJSON.encode(c))
            out.append(UInt8(ascii: "\n"))
        }
        return out
    }

    /// RFC 4180 CSV with a header row.
    public func csv() -> Data {
        func field(_ s: String?) -> String {
            guard let s else { return "" }
            return s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
                ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        var out = MatrixCell.csvColumns.joined(separator: ",") + "\n"
        for c in cells {
            let row: [String?] = [c.benchmark, c.item, c.model, String(c.sample), c.verdict.rawValue, c.reason, c.costUSD.description,
                                  c.tokensIn.map(String.init), c.tokensOut.map(String.init), c.latencyMs.map(String.init),
                                  c.attempt, c.grader, c.extracted, c.maxTokens.map(String.init), c.canonical]
            out += row.map(field).joined(separator: ",") + "\n"
        }
        return Data(out.utf8)
    }
}
