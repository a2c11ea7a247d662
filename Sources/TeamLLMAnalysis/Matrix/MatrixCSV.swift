import Foundation
import TeamLLM

extension CorrectnessMatrix {
    /// A matrix from a CSV made elsewhere: a header `item,<model>,<model>…`, then one row per item with 1 (correct),
    /// 0 (incorrect) or an empty field (missing) per model. Anything else is refused naming its line and column.
    public static func csv(_ data: Data, file: String) throws(AnalysisError) -> CorrectnessMatrix {
        guard let text = String(data: data, encoding: .utf8) else {
            throw .malformedMatrix(file: file, line: 1, column: nil, reason: "not UTF-8 text")
        }
        // Swift reads "\r\n" as one Character, so lines are split on any line break, not on "\n"; a byte-order mark
        // (spreadsheets write one) is not part of the first column's name.
        let body = text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
        var lines = body.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map(String.init)
        while lines.last?.trimmingCharacters(in: .whitespaces) == "" { lines.removeLast() }
        guard let headerLine = lines.first else { throw .malformedMatrix(file: file, line: 1, column: nil, reason: "empty file: expected a header 'item,<model>,…'") }
        let header = try fields(headerLine, file: file, line: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        guard header.first == "item" else {
            throw .malformedMatrix(file: file, line: 1, column: 1, reason: "the first column must be 'item', found '\(header.first ?? "")'")
        }
        let models = Array(header.dropFirst())
        guard !models.isEmpty else { throw .malformedMatrix(file: file, line: 1, column: nil, reason: "no model columns after 'item'") }
        for (j, m) in models.enumerated() {
            if m.isEmpty { throw .malformedMatrix(file: file, line: 1, column: j + 2, reason: "empty model name") }
            if models[..<j].contains(m) { throw .malformedMatrix(file: file, line: 1, column: j + 2, reason: "model '\(m)' appears twice") }
        }
        var items: [String] = [], seen: Set<String> = []
        var verdicts: [[MatrixVerdict]] = []
        for (n, raw) in lines.enumerated().dropFirst() {
            let line = n + 1
            let row = try fields(raw, file: file, line: line)
            guard row.count == header.count else {
                throw .malformedMatrix(file: file, line: line, column: nil, reason: "\(row.count) fields, the header has \(header.count)")
            }
            guard !row[0].isEmpty else { throw .malformedMatrix(file: file, line: line, column: 1, reason: "empty item id") }
            guard seen.insert(row[0]).inserted else { throw .malformedMatrix(file: file, line: line, column: 1, reason: "item '\(row[0])' appears twice") }
            items.append(row[0])
            verdicts.append(try row.dropFirst().enumerated().map { j, v throws(AnalysisError) -> MatrixVerdict in
                switch v.trimmingCharacters(in: .whitespaces) {
                case "1": return .correct
                case "0": return .incorrect
                case "": return .missing
                default: throw .malformedMatrix(file: file, line: line, column: j + 2, reason: "model '\(models[j])': expected 1, 0 or empty, found '\(v)'")
                }
            })
        }
        guard !items.isEmpty else { throw .malformedMatrix(file: file, line: 2, column: nil, reason: "no item rows after the header") }
        var cells: [Cell] = []
        cells.reserveCapacity(models.count * items.count)
        for m in models.indices {
            for i in items.indices { cells.append(Cell(verdict: verdicts[i][m], answer: nil, costUSD: 0, tokensIn: nil, tokensOut: nil, latencyMs: nil)) }
        }
        return CorrectnessMatrix(source: "matrix file \(file)", sourceArgument: "--matrix \(file)", benchmark: nil, models: models, items: items,
                                 samples: 1, hasRecords: false, cells: cells)
    }

    /// The fields of one RFC 4180 line (a quoted field may hold commas and doubled quotes, not line breaks).
    static func fields(_ line: String, file: String, line number: Int) throws(AnalysisError) -> [String] {
        let line = line.hasSuffix("\r") ? String(line.dropLast()) : line
        var out: [String] = [], field = "", quoted = false, wasQuoted = false
        var chars = Array(line)[...]
        while let c = chars.popFirst() {
            if quoted {
                if c == "\"" {
                    if chars.first == "\"" { field.append("\""); chars.removeFirst() } else { quoted = false }
                } else { field.append(c) }
            } else if c == "," {
                out.append(field); field = ""; wasQuoted = false
            } else if c == "\"" && field.isEmpty && !wasQuoted {
                quoted = true; wasQuoted = true
            } else {
                field.append(c)
            }
        }
        if quoted { throw .malformedMatrix(file: file, line: number, column: out.count + 1, reason: "unterminated quoted field") }
        out.append(field)
        return out
    }

    /// The 0/1 CSV of sample 0 (`csv(_:file:)` reads it back).
    public func csv() -> String {
        func quote(_ s: String) -> String { s.contains(where: { $0 == "," || $0 == "\"" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s }
        var out = (["item"] + models).map(quote).joined(separator: ",") + "\n"
        for i in items.indices {
            out += ([quote(items[i])] + models.indices.map { m in
                switch self[m, i, 0].verdict { case .correct: "1"; case .incorrect: "0"; case .missing: "" }
            }).joined(separator: ",") + "\n"
        }
        return out
    }
}
