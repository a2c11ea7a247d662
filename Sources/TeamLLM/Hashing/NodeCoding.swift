/// Encodes any `Encodable` to a tree the `JSONWriter` writes (the Codable half of `CanonicalJSON`).
///
/// Members are kept in the order they were encoded and sorted once, when written; leaves are stored
/// inline, so a record costs one object per nested container, not one per field.
final class EncodingRef {
    /// One member or item: a finished leaf, or a nested container still being filled.
    enum Slot {
        case node(JSONNode)
        case ref(EncodingRef)
    }
    var members: [(key: String, slot: Slot)]?
    var items: [Slot]?
    var value: JSONNode?
}

struct NodeEncoder: Encoder {
    let ref: EncodingRef
    var codingPath: [CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy: Key.Type) -> KeyedEncodingContainer<Key> {
        if ref.members == nil { ref.members = [] }
        return KeyedEncodingContainer(Keyed<Key>(ref: ref, codingPath: codingPath))
    }
    func unkeyedContainer() -> UnkeyedEncodingContainer {
        if ref.items == nil { ref.items = [] }
        return Unkeyed(ref: ref, codingPath: codingPath)
    }
    func singleValueContainer() -> SingleValueEncodingContainer { Single(ref: ref, codingPath: codingPath) }

    static func number(_ v: Double, _ path: [CodingKey]) throws -> JSONNode {
        guard v.isFinite else { throw EncodingError.invalidValue(v, .init(codingPath: path, debugDescription: "JSON has no \(v)")) }
        return .number(ECMAScriptNumber.format(v))
    }

    /// A leaf for the standard scalar types, nil for anything that encodes itself.
    static func leaf<T: Encodable>(_ value: T, _ path: @autoclosure () -> [CodingKey]) throws -> JSONNode? {
        // Metatype comparisons first: a failed `as` cast to a protocol existential costs a conformance lookup,
        // and most values (records, ids, enums) are not scalars at all.
        if T.self == String.self { return .string(value as! String) }
        if T.self == Int.self { return .number(String(value as! Int)) }
        if T.self == Bool.self { return .bool(value as! Bool) }
        if T.self == Double.self { return try number(value as! Double, path()) }
        // Every other standard integer and float type: their own `encode(to:)` would ask for a
        // single-value container and land back here.
        if let f = value as? Float { return try number(Double(f), path()) }
        guard T.self is any FixedWidthInteger.Type, let i = value as? any FixedWidthInteger else { return nil }
        return .number("\(i)")
    }

    /// Encodes a value into `ref`.
    static func encode<T: Encodable>(_ value: T, into ref: EncodingRef, path: [CodingKey]) throws {
        if let node = try leaf(value, path) { ref.value = node } else { try value.encode(to: NodeEncoder(ref: ref, codingPath: path)) }
    }

    static func slot<T: Encodable>(_ value: T, path: @autoclosure () -> [CodingKey]) throws -> EncodingRef.Slot {
        if let node = try leaf(value, path()) { return .node(node) }
        let child = EncodingRef()
        try value.encode(to: NodeEncoder(ref: child, codingPath: path()))
        return .ref(child)
    }

