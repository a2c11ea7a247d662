import Foundation
import TeamLLM

/// The API key, read from `OPENROUTER_API_KEY` or the manifest's `http.key_file`. It is sent in the
/// Authorization header and nowhere else: it is not part of any request TeamLLM hashes, stores or records,
/// and every message built from a server's words passes through `redact`.
public struct APIKey: Sendable, CustomStringConvertible {
    let value: String

    /// The key from the environment, or else from the key file.
    public static func load(environment: [String: String] = ProcessInfo.processInfo.environment, settings: HTTPSettings) throws(AttemptFailure) -> APIKey {
        if let k = environment["OPENROUTER_API_KEY"]?.trimmingCharacters(in: .whitespacesAndNewlines), !k.isEmpty { return APIKey(value: k) }
        if let file = settings.keyFile {
            let path = (file as NSString).expandingTildeInPath
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw AttemptFailure(kind: .auth, message: "cannot read the key file \(path) named by http.key_file")
            }
            let k = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !k.isEmpty else { throw AttemptFailure(kind: .auth, message: "the key file \(path) is empty") }
            return APIKey(value: k)
        }
        throw AttemptFailure(kind: .auth, message: "no API key: set OPENROUTER_API_KEY, or name a file holding it with http.key_file in the manifest")
    }

    /// The text with every occurrence of the key replaced.
    func redact(_ text: String) -> String { value.isEmpty ? text : text.replacingOccurrences(of: value, with: "[key]") }

    /// Never the key itself.
    public var description: String { "[key of \(value.count) characters]" }
}
