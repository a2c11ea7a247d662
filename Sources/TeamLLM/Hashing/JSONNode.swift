/// A parsed or to-be-written JSON value. Numbers keep their text, so nothing is lost or reformatted.
public enum JSONNode: Sendable, Equatable {
    case object([String: JSONNode])
    case array([JSONNode])
    case string(String)
    case number(String)
    case bool(Bool)
    case null
}

extension JSONNode {
    /// The member `key` of an object (nil for a missing key or a non-object).
    public subscript(key: String) -> JSONNode? {
        if case let .object(members) = self { members[key] } else { nil }
    }
    public var string: String? { if case let .string(s) = self { s } else { nil } }
    public var bool: Bool? { if case let .bool(b) = self { b } else { nil } }
    /// A string, or a number's exact text (for id fields that are numbers in the source).
    public var text: String? {
        switch self {
        case let .string(s): s
        case let .number(n): n
        default: nil
        }
    }
    public var items: [JSONNode]? { if case let .array(a) = self { a } else { nil } }
    /// A number's value when it is a whole number written without fraction or exponent.
    public var int: Int? { if case let .number(n) = self { Int(n) } else { nil } }
    public var isNull: Bool { if case .null = self { true } else { false } }
    public var members: [String: JSONNode]? { if case let .object(m) = self { m } else { nil } }
}

/// Writes canonical JSON: object keys sorted by their UTF-8 bytes, no whitespace, `/` not escaped,
/// non-ASCII as UTF-8, control characters as `\uXXXX` (or `\n`, `\t`, …).
public struct JSONWriter {
    public var bytes: [UInt8] = []

    public init() {}

    /// The bytes of one value.
    public static func bytes(_ node: JSONNode) -> [UInt8] {
        var w = JSONWriter()
        w.write(node)
        return w.bytes
    }

    public mutating func write(_ node: JSONNode) {
        switch node {
        case let .object(members):
            bytes.append(UInt8(ascii: "{"))
            var first = true
            for key in members.keys.sorted(by: Self.precedes) {
                if !first { bytes.append(UInt8(ascii: ",")) }
                first = false
                write(string: key)
                bytes.append(UInt8(ascii: ":"))
                write(members[key]!)
            }
            bytes.append(UInt8(ascii: "}"))
        case let .array(items):
            bytes.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { bytes.append(UInt8(ascii: ",")) }
                write(item)
            }
            bytes.append(UInt8(ascii: "]"))
        case let .string(s): write(string: s)
        case let .number(text): bytes.append(contentsOf: text.utf8)
        case let .bool(b): bytes.append(contentsOf: (b ? "true" : "false").utf8)
        case .null: bytes.append(contentsOf: "null".utf8)
        }
    }

    /// Writes what `NodeEncoder` built: members sorted by key bytes (a key encoded twice keeps its last value).
    mutating func write(_ ref: EncodingRef) {
        if let value = ref.value { write(value); return }
        if let items = ref.items {
            bytes.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { bytes.append(UInt8(ascii: ",")) }
                write(item)
            }
            bytes.append(UInt8(ascii: "]"))
            return
        }
        let members = ref.members ?? []
        let order = members.indices.sorted { a, b in
            let ka = members[a].key, kb = members[b].key
            return ka == kb ? a < b : Self.precedes(ka, kb)
        }
        bytes.append(UInt8(ascii: "{"))
        var first = true
        for (n, i) in order.enumerated() {
            if n + 1 < order.count, members[order[n + 1]].key == members[i].key { continue }
            if !first { bytes.append(UInt8(ascii: ",")) }
            first = false
            write(string: members[i].key)
            bytes.append(UInt8(ascii: ":"))
            write(members[i].slot)
        }
        bytes.append(UInt8(ascii: "}"))
    }

    private mutating func write(_ slot: EncodingRef.Slot) {
        switch slot {
        case let .node(node): write(node)
        case let .ref(ref): write(ref)
        }
    }

    private static let hex = Array("0123456789abcdef".utf8)

    /// Key order of RFC 8785: by UTF-16 code units. For keys that differ first in an ASCII byte this is
    /// their UTF-8 byte order, compared in place (the generic `lexicographicallyPrecedes` was a visible
    /// cost); past a non-ASCII byte, the UTF-16 units decide (a character above U+FFFF, a surrogate pair,
    /// sorts before U+E000–U+FFFF there, after them in UTF-8).
    static func precedes(_ a: String, _ b: String) -> Bool {
        var a = a, b = b
        let ascii: Bool? = a.withUTF8 { pa in
            b.withUTF8 { pb in
                let n = Swift.min(pa.count, pb.count)
                for i in 0..<n where pa[i] != pb[i] {
                    return pa[i] < 0x80 && pb[i] < 0x80 ? pa[i] < pb[i] : nil
                }
                return pa.count < pb.count
            }
        }
        return ascii ?? a.utf16.lexicographicallyPrecedes(b.utf16)
    }

    mutating func write(string: String) {
        bytes.append(UInt8(ascii: "\""))
        var text = string
        text.withUTF8 { utf8 in
            var clean = 0 // bytes from here on need no escape until the next special one
            for (i, b) in utf8.enumerated() where b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") {
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[clean..<i]))
                clean = i + 1
                switch b {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\")); bytes.append(b)
                case 0x0A: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "n"))
                case 0x0D: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "r"))
                case 0x09: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "t"))
                case 0x08: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "b"))
                case 0x0C: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "f"))
                default:
                    bytes.append(contentsOf: "\\u00".utf8)
                    bytes.append(Self.hex[Int(b >> 4)]); bytes.append(Self.hex[Int(b & 0xF)])
                }
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[clean...]))
        }
        bytes.append(UInt8(ascii: "\""))
    }
}

