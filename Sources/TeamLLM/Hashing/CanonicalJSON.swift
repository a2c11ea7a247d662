import Foundation

/// The one JSON encoding TeamLLM writes and hashes: keys sorted by UTF-8 bytes, no whitespace,
/// slashes unescaped, integral numbers without a fraction, others in Swift's shortest round-trip form.
///
/// Every hash of structured data (manifest, request, prompt, record) goes through here, so two
/// encodings of one value can never produce two hashes. It is our own small coder, not
/// Foundation's JSONEncoder, whose fixed cost per call was the largest single cost of a cell.
public enum CanonicalJSON {
    /// Canonical bytes of a value.
    public static func encode<T: Encodable>(_ value: T) throws -> Data {
        var writer = JSONWriter()
        let root = EncodingRef()
        try NodeEncoder.encode(value, into: root, path: [])
        writer.write(root)
        return Data(writer.bytes)
    }

    /// SHA-256 of the canonical bytes of a value.
    public static func hash<T: Encodable>(_ value: T) throws -> String {
        Digest.sha256(try encode(value))
    }

    /// Decodes any JSON text (not only canonical) into a value.
    public static func decode<T: Decodable, Bytes: Sequence>(_ type: T.Type, from bytes: Bytes) throws -> T where Bytes.Element == UInt8 {
        try NodeDecoder.scalar(type, JSONParser.parse(bytes), [])
    }
}
