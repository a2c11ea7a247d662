import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOPosix

/// The imitation's HTTP/1.1 server: Hummingbird (SwiftNIO) on 127.0.0.1, every request handed whole to one
/// function. This is the only file that knows the server package; routing is the imitation's own.
struct ImitationServer: Sendable {
    /// The task serving; cancelling it closes the listener and cuts every request in flight.
    let serving: Task<Void, any Error>
    let port: UInt16
    /// One event loop thread for every imitation in the process: on two cores, a thread per core for the
    /// server beside the client's and the cooperative pool's only adds context switches.
    static let loop = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    /// Binds 127.0.0.1:`port` (0: any free port) and serves until the returned server is stopped.
    static func start(port: Int, handle: @escaping @Sendable (LoggedRequest) async -> ImitatedResponse) async throws -> ImitationServer {
        var logger = Logger(label: "teamllm.imitation")
        logger.logLevel = .critical
        let responder = CallbackResponder<BasicRequestContext> { request, _ in
            let logged = try await LoggedRequest(request)
            return Response(await handle(logged))
        }
        let (bound, announce) = AsyncThrowingStream.makeStream(of: UInt16.self)
        let app = Application(responder: responder, configuration: .init(address: .hostname("127.0.0.1", port: port)),
                              onServerRunning: { channel in
                                  announce.yield(UInt16(channel.localAddress?.port ?? 0))
                                  announce.finish()
                              }, eventLoopGroupProvider: .shared(loop), logger: logger)
        let serving = Task {
            do { try await app.run() } catch {
                announce.finish(throwing: error)
                throw error
            }
            announce.finish()
        }
        for try await p in bound { return ImitationServer(serving: serving, port: p) }
        serving.cancel()
        throw ImitationSpecError.badValue(entry: "listen", expected: "a free port on 127.0.0.1 (port \(port))")
    }

    func stop() async {
        serving.cancel()
        _ = await serving.result
    }
}

extension LoggedRequest {
    init(_ r: Request) async throws {
        let body = try await r.body.collect(upTo: 64 << 20)
        var headers: [String: String] = [:]
        for field in r.headers { headers[field.name.canonicalName] = field.value }
        var query: [String: String] = [:]
        for (k, v) in r.uri.queryParameters {
            query[String(k).removingPercentEncoding ?? String(k)] = String(v).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(v)
        }
        self.init(method: r.method.rawValue, path: r.uri.path, query: query, headers: headers, body: Data(body.readableBytesView))
    }
}

extension Response {
    init(_ r: ImitatedResponse) {
        var fields = HTTPFields()
        for (k, v) in r.headers.sorted(by: { $0.key < $1.key }) { if let name = HTTPField.Name(k) { fields[name] = v } }
        let status = HTTPResponse.Status(code: r.status, reasonPhrase: Imitation.phrase(r.status))
        switch r.body {
        case let .data(d):
            self.init(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: d)))
        case let .scripted(script):
            self.init(status: status, headers: fields, body: ResponseBody { writer in
                // The writer is inout, so it cannot be captured by the closure that plays the steps.
                for step in script.steps {
                    switch step {
                    case let .bytes(b): try await writer.write(ByteBuffer(bytes: b))
                    case let .pause(ms): try await Task.sleep(nanoseconds: UInt64(ms) * 1_000_000)
                    case .drop: throw ScriptedBody.Dropped()
                    }
                }
                try await writer.finish(nil)
            })
        }
    }
}
