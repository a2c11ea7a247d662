import Foundation
import TeamLLM

/// `teamllm reconcile RUN`: asks the API what it billed for each paid attempt (`GET /generation`) and for
/// the key (`GET /key`), compares with what the run recorded, and appends the result as a record.
public enum Reconcile {
    /// How long to keep asking for a generation that answers 404 (it becomes available a moment after the call).
    static let readinessWaitsMs = [250, 500, 1000, 2000, 4000, 8000]

    /// Checks every paid OpenRouter attempt of a finished (or stopped) run; `sharedKey`: the key also paid for
    /// other work, so its usage may exceed the run's spend.
    public static func run(_ folder: RunFolder, environment: [String: String] = ProcessInfo.processInfo.environment,
                           sharedKey: Bool = false) async throws -> Reconciliation {
        let records = try RunRecords.read(folder)
        let settings = records.sessions.compactMap(\.payload.settings).last ?? OperationalSettings(concurrency: 8, budgetUSD: .zero)
        let key = try { () throws(AttemptFailure) -> APIKey in try APIKey.load(environment: environment, settings: settings.http) }()
        let transport = HTTPTransport(timeouts: Timeouts(connect: 10, firstByte: 30, total: 60))
        let paid = records.attempts.map(\.payload).filter { $0.provider == .openrouter && $0.status == .ok }
        var entries: [Reconciliation.Entry] = []
        var matched = 0
        // Eight look-ups at a time; each retries its 404s while the generation is not yet ready.
        try await withThrowingTaskGroup(of: Reconciliation.Entry?.self) { group in
            var next = 0
            func add() {
                let a = paid[next]
                next += 1
                group.addTask { try await check(a, key: key, transport: transport) }
            }
            while next < min(8, paid.count) { add() }
            while let result = try await group.next() {
                if let e = result { entries.append(e) } else { matched += 1 }
                if next < paid.count { add() }
            }
        }
        let spend = paid.reduce(USD.zero) { $0 + $1.costUSD }
        var keyUsage: USD?
        var keyProblem: String?
        for base in Set(paid.map(\.baseURL)).sorted() {
            let request = HTTPCall(method: .get, url: base + "/key", headers: [("Authorization", "Bearer \(key.value)")])
            guard let ex = try? await transport.send(request), ex.status == 200,
                  case let .number(text)? = (try? JSONParser.parse(ex.body))?["data"]?["usage"], let usage = USD(jsonNumber: text) else {
                keyProblem = "\(base)/key did not report the key's usage"
                continue
            }
            keyUsage = (keyUsage ?? .zero) + usage
        }
        if keyProblem == nil, let keyUsage, keyUsage != spend, !(sharedKey && spend < keyUsage) {
            keyProblem = "the key's usage is $\(keyUsage) but the run recorded $\(spend)" + (spend < keyUsage ? " (pass --shared-key if the key paid for other work too)" : "")
        }
        return Reconciliation(checked: paid.count, matched: matched, mismatches: entries.sorted { $0.attempt < $1.attempt },
                              keyUsageUSD: keyUsage, runSpendUSD: spend, keyProblem: keyProblem)
    }

    /// nil when the API reports the recorded cost exactly.
    static func check(_ a: AttemptRecord, key: APIKey, transport: HTTPTransport) async throws -> Reconciliation.Entry? {
        func entry(_ reported: USD?, _ problem: String) -> Reconciliation.Entry {
            Reconciliation.Entry(attempt: a.attempt, generationID: a.call?.generationID, recordedUSD: a.costUSD, reportedUSD: reported, problem: problem)
        }
        guard let id = a.call?.generationID else { return entry(nil, "the attempt recorded no generation id") }
        var components = URLComponents(string: a.baseURL + "/generation")!
        components.queryItems = [URLQueryItem(name: "id", value: id)]
        let request = HTTPCall(method: .get, url: components.string ?? a.baseURL + "/generation?id=" + id,
                               headers: [("Authorization", "Bearer \(key.value)")])
        for (i, wait) in ([0] + readinessWaitsMs).enumerated() {
            if wait > 0 { try await Task.sleep(nanoseconds: UInt64(wait) * 1_000_000) }
            let ex: HTTPExchange
            do { ex = try await transport.send(request) } catch { continue }
            if ex.status == 404 && i < readinessWaitsMs.count { continue }
            guard ex.status == 200 else { return entry(nil, "GET /generation answered HTTP \(ex.status)") }
            let data = (try? JSONParser.parse(ex.body))?["data"]
            guard case let .number(text)? = data?["total_cost"], let reported = USD(jsonNumber: text) else {
                return entry(nil, "GET /generation gave no total_cost")
            }
            return reported == a.costUSD ? nil : entry(reported, "the API reports $\(reported), the run recorded $\(a.costUSD)")
        }
        return entry(nil, "GET /generation could not be reached")
    }
}
