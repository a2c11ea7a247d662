import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix
import Synchronization
import TeamLLM

/// One HTTP request as the provider builds it.
struct HTTPCall: Sendable {
    enum Method: String, Sendable { case get = "GET", post = "POST" }
    let method: Method
    let url: String
    var headers: [(name: String, value: String)] = []
    var body: Data?
}

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

/// Sends requests through AsyncHTTPClient (SwiftNIO) and watches each with three timeouts: the connection
/// (AsyncHTTPClient's own), the first body byte that is not whitespace (OpenRouter keeps slow non-stream
/// responses alive with blank lines, which would reset any idle timer) and the whole exchange.
struct HTTPTransport: Sendable {
    private let client: HTTPClient
    let timeouts: Timeouts
    /// A body larger than this is a broken response, not an answer.
    static let maxBodyBytes = 64 << 20

    init(timeouts: Timeouts) {
        client = Self.client(connectTimeout: timeouts.connect)
        self.timeouts = timeouts
    }

    /// One client per connect timeout for the life of the process (a client is a connection pool on NIO's
    /// shared event loops, and is never shut down). The pool's per-host limit is set far above any sweep's
    /// concurrency, which the pipeline enforces itself.
    private static let clients = Mutex<[Double: HTTPClient]>([:])

    private static func client(connectTimeout: Double) -> HTTPClient {
        clients.withLock { all in
            if let c = all[connectTimeout] { return c }
            var config = HTTPClient.Configuration()
            config.timeout = .init(connect: .milliseconds(Int64(connectTimeout * 1000)))
            config.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 1024
            // A redirect would carry the Authorization header to wherever it points.
            config.redirectConfiguration = .disallow
            // A refused connection fails at once (it is retried by our own backoff), not after the connect timeout.
            config.connectionPool.retryConnectionEstablishment = false
            let c = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup(numberOfThreads: 1), configuration: config)
            all[connectTimeout] = c
            return c
        }
    }

    /// When the first body byte that is not whitespace came, in uptime nanoseconds (0: not yet).
    private final class FirstByte: Sendable {
        let at = Atomic<UInt64>(0)
    }

    /// One request and its whole response.
    func send(_ call: HTTPCall) async throws(TransportFailure) -> HTTPExchange {
        var request = HTTPClientRequest(url: call.url)
        request.method = call.method == .post ? .POST : .GET
        for h in call.headers { request.headers.add(name: h.name, value: h.value) }
        if let body = call.body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let prepared = request
        let started = DispatchTime.now().uptimeNanoseconds
        let first = FirstByte()
        let client = self.client
        let timeouts = self.timeouts
        let firstByteWait = min(timeouts.firstByte, timeouts.total)
        do {
            return try await withThrowingTaskGroup(of: HTTPExchange?.self) { group in
                group.addTask {
                    // AsyncHTTPClient's deadline also ends a body still streaming.
                    let response = try await client.execute(prepared, deadline: .uptimeNanoseconds(started) + .nanoseconds(Int64(timeouts.total * 1e9)))
                    var body = ByteBuffer()
                    for try await chunk in response.body {
                        if first.at.load(ordering: .relaxed) == 0, chunk.readableBytesView.contains(where: { !($0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09) }) {
                            first.at.store(DispatchTime.now().uptimeNanoseconds, ordering: .relaxed)
                        }
                        guard body.readableBytes + chunk.readableBytes <= Self.maxBodyBytes else {
                            throw TransportFailure.connection("the response body exceeded \(Self.maxBodyBytes >> 20) MiB")
                        }
                        body.writeImmutableBuffer(chunk)
                    }
                    var headers: [String: String] = [:]
                    for h in response.headers { headers[h.name.lowercased()] = h.value }
                    let now = DispatchTime.now().uptimeNanoseconds
                    let firstAt = first.at.load(ordering: .relaxed)
                    return HTTPExchange(status: Int(response.status.code), headers: headers, body: Data(body.readableBytesView),
                                        ttfbMs: firstAt == 0 ? nil : Int((firstAt - started) / 1_000_000), totalMs: Int((now - started) / 1_000_000))
                }
                group.addTask {
                    // The watchdog: the first meaningful byte, then the whole exchange.
                    try await Task.sleep(nanoseconds: UInt64(firstByteWait * 1e9))
                    if first.at.load(ordering: .relaxed) == 0 {
                        throw TransportFailure.timeout("no response within the first-byte timeout of \(timeouts.firstByte) s")
                    }
                    try await Task.sleep(nanoseconds: UInt64(max(0, timeouts.total - firstByteWait) * 1e9))
                    throw TransportFailure.timeout("the call took longer than the total timeout of \(timeouts.total) s")
                }
                defer { group.cancelAll() }
                while let result = try await group.next() {
                    if let exchange = result { return exchange }
                }
                throw TransportFailure.cancelled
            }
        } catch let failure as TransportFailure {
            throw failure
        } catch let error as HTTPClientError where error == .deadlineExceeded {
            throw .timeout("the call took longer than the total timeout of \(timeouts.total) s")
        } catch let error as HTTPClientError where error == .connectTimeout {
            throw .timeout("no connection within the connect timeout of \(timeouts.connect) s")
        } catch {
            if Task.isCancelled || error is CancellationError || (error as? HTTPClientError) == .cancelled { throw .cancelled }
            // Never the error's full description: AsyncHTTPClient's can carry header values (the Authorization one).
            if let e = error as? HTTPClientError { throw .connection("HTTP client: \(e.shortDescription)") }
            throw .connection(String(describing: error))
        }
    }
}
