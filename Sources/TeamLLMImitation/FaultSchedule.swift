import Foundation

/// A fault the imitation can inject into a chat request, each reproducing a shape of the contract
/// (shared/reference/openrouter-api.md §5, checklist items 10–14).
public enum Fault: String, Sendable, CaseIterable {
    case badRequest = "400", unauthorized = "401", paymentRequired = "402", moderation = "403", noEndpoints = "404"
    case requestTimeout = "408", rateLimited = "429", upstreamRateLimited = "429u", internalError = "500"
    case badGateway = "502", unavailable = "503", edgeTimeout = "524", overloaded = "529"
    /// HTTP 200 with a top-level error object.
    case errorIn200 = "error200"
    /// HTTP 200, `finish_reason: "error"`, `choices[0].error` and partial content; not billed.
    case finishError = "finish_error"
    /// HTTP 200 without `choices`.
    case noChoices = "no_choices"
    /// HTTP 200 whose JSON body is cut off.
    case truncated
    /// Blank lines for a while before a normal body.
    case keepalive
    /// No answer at all, for 120 s.
    case hang
    /// Blank lines every half second, for 120 s, and never a body.
    case hangKeepalive = "hang_keepalive"
    /// Headers, then the connection is dropped mid-body.
    case close
    /// A normal answer cut at a quarter of `max_tokens`, `finish_reason: "length"`; billed.
    case length
    /// The first endpoint fails with 502 before answering; the next one serves (when fallbacks are allowed).
    case failover
}

/// Which chat requests get which fault: `NAME=P` (each request, with probability P, from the seeded
/// generator) and `NAME@N` (the N-th chat request, counted from 1), comma-separated.
public struct FaultSchedule: Sendable, Equatable {
    public struct Rule: Sendable, Equatable {
        public let fault: Fault
        public let probability: Double?
        public let at: Int?
    }
    public private(set) var rules: [Rule] = []

    public init() {}

    /// Parses a spec such as `429=0.05,500=0.02,hang@3`; the error names the entry at fault.
    public init(spec: String) throws(ImitationSpecError) {
        for raw in spec.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !raw.isEmpty {
            if let eq = raw.firstIndex(of: "=") {
                let name = String(raw[..<eq]), value = String(raw[raw.index(after: eq)...])
                guard let fault = Fault(rawValue: name) else { throw .unknownFault(entry: raw, known: Fault.allCases.map(\.rawValue)) }
                guard let p = Double(value), (0...1).contains(p) else { throw .badValue(entry: raw, expected: "a probability from 0 to 1") }
                rules.append(Rule(fault: fault, probability: p, at: nil))
            } else if let at = raw.firstIndex(of: "@") {
                let name = String(raw[..<at]), value = String(raw[raw.index(after: at)...])
                guard let fault = Fault(rawValue: name) else { throw .unknownFault(entry: raw, known: Fault.allCases.map(\.rawValue)) }
                guard let n = Int(value), n >= 1 else { throw .badValue(entry: raw, expected: "a request number from 1") }
                rules.append(Rule(fault: fault, probability: nil, at: n))
            } else {
                throw .badValue(entry: raw, expected: "NAME=PROBABILITY or NAME@REQUEST")
            }
        }
        let total = rules.compactMap(\.probability).reduce(0, +)
        guard total <= 1 else { throw .badValue(entry: spec, expected: "probabilities adding up to at most 1 (they add up to \(total))") }
    }

    /// The fault for the n-th chat request, given a uniform draw in [0, 1) for it.
    func fault(request n: Int, draw u: Double) -> Fault? {
        if let fixed = rules.first(where: { $0.at == n }) { return fixed.fault }
        var acc = 0.0
        for r in rules {
            guard let p = r.probability else { continue }
            acc += p
            if u < acc { return r.fault }
        }
        return nil
    }
}

/// A spec the imitation cannot read, with the entry and what it expected.
public enum ImitationSpecError: Error, Equatable, CustomStringConvertible {
    case unknownFault(entry: String, known: [String])
    case badValue(entry: String, expected: String)

    public var description: String {
        switch self {
        case let .unknownFault(entry, known): "fault spec entry '\(entry)': unknown fault; known: \(known.joined(separator: ", "))"
        case let .badValue(entry, expected): "spec entry '\(entry)': expected \(expected)"
        }
    }
}

/// How long the imitation takes before it answers: `fixed:MS` or `lognormal:MEDIAN_MS:P99_MS`, for every
/// model, or per model as `SLUG=SPEC;SLUG=SPEC;*=SPEC`.
public struct LatencyModel: Sendable, Equatable {
    public enum Shape: Sendable, Equatable {
        case fixed(ms: Double)
        /// Log-normal with this median; σ = ln(p99 / median) / 2.326 (the normal 99th percentile).
        case lognormal(medianMs: Double, p99Ms: Double)
    }
    public private(set) var byModel: [String: Shape] = [:]
    public private(set) var fallback: Shape = .fixed(ms: 0)

    public init() {}

    public init(spec: String) throws(ImitationSpecError) {
        let parts = spec.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        for part in parts {
            if let eq = part.firstIndex(of: "="), !part.hasPrefix("fixed"), !part.hasPrefix("lognormal") {
                let model = String(part[..<eq])
                let shape = try Self.shape(String(part[part.index(after: eq)...]), entry: part)
                if model == "*" { fallback = shape } else { byModel[model] = shape }
            } else {
                fallback = try Self.shape(part, entry: part)
            }
        }
    }

    private static func shape(_ text: String, entry: String) throws(ImitationSpecError) -> Shape {
        let f = text.split(separator: ":").map(String.init)
        switch f.first {
        case "fixed"?:
            guard f.count == 2, let ms = Double(f[1]), ms >= 0 else { throw .badValue(entry: entry, expected: "fixed:MILLISECONDS") }
            return .fixed(ms: ms)
        case "lognormal"?:
            guard f.count == 3, let m = Double(f[1]), let p = Double(f[2]), m > 0, p >= m else {
                throw .badValue(entry: entry, expected: "lognormal:MEDIAN_MS:P99_MS with 0 < median ≤ p99")
            }
            return .lognormal(medianMs: m, p99Ms: p)
        default: throw .badValue(entry: entry, expected: "fixed:MS or lognormal:MEDIAN_MS:P99_MS")
        }
    }

    /// A latency for a model, from two uniform draws in (0, 1).
    func milliseconds(model: String, _ u1: Double, _ u2: Double) -> Double {
        switch byModel[model] ?? fallback {
        case let .fixed(ms): return ms
        case let .lognormal(median, p99):
            let sigma = log(p99 / median) / 2.326
            // Box–Muller: one standard normal from two uniforms.
            let z = (-2 * log(max(u1, 1e-12))).squareRoot() * cos(2 * .pi * u2)
            return median * exp(sigma * z)
        }
    }
}