    struct Keyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let ref: EncodingRef
        var codingPath: [CodingKey]
        func add(_ slot: EncodingRef.Slot, _ key: Key) { ref.members!.append((key.stringValue, slot)) }
        func set(_ node: JSONNode, _ key: Key) { add(.node(node), key) }
        mutating func encodeNil(forKey key: Key) throws { set(.null, key) }
        mutating func encode(_ value: Bool, forKey key: Key) throws { set(.bool(value), key) }
        mutating func encode(_ value: String, forKey key: Key) throws { set(.string(value), key) }
        mutating func encode(_ value: Double, forKey key: Key) throws { set(try NodeEncoder.number(value, codingPath + [key]), key) }
        mutating func encode(_ value: Float, forKey key: Key) throws { set(try NodeEncoder.number(Double(value), codingPath + [key]), key) }
        mutating func encode(_ value: Int, forKey key: Key) throws { set(.number(String(value)), key) }
        mutating func encode(_ value: Int32, forKey key: Key) throws { set(.number(String(value)), key) }
        mutating func encode(_ value: Int64, forKey key: Key) throws { set(.number(String(value)), key) }
        mutating func encode(_ value: UInt32, forKey key: Key) throws { set(.number(String(value)), key) }
        mutating func encode(_ value: UInt64, forKey key: Key) throws { set(.number(String(value)), key) }
        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            add(try NodeEncoder.slot(value, path: codingPath + [key]), key)
        }
        mutating func nestedContainer<N: CodingKey>(keyedBy: N.Type, forKey key: Key) -> KeyedEncodingContainer<N> {
            let child = EncodingRef(); child.members = []; add(.ref(child), key)
            return KeyedEncodingContainer(Keyed<N>(ref: child, codingPath: codingPath + [key]))
        }
        mutating func nestedUnkeyedContainer(forKey key: Key) -> UnkeyedEncodingContainer {
            let child = EncodingRef(); child.items = []; add(.ref(child), key)
            return Unkeyed(ref: child, codingPath: codingPath + [key])
        }
        mutating func superEncoder() -> Encoder {
            let child = EncodingRef(); ref.members!.append(("super", .ref(child)))
            return NodeEncoder(ref: child, codingPath: codingPath)
        }
        mutating func superEncoder(forKey key: Key) -> Encoder {
            let child = EncodingRef(); add(.ref(child), key)
            return NodeEncoder(ref: child, codingPath: codingPath + [key])
        }
    }

    struct Unkeyed: UnkeyedEncodingContainer {
        let ref: EncodingRef
        var codingPath: [CodingKey]
        var count: Int { ref.items!.count }
        struct Index: CodingKey {
            var stringValue: String { "\(intValue!)" }
            var intValue: Int?
            init(_ i: Int) { intValue = i }
            init?(stringValue: String) { nil }
            init?(intValue: Int) { self.intValue = intValue }
        }
        func add(_ node: JSONNode) { ref.items!.append(.node(node)) }
        mutating func encodeNil() throws { add(.null) }
        mutating func encode(_ value: String) throws { add(.string(value)) }
        mutating func encode(_ value: Int) throws { add(.number(String(value))) }
        mutating func encode(_ value: Bool) throws { add(.bool(value)) }
        mutating func encode<T: Encodable>(_ value: T) throws {
            let path = codingPath, index = count
            ref.items!.append(try NodeEncoder.slot(value, path: path + [Index(index)]))
        }
        mutating func nestedContainer<N: CodingKey>(keyedBy: N.Type) -> KeyedEncodingContainer<N> {
            let child = EncodingRef(); child.members = []; ref.items!.append(.ref(child))
            return KeyedEncodingContainer(Keyed<N>(ref: child, codingPath: codingPath + [Index(count - 1)]))
        }
        mutating func nestedUnkeyedContainer() -> UnkeyedEncodingContainer {
            let child = EncodingRef(); child.items = []; ref.items!.append(.ref(child))
            return Unkeyed(ref: child, codingPath: codingPath + [Index(count - 1)])
        }
        mutating func superEncoder() -> Encoder {
            let child = EncodingRef(); ref.items!.append(.ref(child))
            return NodeEncoder(ref: child, codingPath: codingPath + [Index(count - 1)])
        }
    }

    struct Single: SingleValueEncodingContainer {
        let ref: EncodingRef
        var codingPath: [CodingKey]
        mutating func encodeNil() throws { ref.value = .null }
        mutating func encode(_ value: Bool) throws { ref.value = .bool(value) }
        mutating func encode(_ value: String) throws { ref.value = .string(value) }
        mutating func encode(_ value: Double) throws { ref.value = try NodeEncoder.number(value, codingPath) }
        mutating func encode(_ value: Int) throws { ref.value = .number(String(value)) }
        mutating func encode(_ value: Int32) throws { ref.value = .number(String(value)) }
        mutating func encode(_ value: Int64) throws { ref.value = .number(String(value)) }
        mutating func encode(_ value: UInt32) throws { ref.value = .number(String(value)) }
        mutating func encode(_ value: UInt64) throws { ref.value = .number(String(value)) }
        // A value that encodes itself through a single-value container fills this same slot.
        mutating func encode<T: Encodable>(_ value: T) throws { try NodeEncoder.encode(value, into: ref, path: codingPath) }
    }
}

