import Foundation

/// One unit of work: a (benchmark, item, model, sample index).
public struct CellID: Hashable, Comparable, Sendable, CustomStringConvertible, Codable {
    public let benchmark: String
    public let item: String
    public let model: String
    public let sample: Int

    public init(benchmark: String, item: String, model: String, sample: Int) {
        self.benchmark = benchmark; self.item = item; self.model = model; self.sample = sample
    }

    /// `benchmark/item/model/sample`, the form used in every record.
    public var description: String { "\(benchmark)/\(item)/\(model)/\(sample)" }

    /// Parses the record form.
    public init?(_ text: String) {
        let p = text.split(separator: "/", omittingEmptySubsequences: false)
        guard p.count == 4, let s = Int(p[3]) else { return nil }
        self.init(benchmark: String(p[0]), item: String(p[1]), model: String(p[2]), sample: s)
    }

    public static func < (a: CellID, b: CellID) -> Bool { a.description < b.description }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let id = CellID(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "'\(text)' is not benchmark/item/model/sample"))
        }
        self = id
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

/// The documented derivations of every seed and order from the master seed (docs/seeds.md).
public enum Seeds {
    /// The seed sent with a cell's request: the first 4 bytes (big-endian) of
    /// sha256("teamllm/cell-seed/v1|<master>|<benchmark>|<item>|<model>|<sample>"), masked to 31 bits.
    public static func cell(master: Int, _ id: CellID) -> Int {
        let b = Digest.sha256Bytes("teamllm/cell-seed/v1|\(master)|\(id.benchmark)|\(id.item)|\(id.model)|\(id.sample)")
        return Int((UInt32(b[0]) << 24 | UInt32(b[1]) << 16 | UInt32(b[2]) << 8 | UInt32(b[3])) & 0x7fff_ffff)
    }

    /// Sort key for the order of work: sha256("teamllm/order/v1|<master>|<cell id>").
    public static func orderKey(master: Int, _ id: CellID) -> String {
        Digest.sha256("teamllm/order/v1|\(master)|\(id)")
    }

    /// The seed of an item's option order: the first 8 bytes (big-endian) of
    /// sha256("teamllm/choice-order/v1|<master>|<benchmark>|<item>").
    public static func choiceOrder(master: Int, benchmark: String, item: String) -> UInt64 {
        Digest.sha256Bytes("teamllm/choice-order/v1|\(master)|\(benchmark)|\(item)").prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// Sort key for choosing a limited subset: sha256("teamllm/subset/v1|<shuffle seed>|<benchmark>|<item>").
    public static func subsetKey(shuffleSeed: Int, benchmark: String, item: String) -> String {
        Digest.sha256("teamllm/subset/v1|\(shuffleSeed)|\(benchmark)|\(item)")
    }
}
