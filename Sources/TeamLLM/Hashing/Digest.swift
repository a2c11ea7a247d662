import Crypto
import Foundation

/// SHA-256 helpers; every hash TeamLLM writes is 64 lowercase hex characters.
public enum Digest {
    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// Lowercase hex SHA-256 of raw bytes.
    public static func sha256<D: DataProtocol>(_ data: D) -> String {
        hex(SHA256.hash(data: data))
    }

    /// Lowercase hex SHA-256 of a string's UTF-8 bytes.
    public static func sha256(_ text: String) -> String {
        sha256(Data(text.utf8))
    }

    /// Raw 32-byte SHA-256, for seed derivation.
    /// The raw 32 bytes of the sha256 of a string's UTF-8.
    public static func sha256Bytes(_ text: String) -> [UInt8] {
        Array(SHA256.hash(data: Data(text.utf8)))
    }

    static func hex<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var out = [UInt8]()
        out.reserveCapacity(64)
        for b in bytes {
            out.append(hexDigits[Int(b >> 4)])
            out.append(hexDigits[Int(b & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// True when `text` has the shape of a hash we write.
    public static func isHex64(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}
