import Foundation
import TeamLLM

/// The JSON the imitation writes, in the contract's exact shapes.
enum Bodies {
    static func object(_ members: [String: JSONNode?]) -> JSONNode { .object(members.compactMapValues { $0 }) }
    static func string(_ s: String?) -> JSONNode { s.map { .string($0) } ?? .null }
    static func int(_ n: Int) -> JSONNode { .number(String(n)) }
    static func data(_ node: JSONNode) -> Data { Data(JSONWriter.bytes(node)) }

    /// A decimal as a JSON number: plain, or in exponent form (`7.35e-06`) when asked and below 1e-4.
    static func number(_ d: Decimal, exponent: Bool) -> JSONNode {
        let plain = (USD(jsonNumber: "\(d)") ?? .zero).description
        guard exponent, d > 0, d < Decimal(sign: .plus, exponent: -4, significand: 1) else { return .number(plain) }
        // Move the point right until one digit stands before it.
        var digits = plain.replacingOccurrences(of: "0.", with: "")
        var e = 1
        while digits.hasPrefix("0") { digits.removeFirst(); e += 1 }
        let mantissa = digits.count > 1 ? "\(digits.prefix(1)).\(digits.dropFirst())" : digits
        return .number("\(mantissa)e-\(e < 10 ? "0" : "")\(e)")
    }

    /// `{"error":{"code":…,"message":…,"metadata":…},"user_id":…}`, the code equal to the status.
    static func error(_ code: Int, _ message: String, metadata: [String: JSONNode]? = nil, availability: [String: JSONNode]? = nil,
                      errorType: String? = nil) -> JSONNode {
        var meta = metadata ?? [:]
        if let errorType { meta["error_type"] = .string(errorType) }
        var err: [String: JSONNode?] = ["code": int(code), "message": .string(message), "metadata": meta.isEmpty ? nil : .object(meta)]
        if var a = availability {
            a["http_status"] = int(code)
            if let errorType { a["error_type"] = .string(errorType) }
            err["availability"] = .object(a)
        }
        return object(["error": object(err), "user_id": .string("user_imitation")])
    }

    /// `gen-<unix>-<20 alphanumerics>`.
    static func generationID(unix: Int, rng: inout SplitMix64) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        return "gen-\(unix)-" + String((0..<20).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] })
    }
}