/// Decodes any `Decodable` from a `JSONNode` tree (the Codable half of `CanonicalJSON`).
struct NodeDecoder: Decoder {
    let node: JSONNode
    var codingPath: [CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    static func mismatch(_ type: Any.Type, _ node: JSONNode, _ path: [CodingKey]) -> DecodingError {
        let found: String
        switch node {
        case .object: found = "an object"
        case .array: found = "an array"
        case let .string(s): found = "the string \"\(s.prefix(40))\""
        case let .number(n): found = "the number \(n)"
        case let .bool(b): found = "\(b)"
        case .null: found = "null"
        }
        return .typeMismatch(type, .init(codingPath: path, debugDescription: "expected \(type), found \(found)"))
    }

    func container<Key: CodingKey>(keyedBy: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case let .object(members) = node else { throw Self.mismatch([String: Any].self, node, codingPath) }
        return KeyedDecodingContainer(Keyed<Key>(members: members, codingPath: codingPath))
    }
    func unkeyedContainer() throws -> UnkeyedDecodingContainer {
        guard case let .array(items) = node else { throw Self.mismatch([Any].self, node, codingPath) }
        return Unkeyed(items: items, codingPath: codingPath)
    }
    func singleValueContainer() throws -> SingleValueDecodingContainer { Single(node: node, codingPath: codingPath) }

    static func scalar<T: Decodable>(_ type: T.Type, _ node: JSONNode, _ path: [CodingKey]) throws -> T {
        switch (type, node) {
        case let (is String.Type, .string(s)): return s as! T
        case let (is Int.Type, .number(n)):
            guard let v = Int(n) else { throw mismatch(type, node, path) }
            return v as! T
        case let (is Double.Type, .number(n)):
            guard let v = Double(n) else { throw mismatch(type, node, path) }
            return v as! T
        case let (is Bool.Type, .bool(b)): return b as! T
        case (is String.Type, _), (is Int.Type, _), (is Double.Type, _), (is Bool.Type, _): throw mismatch(type, node, path)
        // The other integer and float types: their `init(from:)` would ask a single-value container for
        // themselves and land back here, so they are read from the number text directly.
        case let (integer as any FixedWidthInteger.Type, .number(n)):
            guard let v = integer.init(n, radix: 10) else { throw mismatch(type, node, path) }
            return v as! T
        case (is any FixedWidthInteger.Type, _): throw mismatch(type, node, path)
        case let (is Float.Type, .number(n)):
            guard let v = Float(n) else { throw mismatch(type, node, path) }
            return v as! T
        case (is Float.Type, _): throw mismatch(type, node, path)
        default: return try T(from: NodeDecoder(node: node, codingPath: path))
        }
    }

    struct Keyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let members: [String: JSONNode]
        var codingPath: [CodingKey]
        var allKeys: [Key] { members.keys.compactMap { Key(stringValue: $0) } }
        func contains(_ key: Key) -> Bool { members[key.stringValue] != nil }
        func child(_ key: Key) throws -> JSONNode {
            guard let n = members[key.stringValue] else {
                throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "field '\(key.stringValue)' is missing"))
            }
            return n
        }
        func decodeNil(forKey key: Key) throws -> Bool {
            if case .null = members[key.stringValue] ?? .null { return true }
            return false
        }
        // Primitive fields skip the generic path and build no coding path unless they fail.
        private func primitive<T>(_ type: T.Type, _ key: Key, _ read: (JSONNode) -> T?) throws -> T {
            let node = try child(key)
            if let v = read(node) { return v }
            throw NodeDecoder.mismatch(type, node, codingPath + [key])
        }
        func decode(_ type: String.Type, forKey key: Key) throws -> String {
            try primitive(type, key) { if case let .string(s) = $0 { s } else { nil } }
        }
        func decode(_ type: Int.Type, forKey key: Key) throws -> Int {
            try primitive(type, key) { if case let .number(n) = $0 { Int(n) } else { nil } }
        }
        func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool {
            try primitive(type, key) { if case let .bool(b) = $0 { b } else { nil } }
        }
        func decode(_ type: Double.Type, forKey key: Key) throws -> Double {
            try primitive(type, key) { if case let .number(n) = $0 { Double(n) } else { nil } }
        }
        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            try NodeDecoder.scalar(type, child(key), codingPath + [key])
        }
        func nestedContainer<N: CodingKey>(keyedBy: N.Type, forKey key: Key) throws -> KeyedDecodingContainer<N> {
            try NodeDecoder(node: child(key), codingPath: codingPath + [key]).container(keyedBy: N.self)
        }
        func nestedUnkeyedContainer(forKey key: Key) throws -> UnkeyedDecodingContainer {
            try NodeDecoder(node: child(key), codingPath: codingPath + [key]).unkeyedContainer()
        }
        func superDecoder() throws -> Decoder { NodeDecoder(node: members["super"] ?? .null, codingPath: codingPath) }
        func superDecoder(forKey key: Key) throws -> Decoder { NodeDecoder(node: members[key.stringValue] ?? .null, codingPath: codingPath + [key]) }
    }

    struct Unkeyed: UnkeyedDecodingContainer {
        let items: [JSONNode]
        var codingPath: [CodingKey]
        var count: Int? { items.count }
        var isAtEnd: Bool { currentIndex >= items.count }
        var currentIndex = 0
        init(items: [JSONNode], codingPath: [CodingKey]) { self.items = items; self.codingPath = codingPath }
        mutating func next() throws -> JSONNode {
            guard !isAtEnd else {
                throw DecodingError.valueNotFound(JSONNode.self, .init(codingPath: codingPath, debugDescription: "the array has only \(items.count) items"))
            }
            defer { currentIndex += 1 }
            return items[currentIndex]
        }
        mutating func decodeNil() throws -> Bool {
            if !isAtEnd, case .null = items[currentIndex] { currentIndex += 1; return true }
            return false
        }
        mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
            let path = codingPath + [NodeEncoder.Unkeyed.Index(currentIndex)]
            return try NodeDecoder.scalar(type, next(), path)
        }
        mutating func nestedContainer<N: CodingKey>(keyedBy: N.Type) throws -> KeyedDecodingContainer<N> {
            try NodeDecoder(node: next(), codingPath: codingPath).container(keyedBy: N.self)
        }
        mutating func nestedUnkeyedContainer() throws -> UnkeyedDecodingContainer {
            try NodeDecoder(node: next(), codingPath: codingPath).unkeyedContainer()
        }
        mutating func superDecoder() throws -> Decoder { NodeDecoder(node: try next(), codingPath: codingPath) }
    }

    struct Single: SingleValueDecodingContainer {
        let node: JSONNode
        var codingPath: [CodingKey]
        func decodeNil() -> Bool { if case .null = node { return true }; return false }
        func decode<T: Decodable>(_ type: T.Type) throws -> T { try NodeDecoder.scalar(type, node, codingPath) }
    }
}
