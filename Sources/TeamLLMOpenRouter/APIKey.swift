import Foundation
import TeamLLM

/// The API key, read from `OPENROUTER_API_KEY` or the manifest's `http.key_file`. It is sent in the
/// Authorization header and nowhere else: it is not part of any request TeamLLM hashes, stores or records,
/// and every message built from a server's words passes through `redact`.
public struct APIKey: Sendable, CustomStringConvertible {
    let value: String

    /// The key from the environment, or else from the key file.
    public static func load(environment: [String: String] = ProcessInfo.processInfo.environment, settings: HTTPSettings) throws(AttemptFailure) -> APIKey {
        if let k = environment["OPENROUTER_API_KEY"]?.trimmingCharacters(in: .whitespacesAndNewlines), !k.isEmpty {
            return try checked(k, source: "OPENROUTER_API_KEY")
        }
        if let file = settings.keyFile {
            let path = (file as NSString).expandingTildeInPath
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw AttemptFailure(kind: .auth, message: "cannot read the key file \(path) named by http.key_file")
            }
            let k = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !k.isEmpty else { throw AttemptFailure(kind: .auth, message: "the key file \(path) is empty") }
            return try checked(k, source: "the key file \(path)")
        }
        throw AttemptFailure(kind: .auth, message: "no API key: set OPENROUTER_API_KEY, or name a file holding it with http.key_file in the manifest")
    }

    /// A key with whitespace or a control character inside is refused before any request: an HTTP library would
    /// reject the header and could echo its value, escaped past `redact`, in its error.
    private static func checked(_ k: String, source: String) throws(AttemptFailure) -> APIKey {
        guard k.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F }) else {
            throw AttemptFailure(kind: .auth, message: "\(source) holds more than one token (whitespace or a control character inside the key)")
        }
        return APIKey(value: k)
    }

    /// The text with every occurrence of the key replaced.
    func redact(_ text: String) -> String { value.isEmpty ? text : text.replacingOccurrences(of: value, with: "[key]") }

    /// Never the key itself.
    public var description: String { "[key of \(value.count) characters]" }
}
