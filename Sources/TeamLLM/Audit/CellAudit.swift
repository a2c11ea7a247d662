import Foundation

/// The full chain behind one cell: verdict → extraction → attempts → raw request and response → manifest.
public enum CellAudit {
    /// Renders the audit of every sample of (model, item), or one sample.
    public static func render(_ folder: RunFolder, cache: ResponseCache, model: String, item: String, sample: Int?) throws -> String {
        let header = try folder.readHeader()
        let planned = try folder.plannedCells().filter { $0.cell.model == model && $0.cell.item == item && (sample == nil || $0.cell.sample == sample) }
        // Keep only the audited cells' records, streaming past the rest.
        let wanted = Set(planned.map(\.cell))
        var events: [Stamped<EventRecord>] = [], attemptRecords: [Stamped<AttemptRecord>] = [], grades: [Stamped<GradeRecord>] = []
        let extent = try folder.reading { extent in
            try RunRecords.stream(folder, EventRecord.self, extent) { if let c = $0.payload.cell, wanted.contains(c) { events.append($0) } }
            try RunRecords.stream(folder, AttemptRecord.self, extent) { if wanted.contains($0.payload.cell) { attemptRecords.append($0) } }
            try RunRecords.stream(folder, GradeRecord.self, extent) { if wanted.contains($0.payload.cell) { grades.append($0) } }
            return extent
        }
        guard !planned.isEmpty else { throw RunError.notFound("cell with model '\(model)', item '\(item)'\(sample.map { ", sample \($0)" } ?? "") in run \(folder.id)") }
        var out = "run \(folder.id)\(extent.live ? " (live: \(extent.summary))" : "")\nmanifest sha256 \(header.manifestHash)  (manifest.json; source manifest.yaml sha256 \(header.manifestSourceHash))\n"
        out += "run fingerprint \(header.fingerprint)  plan \(header.planHash)  registry \(header.registryHash)\n"
        for p in planned.sorted(by: { $0.cell.sample < $1.cell.sample }) {
            let cell = p.cell
            out += "\n== cell \(cell)  seed \(p.seed)\n"
            let events = events.filter { $0.payload.cell == cell }
            out += "phases: " + (events.isEmpty ? "PENDING (no events)" : events.map { "\($0.payload.to.rawValue.uppercased()) (events.jsonl:\($0.seq))" }.joined(separator: " → ")) + "\n"
            let attempts = attemptRecords.filter { $0.payload.cell == cell }
            for g in grades where g.payload.cell == cell {
                let r = g.payload
                out += "grade (grades.jsonl:\(g.seq)): \(r.verdict.rawValue.uppercased()) by \(r.identity) (config \(r.graderConfig.map { String($0.prefix(12)) + "…" } ?? "-")) on \(r.attempt)\n"
                out += "  extracted '\(r.extracted ?? "")' at scalars \(r.span.map { "[\($0[0]), \($0[1]))" } ?? "-") by rule \(r.rule ?? "-"); canonical '\(r.canonical ?? "-")'; gold '\(r.gold)'\(r.reason.map { "; \($0)" } ?? "")\n"
                if let choices = r.choices {
                    out += "  options as shown: " + choices.enumerated().map { "\(MultipleChoice.letter($0.offset))=\(r.choiceOrder?[$0.offset] ?? $0.offset) '\($0.element)'" }.joined(separator: ", ") + "\n"
                }
            }
            for a in attempts {
                let r = a.payload
                out += "attempt \(r.attempt) (attempts.jsonl:\(a.seq)): \(r.status.rawValue)\(r.recovered == true ? " (recovered on resume)" : "")\n"
                out += "  seed \(r.seed)  provider \(r.provider.rawValue) \(r.baseURL)  model \(r.model) → served by \(r.modelUsed ?? "-") via \(r.providerUsed ?? "-")\n"
                out += "  request sha256 \(r.request)\n  prompt sha256 \(r.prompt)  template sha256 \(r.template)\n"
                out += "  cost $\(r.costUSD) (\(r.costSource))  tokens \(r.tokens.map { "\($0.input) in / \($0.output) out" } ?? "not reported")  latency \(r.latencyMs.map { "\($0) ms" } ?? "not recorded")  at \(r.at)\n"
                if let c = r.call {
                    var parts = ["generation \(c.generationID ?? "none")", "HTTP \(c.httpStatus.map(String.init) ?? "?")",
                                 "finish \(c.finishReason ?? "null") (native \(c.nativeFinishReason ?? "null"))",
                                 "fingerprint \(c.systemFingerprint ?? "null")", "first byte \(c.ttfbMs.map { "\($0) ms" } ?? "not measured")"]
                    if let t = r.tokens, t.reasoning != nil || t.cached != nil { parts.append("reasoning \(t.reasoning ?? 0), cached \(t.cached ?? 0) tokens") }
                    if let m = r.maxTokens { parts.append("asked with max_tokens \(m)") }
                    if let next = r.reaskAt { parts.append("truncated: asked again at \(next)") }
                    out += "  call: " + parts.joined(separator: "  ") + "\n"
                    if let mismatch = c.mismatch { out += "  MISMATCH: \(mismatch)\n" }
                }
                if let origin = r.cacheOrigin { out += "  served from cache; paid by \(origin)\n" }
                if let f = r.failure { out += "  failure: \(f)\n" }
                if let entry = try cache.lookup(r.request) {
                    let (request, response) = try cache.rawPair(entry)
                    out += "  raw request (index.sqlite row \(entry.requestKey.prefix(12))…, sha256 checked):\n\(indent(String(decoding: request, as: UTF8.self)))\n"
                    out += "  raw response sha256 \(entry.responseHash) (\(try cache.location(of: entry.responseHash).map { "\(cache.packURL($0.pack).path) at byte \($0.offset)" } ?? "-")):\n\(indent(String(decoding: response, as: UTF8.self)))\n"
                    if let span = CellOutcome.counting(grades.map(\.payload).filter { $0.attempt == r.attempt })?.span {
                        out += "  answer text with the extracted span marked:\n\(indent(mark(entry.answerText, span)))\n"
                    }
                }
            }
            out += "manifest sha256 \(header.manifestHash) (frozen at launch in \(folder.manifestJSON.path))\n"
        }
        return out
    }

    private static func indent(_ s: String) -> String { s.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n") }

    private static func mark(_ text: String, _ span: [Int]) -> String {
        let scalars = Array(text.unicodeScalars)
        guard span.count == 2, span[0] <= span[1], span[1] <= scalars.count else { return text }
        var s = String.UnicodeScalarView()
        s.append(contentsOf: scalars[..<span[0]]); s.append(contentsOf: "⟦".unicodeScalars)
        s.append(contentsOf: scalars[span[0]..<span[1]]); s.append(contentsOf: "⟧".unicodeScalars)
        s.append(contentsOf: scalars[span[1]...])
        return String(s)
    }
}
