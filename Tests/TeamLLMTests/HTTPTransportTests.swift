import Foundation
import Testing
@testable import TeamLLM
import TeamLLMImitation
@testable import TeamLLMOpenRouter

/// The HTTP client's own guarantees, below the provider: its connect timeout and that it follows no redirect.
@Suite("the HTTP transport")
struct HTTPTransportTests {
    @Test("a connection that never opens fails with the connect timeout, not the first-byte one")
    func connectTimeout() async throws {
        // A listener that never accepts, its queue filled: Linux drops further SYNs, so a connect hangs.
        let listener = try RawListener(backlog: 0)
        defer { listener.close() }
        var fillers: [Int32] = []
        defer { fillers.forEach { Foundation.close($0) } }
        for _ in 0..<4 { fillers.append(try RawListener.connectNonblocking(port: listener.port)) }
        try await Task.sleep(nanoseconds: 200_000_000)
        let transport = HTTPTransport(timeouts: Timeouts(connect: 0.5, firstByte: 60, total: 90))
        let started = Date()
        do {
            _ = try await transport.send(HTTPCall(method: .get, url: "http://127.0.0.1:\(listener.port)/api/v1/key"))
            Issue.record("a connection into a full accept queue was expected to time out")
        } catch {
            guard case let .timeout(why) = error else { Issue.record("expected a timeout, got \(error)"); return }
            #expect(why.contains("connect timeout of 0.5 s"))
        }
        // Far below the first-byte timeout even on a loaded machine (tests side by side on two cores).
        #expect(Date().timeIntervalSince(started) < 30)
    }

    @Test("a redirect is returned as it came, never followed: the key would travel with it")
    func redirectNotFollowed() async throws {
        let bench = try await HTTPBench.start("redirect")
        defer { Task { await bench.imitation.stop() } }
        let target = "http://127.0.0.1:\(bench.port)/api/v1/key"
        let server = try RawListener(backlog: 4)
        defer { server.close() }
        let answered = Task.detached { server.answerOnce("HTTP/1.1 302 Found\r\nLocation: \(target)\r\nContent-Length: 0\r\nConnection: close\r\n\r\n") }
        let transport = HTTPTransport(timeouts: Timeouts(connect: 5, firstByte: 10, total: 20))
        let exchange = try await transport.send(HTTPCall(method: .get, url: "http://127.0.0.1:\(server.port)/api/v1/key",
                                                         headers: [("Authorization", "Bearer \(HTTPBench.key)")]))
        #expect(await answered.value)
        #expect(exchange.status == 302)
        #expect(exchange.headers["location"] == target)
        #expect(await bench.imitation.requests.isEmpty)
    }
}

/// A bare TCP listener on 127.0.0.1, for the shapes a real server never takes.
final class RawListener: Sendable {
    let fd: Int32
    let port: UInt16

    init(backlog: Int32) throws {
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(s, backlog) == 0 else { throw POSIXError(.EADDRINUSE) }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(s, $0, &len) } }
        fd = s
        port = UInt16(bigEndian: addr.sin_port)
    }

    func close() { _ = Foundation.close(fd) }

    /// A client socket whose connect is left under way.
    static func connectNonblocking(port: UInt16) throws -> Int32 {
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        _ = fcntl(s, F_SETFL, fcntl(s, F_GETFL) | O_NONBLOCK)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = port.bigEndian
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(s, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        return s
    }

    /// Accepts one connection, reads its request head, writes `response` and closes; false if none came.
    func answerOnce(_ response: String) -> Bool {
        let c = accept(fd, nil, nil)
        guard c >= 0 else { return false }
        defer { _ = Foundation.close(c) }
        var head = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !String(decoding: head, as: UTF8.self).contains("\r\n\r\n") {
            let n = read(c, &buffer, buffer.count)
            guard n > 0 else { return false }
            head += buffer[0..<n]
        }
        let bytes = Array(response.utf8)
        return write(c, bytes, bytes.count) == bytes.count
    }
}

@Suite("group commit of paid responses")
struct GroupCommitTests {
    static func payment(_ i: Int, run: String = "r", answer: String? = nil) -> ResponseCache.Payment {
        let metering = CacheEntry.Metering(modelUsed: "m", providerUsed: "p", tokens: nil, costUSD: .zero, costSource: "usage.cost", latencyMs: 1, at: Clock.now())
        let request = Data("{\"i\":\(i)}".utf8)
        return ResponseCache.Payment(requestKey: Digest.sha256(request), request: request, body: Data("{\"answer\":\(i)}".utf8),
                                     answerText: answer ?? "answer \(i)", originRun: run, originAttempt: "a\(i)", metering: metering)
    }

    @Test("responses stored at once each get their own committed entry; a key stored twice keeps its first writer")
    func concurrentStores() async throws {
        let cache = try ResponseCache(root: Fixtures.tempDir("group-commit"))
        let commit = GroupCommit(cache: cache)
        let entries = try await withThrowingTaskGroup(of: (Int, CacheEntry).self) { group in
            for i in 0..<100 { group.addTask { (i, try await commit.store(Self.payment(i))) } }
            return try await group.reduce(into: [Int: CacheEntry]()) { $0[$1.0] = $1.1 }
        }
        #expect(entries.count == 100)
        for (i, e) in entries {
            #expect(e.requestKey == Self.payment(i).requestKey)
            #expect(e.responseHash == Digest.sha256(Self.payment(i).body))
            #expect(e.answerText == "answer \(i)")
        }
        #expect(try cache.responseCount() == 100)
        // Committed, not just queued: a second connection to the same cache reads every row.
        let reopened = try ResponseCache(root: cache.root)
        #expect(try reopened.entries(entries.values.map(\.requestKey)).count == 100)
        let again = try await commit.store(Self.payment(7, run: "other", answer: "a later writer"))
        #expect(again.originRun == "r" && again.answerText == "answer 7")
    }
}

@Suite("the API key's shape")
struct APIKeyShapeTests {
    @Test("a key with a line break or space inside is refused before any request, naming where it came from but not the key")
    func interiorControlCharacters() throws {
        let dir = Fixtures.tempDir("keyshape")
        let file = dir.appendingPathComponent("key")
        let secret = "sk-or-v1-0123456789abcdef"
        try "\(secret)\r\n# my note\n".write(to: file, atomically: true, encoding: .utf8)
        do {
            _ = try APIKey.load(environment: [:], settings: HTTPSettings(keyFile: file.path))
            Issue.record("a key file with a second line was accepted")
        } catch {
            #expect(error.kind == .auth)
            #expect(error.message.contains(file.path))
            #expect(!error.message.contains(secret))
        }
        #expect(throws: AttemptFailure.self) { try APIKey.load(environment: ["OPENROUTER_API_KEY": "sk-or-v1 abc"], settings: HTTPSettings()) }
        // Whitespace at the ends is trimmed, as before.
        #expect(try APIKey.load(environment: ["OPENROUTER_API_KEY": "  \(secret)\n"], settings: HTTPSettings()).value == secret)
    }
}
