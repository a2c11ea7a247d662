import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Synchronization
import TeamLLM

/// What came back from one HTTP exchange.
struct HTTPExchange: Sendable {
    let status: Int
    /// Header names lowercased.
    let headers: [String: String]
    let body: Data
    /// From sending to the first body byte that is not keep-alive whitespace; nil if none came.
    let ttfbMs: Int?
    let totalMs: Int
}

/// Why an exchange produced no response.
enum TransportFailure: Error, Sendable {
    /// A timeout of ours ran out (which one, and after how long).
    case timeout(String)
    /// The connection could not be made or broke before the response was whole.
    case connection(String)
    /// The calling task was cancelled.
    case cancelled
}

/// Sends requests over one URLSession and watches each with its own timeouts: the first body byte that is
/// not whitespace (OpenRouter keeps slow non-stream responses alive with blank lines, which would reset any
/// idle timer) and the whole exchange. URLSession on Linux has no separate connect timeout; a connection that
/// never opens is caught by the first-byte timeout, or at once when it is refused.
struct HTTPTransport: Sendable {
    private let session: URLSession
    private let table: ExchangeTable
    let timeouts: Timeouts

    init(timeouts: Timeouts, maxConnections: Int) {
        let config = URLSessionConfiguration.ephemeral
        // The defaults (6 connections per host) would throttle the sweep far below its concurrency.
        config.httpMaximumConnectionsPerHost = max(maxConnections, 1)
        config.timeoutIntervalForRequest = timeouts.total
        config.timeoutIntervalForResource = timeouts.total + 5
        config.urlCache = nil
        config.requestCachePolicy = .reloadIgnoringLocalCacheData
        config.httpCookieStorage = nil
        table = ExchangeTable()
        session = URLSession(configuration: config, delegate: table, delegateQueue: nil)
        self.timeouts = timeouts
    }

    /// One request and its whole response.
    func send(_ request: URLRequest) async throws(TransportFailure) -> HTTPExchange {
        let task = session.dataTask(with: request)
        let id = task.taskIdentifier
        let table = self.table
        let timeouts = self.timeouts
        let watchdog = Task {
            // Two deadlines: the first meaningful byte, then the whole exchange.
            if (try? await Task.sleep(nanoseconds: UInt64(min(timeouts.firstByte, timeouts.total) * 1e9))) == nil { return }
            if table.expire(id, ifNoFirstByte: true, reason: "no response within the first-byte timeout of \(timeouts.firstByte) s") { task.cancel(); return }
            let left = timeouts.total - timeouts.firstByte
            if left > 0, (try? await Task.sleep(nanoseconds: UInt64(left * 1e9))) == nil { return }
            if table.expire(id, ifNoFirstByte: false, reason: "the call took longer than the total timeout of \(timeouts.total) s") { task.cancel() }
        }
        defer { watchdog.cancel() }
        let result: ExchangeTable.Outcome = await withTaskCancellationHandler {
            await withCheckedContinuation { c in
                table.register(id, c)
                task.resume()
            }
        } onCancel: {
            task.cancel()
        }
        switch result {
        case let .done(exchange): return exchange
        case let .failed(failure): throw failure
        }
    }
}

/// The exchanges under way, as URLSession's delegate sees them.
final class ExchangeTable: NSObject, URLSessionDataDelegate, Sendable {
    enum Outcome: Sendable {
        case done(HTTPExchange)
        case failed(TransportFailure)
    }
    private struct Exchange {
        var continuation: CheckedContinuation<Outcome, Never>
        let started = DispatchTime.now().uptimeNanoseconds
        var status = 0
        var headers: [String: String] = [:]
        var body = Data()
        var firstByte: UInt64?
        var expired: String?
    }
    private let exchanges = Mutex<[Int: Exchange]>([:])

    func register(_ id: Int, _ c: CheckedContinuation<Outcome, Never>) {
        exchanges.withLock { $0[id] = Exchange(continuation: c) }
    }

    /// Marks an exchange timed out, unless it is over (or, for the first-byte deadline, has begun); true when marked.
    func expire(_ id: Int, ifNoFirstByte: Bool, reason: String) -> Bool {
        exchanges.withLock { all in
            guard var e = all[id], e.expired == nil, !(ifNoFirstByte && e.firstByte != nil) else { return false }
            e.expired = reason
            all[id] = e
            return true
        }
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        if let http = response as? HTTPURLResponse {
            var headers: [String: String] = [:]
            for (k, v) in http.allHeaderFields { if let k = k as? String, let v = v as? String { headers[k.lowercased()] = v } }
            exchanges.withLock { all in
                all[dataTask.taskIdentifier]?.status = http.statusCode
                all[dataTask.taskIdentifier]?.headers = headers
            }
        }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        let now = DispatchTime.now().uptimeNanoseconds
        exchanges.withLock { all in
            guard var e = all[dataTask.taskIdentifier] else { return }
            if e.firstByte == nil, data.contains(where: { !($0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09) }) { e.firstByte = now }
            e.body.append(data)
            all[dataTask.taskIdentifier] = e
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        guard let e = exchanges.withLock({ $0.removeValue(forKey: task.taskIdentifier) }) else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        let outcome: Outcome
        if let reason = e.expired {
            outcome = .failed(.timeout(reason))
        } else if let error {
            let ns = error as NSError
            if ns.domain == NSURLErrorDomain && ns.code == NSURLErrorCancelled {
                outcome = .failed(.cancelled)
            } else if ns.domain == NSURLErrorDomain && ns.code == NSURLErrorTimedOut {
                outcome = .failed(.timeout("URLSession timed out: \(ns.localizedDescription)"))
            } else {
                outcome = .failed(.connection("\(ns.localizedDescription) (\(ns.domain) \(ns.code))"))
            }
        } else {
            outcome = .done(HTTPExchange(status: e.status, headers: e.headers, body: e.body,
                                         ttfbMs: e.firstByte.map { Int(($0 - e.started) / 1_000_000) }, totalMs: Int((now - e.started) / 1_000_000)))
        }
        e.continuation.resume(returning: outcome)
    }
}
