import Foundation
import TeamLLM

/// `teamllm registry sync`: reads `GET /models` (every page) and writes a new dated price snapshot.
public enum RegistrySync {
    /// Reads every model the API lists; the key is sent when one is at hand (the endpoint does not need it).
    public static func fetch(baseURL: String, key: APIKey?) async throws -> PriceSnapshot {
        let transport = HTTPTransport(timeouts: Timeouts(connect: 10, firstByte: 60, total: 120))
        var models: [String: PriceSnapshot.Model] = [:]
        var offset = 0
        while true {
            var request = HTTPCall(method: .get, url: "\(baseURL)/models?offset=\(offset)&limit=1000")
            if let key { request.headers.append(("Authorization", "Bearer \(key.value)")) }
            let ex: HTTPExchange
            do { ex = try await transport.send(request) } catch { throw RunError.notFound("\(baseURL)/models could not be read: \(key?.redact("\(error)") ?? "\(error)")") }
            guard ex.status == 200, let root = try? JSONParser.parse(ex.body), let page = root["data"]?.items else {
                throw RunError.corrupt("\(baseURL)/models answered HTTP \(ex.status) without a model list")
            }
            for m in page {
                guard let id = m["id"]?.string, let prompt = m["pricing"]?["prompt"]?.text, let completion = m["pricing"]?["completion"]?.text else {
                    throw RunError.corrupt("\(baseURL)/models: an entry at offset \(offset) lacks id or pricing.prompt/completion")
                }
                models[id] = PriceSnapshot.Model(prompt: prompt, completion: completion, contextLength: m["context_length"]?.int,
                                                 maxCompletionTokens: m["top_provider"]?["max_completion_tokens"]?.int,
                                                 supportedParameters: m["supported_parameters"]?.items?.compactMap(\.string) ?? [])
            }
            offset += page.count
            guard !page.isEmpty, let next = root["links"]?["next"], !next.isNull else { break }
        }
        return PriceSnapshot(readAt: ISO8601DateFormatter().string(from: Date()), source: baseURL + "/models", models: models)
    }
}