/// A strict JSON parser (RFC 8259) over UTF-8 bytes.
public struct JSONParser {
    private let b: [UInt8]
    private var i = 0

    public struct Failure: Error, CustomStringConvertible {
        public let offset: Int, reason: String
        public var description: String { "invalid JSON at byte \(offset): \(reason)" }
    }

    /// Parses one JSON value, whitespace around it allowed.
    public static func parse<Bytes: Sequence>(_ bytes: Bytes) throws -> JSONNode where Bytes.Element == UInt8 {
        var p = JSONParser(b: Array(bytes))
        p.skipSpace()
        let v = try p.value(depth: 0)
        p.skipSpace()
        guard p.i == p.b.count else { throw Failure(offset: p.i, reason: "trailing characters") }
        return v
    }

    private init(b: [UInt8]) { self.b = b }

    private mutating func skipSpace() {
        while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 }
    }

    private mutating func value(depth: Int) throws -> JSONNode {
        guard depth < 512 else { throw Failure(offset: i, reason: "nested too deeply") }
        guard i < b.count else { throw Failure(offset: i, reason: "unexpected end") }
        switch b[i] {
        case UInt8(ascii: "{"):
            i += 1
            var members: [String: JSONNode] = [:]
            skipSpace()
            if i < b.count, b[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
            while true {
                skipSpace()
                guard i < b.count, b[i] == UInt8(ascii: "\"") else { throw Failure(offset: i, reason: "expected a key") }
                let key = try string()
                skipSpace()
                guard i < b.count, b[i] == UInt8(ascii: ":") else { throw Failure(offset: i, reason: "expected ':'") }
                i += 1
                skipSpace()
                members[key] = try value(depth: depth + 1)
                skipSpace()
                guard i < b.count else { throw Failure(offset: i, reason: "unexpected end") }
                if b[i] == UInt8(ascii: ",") { i += 1; continue }
                if b[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
                throw Failure(offset: i, reason: "expected ',' or '}'")
            }
        case UInt8(ascii: "["):
            i += 1
            var items: [JSONNode] = []
            skipSpace()
            if i < b.count, b[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
            while true {
                skipSpace()
                items.append(try value(depth: depth + 1))
                skipSpace()
                guard i < b.count else { throw Failure(offset: i, reason: "unexpected end") }
                if b[i] == UInt8(ascii: ",") { i += 1; continue }
                if b[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
                throw Failure(offset: i, reason: "expected ',' or ']'")
            }
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default: return .number(try number())
        }
    }

    private mutating func literal(_ word: StaticString) throws {
        let w = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        guard i + w.count <= b.count, b[i..<(i + w.count)].elementsEqual(w) else { throw Failure(offset: i, reason: "unknown literal") }
        i += w.count
    }

    private mutating func number() throws -> String {
        let start = i
        if i < b.count, b[i] == UInt8(ascii: "-") { i += 1 }
        func digits() -> Int { let s = i; while i < b.count, (48...57).contains(b[i]) { i += 1 }; return i - s }
        let intDigits = digits()
        guard intDigits > 0, !(intDigits > 1 && b[i - intDigits] == 48) else { throw Failure(offset: start, reason: "bad number") }
        if i < b.count, b[i] == UInt8(ascii: ".") { i += 1; guard digits() > 0 else { throw Failure(offset: i, reason: "bad fraction") } }
        if i < b.count, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
            i += 1
            if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
            guard digits() > 0 else { throw Failure(offset: i, reason: "bad exponent") }
        }
        return String(decoding: b[start..<i], as: UTF8.self)
    }

    private mutating func string() throws -> String {
        i += 1
        let start = i
        // Fast path: no escapes.
        while i < b.count, b[i] != UInt8(ascii: "\""), b[i] != UInt8(ascii: "\\") {
            guard b[i] >= 0x20 else { throw Failure(offset: i, reason: "control character in string") }
            i += 1
        }
        guard i < b.count else { throw Failure(offset: i, reason: "unterminated string") }
        if b[i] == UInt8(ascii: "\"") { i += 1; return String(decoding: b[start..<(i - 1)], as: UTF8.self) }
        var out = Array(b[start..<i])
        while i < b.count {
            let c = b[i]
            if c == UInt8(ascii: "\"") { i += 1; return String(decoding: out, as: UTF8.self) }
            guard c >= 0x20 else { throw Failure(offset: i, reason: "control character in string") }
            if c != UInt8(ascii: "\\") { out.append(c); i += 1; continue }
            i += 1
            guard i < b.count else { break }
            switch b[i] {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800...0xDBFF).contains(scalar) {
                    guard i + 2 < b.count, b[i + 1] == UInt8(ascii: "\\"), b[i + 2] == UInt8(ascii: "u") else { throw Failure(offset: i, reason: "lone surrogate") }
                    i += 2
                    let low = try hex4()
                    guard (0xDC00...0xDFFF).contains(low) else { throw Failure(offset: i, reason: "bad surrogate pair") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let u = Unicode.Scalar(scalar) else { throw Failure(offset: i, reason: "bad \\u escape") }
                out.append(contentsOf: String(Character(u)).utf8)
            default: throw Failure(offset: i, reason: "bad escape")
            }
            i += 1
        }
        throw Failure(offset: i, reason: "unterminated string")
    }

    private mutating func hex4() throws -> UInt32 {
        guard i + 4 < b.count else { throw Failure(offset: i, reason: "short \\u escape") }
        var v: UInt32 = 0
        for k in 1...4 {
            let c = b[i + k]
            let d: UInt32
            switch c {
            case 48...57: d = UInt32(c - 48)
            case 97...102: d = UInt32(c - 87)
            case 65...70: d = UInt32(c - 55)
            default: throw Failure(offset: i + k, reason: "bad hex digit")
            }
            v = v << 4 | d
        }
        i += 4
        return v
    }
}
