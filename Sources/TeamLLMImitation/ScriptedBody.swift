import FlyingFox
import FlyingSocks
import Foundation

/// A response body sent step by step: bytes, pauses, then an end or a dropped connection. It is what lets the
/// imitation send blank-line keep-alives before a body, and cut a connection in the middle of one.
struct ScriptedBody: AsyncBufferedSequence, Sendable {
    typealias Element = UInt8
    enum Step: Sendable {
        case bytes([UInt8])
        case pause(milliseconds: Int)
        /// The connection is dropped here (the server's write fails and it closes the socket).
        case drop
    }
    let steps: [Step]

    struct Dropped: Error {}

    func makeAsyncIterator() -> Iterator { Iterator(steps: steps[...]) }

    struct Iterator: AsyncBufferedIteratorProtocol {
        var steps: ArraySlice<Step>
        var pending: [UInt8] = []

        mutating func next() async throws -> UInt8? {
            guard let buffer = try await nextBuffer(suggested: 1) else { return nil }
            return buffer.first
        }

        mutating func nextBuffer(suggested count: Int) async throws -> [UInt8]? {
            while pending.isEmpty {
                guard let step = steps.popFirst() else { return nil }
                switch step {
                case let .bytes(b): pending = b
                case let .pause(ms): try await Task.sleep(nanoseconds: UInt64(ms) * 1_000_000)
                case .drop: throw Dropped()
                }
            }
            let n = Swift.min(Swift.max(count, 1), pending.count)
            defer { pending.removeFirst(n) }
            return Array(pending.prefix(n))
        }
    }
}
