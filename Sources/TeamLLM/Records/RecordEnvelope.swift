import Foundation

/// The fields every record carries, decoded next to its payload.
public struct Stamped<Payload: Decodable & Sendable>: Decodable, Sendable {
    /// 1-based position in its stream.
    public let seq: Int
    /// Seal of the previous record of the stream (`SealedLine.genesis` for the first).
    public let prev: String
    /// Record schema version.
    public let schema: Int
    /// The record itself.
    public let payload: Payload

    enum CodingKeys: String, CodingKey { case seq, prev, schema }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        seq = try c.decode(Int.self, forKey: .seq)
        prev = try c.decode(String.self, forKey: .prev)
        schema = try c.decode(Int.self, forKey: .schema)
        payload = try Payload(from: decoder)
    }
}

/// A record type that lives in exactly one stream.
public protocol StreamRecord: Codable, Sendable {
    /// Stream file name without extension, e.g. `attempts`.
    static var stream: String { get }
    /// Schema version written with every record of this type.
    static var schema: Int { get }
    /// The record's canonical JSON object (what a line seals, after its `seq`, `prev` and `schema`).
    func canonicalPayload() throws -> Data
}

extension StreamRecord {
    public func canonicalPayload() throws -> Data { try CanonicalJSON.encode(self) }
}
