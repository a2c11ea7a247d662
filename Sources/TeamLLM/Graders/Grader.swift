import Foundation

/// A grader's decision about one response.
public enum Verdict: String, Codable, Sendable {
    case correct, incorrect
    /// No answer could be extracted, or the gold itself is unusable; never counted as wrong.
    case ungradable
}

/// The outcome of grading one response against its item.
public struct Grade: Sendable, Equatable {
    public let verdict: Verdict
    /// The answer text as it appears in the response.
    public let extracted: String?
    /// [start, end) of `extracted` in Unicode scalars of the response.
    public let span: Range<Int>?
    /// Which extraction rule fired, e.g. `hash_anchor`.
    public let rule: String?
    /// Why the response is ungradable, or other remarks.
    public let reason: String?
    /// The normalised answer, equal for equal answers (`1/2`, `0.5`, `\frac{1}{2}`; an option's original index), for votes across models.
    public var canonical: String? = nil
}

/// What a grader sees of an item: its gold answer, the options as the prompt showed them, and the row's fields.
///
/// Grade records keep `gold`, `choices` and `choiceOrder`, so `verify` and `regrade` rebuild exactly what the
/// grader saw from the records alone.
public struct GradingItem: Sendable, Equatable {
    /// The gold answer; for a multiple-choice item, the original index of the correct option.
    public let gold: String
    /// The options in the order the prompt showed them (nil for an open-answer item).
    public var choices: [String]? = nil
    /// For each shown option, its index in the dataset row (the identity unless shuffled).
    public var choiceOrder: [Int]? = nil
    /// Every field of the dataset row with its JSON type (MBPP's `test_list` stays a list).
    public var fields: [String: JSONNode] = [:]

    public init(gold: String, choices: [String]? = nil, choiceOrder: [Int]? = nil, fields: [String: JSONNode] = [:]) {
        self.gold = gold
        self.choices = choices
        self.choiceOrder = choiceOrder
        self.fields = fields
    }
}

/// Which grader made a grade: name, version and the sha256 of its configuration.
public struct GraderIdentity: Sendable, Hashable, CustomStringConvertible {
    public let name: String
    /// Bumped whenever any verdict could change.
    public let version: String
    /// sha256 of the canonical JSON of the grader's configuration.
    public let configHash: String
    /// `name@version`, as manifests, matrices and commands write it.
    public var description: String { "\(name)@\(version)" }
}

/// The seam for graders: pure functions of (response text, item), versioned so re-grades are traceable.
public protocol Grader: Sendable {
    /// Stable name used in the registry and in grade records.
    var name: String { get }
    /// Bumped whenever any verdict could change.
    var version: String { get }
    /// Every setting that changes a verdict, as text; hashed into the grader's identity.
    var configuration: [String: String] { get }
    func grade(response: String, item: GradingItem) -> Grade
}

extension Grader {
    public var identity: GraderIdentity {
        // A [String: String] always encodes; the hash is over canonical JSON, so key order does not matter.
        GraderIdentity(name: name, version: version, configHash: (try? CanonicalJSON.hash(configuration)) ?? "")
    }

    /// Grades against a bare gold answer (an open-answer item with no other fields).
    public func grade(response: String, gold: String) -> Grade { grade(response: response, item: GradingItem(gold: gold)) }
}

/// Every version of every grader this build has. A version, once released, stays here unchanged, so a run
/// graded by it can be verified and compared with its successor.
public enum GraderCatalog {
    static let all: [any Grader] = [NumericExactMatch(), BoxedLatex(version: .v1), BoxedLatex(version: .v2), MultipleChoice()]
    /// Every grader with its identity, hashed once (verify and the sweep look it up per grade).
    static let entries: [(grader: any Grader, identity: GraderIdentity)] = all.map { ($0, $0.identity) }

    /// The grader `name@version`, or the newest version of `name` when `version` is nil.
    public static func grader(named name: String, version: String? = nil) -> (any Grader)? { entry(named: name, version: version)?.grader }

    /// `grader(named:version:)` with its identity.
    static func entry(named name: String, version: String? = nil) -> (grader: any Grader, identity: GraderIdentity)? {
        let versions = entries.filter { $0.identity.name == name }
        guard let version else { return versions.max { versionOrder($0.identity.version, $1.identity.version) } }
        return versions.first { $0.identity.version == version }
    }

    /// The grader a `NAME[@VERSION]` spec names, or an error listing what this build has.
    public static func grader(spec: String) throws(GraderLookupError) -> any Grader {
        let parts = spec.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard let newest = grader(named: parts[0]) else { throw .unknownName(parts[0], known: names) }
        guard parts.count == 2 else { return newest }
        guard let exact = grader(named: parts[0], version: parts[1]) else {
            throw .unknownVersion(parts[0], parts[1], known: versions(of: parts[0]))
        }
        return exact
    }

    /// Names of every available grader.
    public static var names: [String] { all.reduce(into: [String]()) { if !$0.contains($1.name) { $0.append($1.name) } } }

    /// The versions of one grader, oldest first.
    public static func versions(of name: String) -> [String] { all.filter { $0.name == name }.map(\.version).sorted(by: versionOrder) }

    /// Versions compare as integers when both are, else as text.
    static func versionOrder(_ a: String, _ b: String) -> Bool {
        if let x = Int(a), let y = Int(b) { return x < y }
        return a < b
    }
}

/// A grader spec that names nothing this build has.
public enum GraderLookupError: Error, CustomStringConvertible, Equatable {
    case unknownName(String, known: [String])
    case unknownVersion(String, String, known: [String])

    public var description: String {
        switch self {
        case let .unknownName(name, known): "unknown grader '\(name)' (this build has: \(known.joined(separator: ", ")))"
        case let .unknownVersion(name, version, known): "grader \(name) has no version \(version) in this build (versions: \(known.joined(separator: ", ")))"
        }
    }
}
