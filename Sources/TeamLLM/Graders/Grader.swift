import Foundation

/// A grader's decision about one response.
public enum Verdict: String, Codable, Sendable {
    case correct, incorrect
    /// No answer could be extracted, or the gold itself is unusable; never counted as wrong.
    case ungradable
}

/// The outcome of grading one response against its gold answer.
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
    /// The normalised answer, equal for equal answers (`1/2`, `0.5`, `\frac{1}{2}`), for votes across models.
    public var canonical: String? = nil
}

/// The seam for graders: pure functions of (response text, gold), versioned so re-grades are traceable.
public protocol Grader: Sendable {
    /// Stable name used in the registry and in grade records.
    var name: String { get }
    /// Bumped whenever any verdict could change.
    var version: String { get }
    func grade(response: String, gold: String) -> Grade
}

/// The graders this build has, by registry name.
public enum GraderCatalog {
    static let all: [any Grader] = [NumericExactMatch(), BoxedLatex()]

    /// The grader registered under `name`.
    public static func grader(named name: String) -> (any Grader)? { all.first { $0.name == name } }

    /// Names of every available grader.
    public static var names: [String] { all.map(\.name) }
}
