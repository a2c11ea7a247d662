import Foundation

/// A response body sent step by step: bytes, pauses, then an end or a dropped connection. It is what lets the
/// imitation send blank-line keep-alives before a body, and cut a connection in the middle of one.
struct ScriptedBody: Sendable {
    enum Step: Sendable {
        case bytes([UInt8])
        case pause(milliseconds: Int)
        /// The connection is dropped here (the write fails and the server closes the socket).
        case drop
    }
    let steps: [Step]

    struct Dropped: Error {}

}

/// What the imitation answers, before the HTTP server writes it.
struct ImitatedResponse: Sendable {
    enum Body: Sendable {
        /// A whole body, sent with its Content-Length.
        case data(Data)
        /// A body sent step by step (chunked).
        case scripted(ScriptedBody)
    }
    let status: Int
    let headers: [String: String]
    let body: Body

    /// The same status and headers with a fixed body.
    func with(body: Data) -> ImitatedResponse { ImitatedResponse(status: status, headers: headers, body: .data(body)) }

    /// The same status and headers, the body sent step by step (chunked).
    func with(steps: [ScriptedBody.Step]) -> ImitatedResponse {
        ImitatedResponse(status: status, headers: headers, body: .scripted(ScriptedBody(steps: steps)))
    }
}
