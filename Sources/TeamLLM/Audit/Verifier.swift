import Foundation

/// Re-checks a run end to end: every seal and chain, every frozen file against the header, every
/// cached request and body against its hash, every cache row against its row hash, every grade
/// against its attempt (by grading the stored answer again).
public enum Verifier {
    /// Problems found, the first bad record first; empty when the run is sound.
    public static func verify(_ folder: RunFolder, cache: ResponseCache) throws -> [String] {
        var problems: [String] = []
        let header: RunHeader
        do { header = try folder.readHeader() } catch { return ["header.json: \(error)"] }

        func checkFile(_ url: URL, _ expected: String, _ what: String) {
            guard let data = FileManager.default.contents(atPath: url.path) else { problems.append("\(url.lastPathComponent): missing"); return }
            let actual = Digest.sha256(data)
            if actual != expected { problems.append("\(url.lastPathComponent): hashes to \(actual.prefix(12))… but the header records \(what) \(expected.prefix(12))…") }
        }
        checkFile(folder.manifestJSON, header.manifestHash, "manifest hash")
        checkFile(folder.manifestYAML, header.manifestSourceHash, "manifest source hash")
        checkFile(folder.registryJSON, header.registryHash, "registry hash")
        checkFile(folder.planTSV, header.planHash, "plan hash")

        let records: RunRecords
        do { records = try RunRecords.read(folder) } catch { return problems + ["\(error)"] }
        let state: RunState
        do { state = try RunState.replay(events: records.events, attempts: records.attempts, grades: records.grades) } catch {
            return problems + ["\(error)"]
        }

        for s in records.sessions {
            guard let torn = s.payload.torn else { continue }
            checkFile(folder.quarantine.appendingPathComponent(torn.quarantine), torn.sha256, "torn-line hash (sessions.jsonl:\(s.seq))")
        }

        var attemptsByID: [String: (AttemptRecord, Int)] = [:]
        var answers: [String: String] = [:]
        for a in records.attempts {
            let r = a.payload
            let place = "attempts.jsonl:\(a.seq) (\(r.attempt))"
            if attemptsByID[r.attempt] != nil { problems.append("\(place): attempt id appears twice") }
            attemptsByID[r.attempt] = (r, a.seq)
            guard r.status != .failed else { continue }
            guard let responseHash = r.response else { problems.append("\(place): \(r.status.rawValue) attempt without a response hash"); continue }
            do {
                guard let entry = try cache.lookup(r.request) else { problems.append("\(place): cache has no entry for request \(r.request.prefix(12))…"); continue }
                if !entry.isIntact { problems.append("\(place): \(CacheError.corruptRow(requestKey: r.request))"); continue }
                if entry.responseHash != responseHash { problems.append("\(place): cache entry holds response \(entry.responseHash.prefix(12))…, the attempt recorded \(responseHash.prefix(12))…") }
                _ = try cache.rawPair(entry)
                answers[r.attempt] = entry.answerText
            } catch { problems.append("\(place): \(error)") }
        }

        for g in records.grades {
            let r = g.payload
            let place = "grades.jsonl:\(g.seq) (\(r.cell))"
            guard let (attempt, _) = attemptsByID[r.attempt], attempt.cell == r.cell else {
                problems.append("\(place): grades attempt \(r.attempt), which is not an attempt of this cell"); continue
            }
            guard let text = answers[r.attempt] else { continue } // the attempt's own problem is already listed
            guard let grader = GraderCatalog.grader(named: r.grader), grader.version == r.graderVersion else { continue }
            let again = grader.grade(response: text, gold: r.gold)
            if again.verdict != r.verdict || again.extracted != r.extracted || again.span.map({ [$0.lowerBound, $0.upperBound] }) != r.span {
                problems.append("\(place): regrading the stored answer gives \(again.verdict.rawValue) ('\(again.extracted ?? "")'), the record says \(r.verdict.rawValue) ('\(r.extracted ?? "")')")
            }
        }

        for (cell, phase) in state.phases where phase >= .verifying && state.attempts[cell] == nil {
            problems.append("events.jsonl: cell \(cell) reached \(phase.rawValue.uppercased()) with no attempt on record")
        }
        if let structural = cache.structuralProblem() { problems.append("cache index.sqlite: \(structural)") }
        return problems
    }
}
