import Foundation

/// The one JSON encoding TeamLLM hashes: keys sorted, no whitespace, slashes unescaped.
///
/// Every hash of structured data (manifest, request, prompt, record) goes through here, so two
/// encodings of one value can never produce two hashes.
public enum CanonicalJSON {
    /// Canonical bytes of a value.
    public static func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }

    /// SHA-256 of the canonical bytes of a value.
    public static func hash<T: Encodable>(_ value: T) throws -> String {
        Digest.sha256(try encode(value))
    }

    /// Canonical bytes, pretty-printed for humans (still key-sorted).
    public static func pretty<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
        return try encoder.encode(value)
    }
}
