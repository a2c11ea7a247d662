import Foundation

/// Writes one JSON object in canonical form by hand, for the few types written once or more per cell.
///
/// Codable's per-field dispatch was the largest cost left in a cell, so the per-cell records write
/// themselves through this instead. The caller gives members in canonical key order (checked by an
/// assertion in debug builds) and `nil` optionals are left out, exactly as the Codable encoding does;
/// a test compares every such type's bytes with `CanonicalJSON`'s Codable path.
struct CanonicalObject {
    private(set) var writer = JSONWriter()
    private var first = true
    #if DEBUG
    private var lastKey: [UInt8] = []
    #endif

    /// Builds an object's bytes.
    static func bytes(_ body: (inout CanonicalObject) -> Void) -> [UInt8] {
        var o = CanonicalObject()
        o.writer.bytes.reserveCapacity(512)
        o.open()
        body(&o)
        o.close()
        return o.writer.bytes
    }

    private mutating func open() { writer.bytes.append(UInt8(ascii: "{")) }
    private mutating func close() { writer.bytes.append(UInt8(ascii: "}")) }

    private mutating func key(_ key: StaticString) {
        let k = UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount)
        #if DEBUG
        assert(first || lastKey.lexicographicallyPrecedes(k), "canonical key order: \(key) after \(String(decoding: lastKey, as: UTF8.self))")
        lastKey = Array(k)
        #endif
        if !first { writer.bytes.append(UInt8(ascii: ",")) }
        first = false
        writer.bytes.append(UInt8(ascii: "\""))
        writer.bytes.append(contentsOf: k) // keys are plain ASCII identifiers: nothing to escape
        writer.bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
    }

    mutating func field(_ k: StaticString, _ value: String?) {
        guard let value else { return }
        key(k); writer.write(string: value)
    }

    mutating func field(_ k: StaticString, _ value: Int?) {
        guard let value else { return }
        key(k); writer.bytes.append(contentsOf: String(value).utf8)
    }

    mutating func field(_ k: StaticString, _ value: Bool?) {
        guard let value else { return }
        key(k); writer.bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    mutating func field<R: RawRepresentable>(_ k: StaticString, _ value: R?) where R.RawValue == String {
        field(k, value?.rawValue)
    }

    mutating func field(_ k: StaticString, _ values: [Int]?) { array(k, values) { $0.bytes.append(contentsOf: String($1).utf8) } }

    mutating func field(_ k: StaticString, _ values: [String]?) { array(k, values) { $0.write(string: $1) } }

    private mutating func array<T>(_ k: StaticString, _ values: [T]?, _ element: (inout JSONWriter, T) -> Void) {
        guard let values else { return }
        key(k)
        writer.bytes.append(UInt8(ascii: "["))
        for (i, v) in values.enumerated() {
            if i > 0 { writer.bytes.append(UInt8(ascii: ",")) }
            element(&writer, v)
        }
        writer.bytes.append(UInt8(ascii: "]"))
    }

    /// A member whose value is already canonical JSON (a rarely written nested record, encoded by `CanonicalJSON`).
    mutating func field(_ k: StaticString, canonical json: Data?) {
        guard let json else { return }
        key(k); writer.bytes.append(contentsOf: json)
    }

    /// A nested object member, written by `body` (omitted when `present` is false).
    mutating func field(_ k: StaticString, present: Bool = true, object body: (inout CanonicalObject) -> Void) {
        guard present else { return }
        key(k)
        var inner = CanonicalObject()
        swap(&inner.writer, &writer)
        inner.open()
        body(&inner)
        inner.close()
        swap(&inner.writer, &writer)
    }
}
