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
    /// What running the response's program found (code graders only).
    public var execution: ExecutionReport? = nil

    public init(verdict: Verdict, extracted: String?, span: Range<Int>?, rule: String?, reason: String?, canonical: String? = nil,
                execution: ExecutionReport? = nil) {
        self.verdict = verdict
        self.extracted = extracted
        self.span = span
        self.rule = rule
        self.reason = reason
        self.canonical = canonical
        self.execution = execution
    }
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

/// What identifies a grader of either kind: its name, its version, and every setting that changes a verdict.
public protocol GraderDefinition: Sendable {
    /// Stable name used in the registry and in grade records.
    var name: String { get }
    /// Bumped whenever any verdict could change.
    var version: String { get }
    /// Every setting that changes a verdict, as text; hashed into the grader's identity.
    var configuration: [String: String] { get }
}

extension GraderDefinition {
    public var identity: GraderIdentity {
        // A [String: String] always encodes; the hash is over canonical JSON, so key order does not matter.
        GraderIdentity(name: name, version: version, configHash: (try? CanonicalJSON.hash(configuration)) ?? "")
    }
}

/// The seam for text graders: pure functions of (response text, item), versioned so re-grades are traceable.
public protocol Grader: GraderDefinition {
    func grade(response: String, item: GradingItem) -> Grade
}

extension Grader {
    /// Grades against a bare gold answer (an open-answer item with no other fields).
    public func grade(response: String, gold: String) -> Grade { grade(response: response, item: GradingItem(gold: gold)) }
}

/// The seam for graders that run the response as a program (code benchmarks): slow, CPU-bound, in child
/// processes. The production implementation is the sandbox's (TeamLLMSandbox); tests inject doubles. The
/// substrate runs at most `workers` grades at once and gives each its own worker number.
public protocol ProgramGrader: GraderDefinition {
    /// Grades it may run at once (one per core: a run is CPU-bound).
    var workers: Int { get }
    /// Grades on worker `worker` (in 0..<workers), which no other grade uses meanwhile. The grade carries an
    /// `ExecutionReport`.
    func grade(response: String, item: GradingItem, worker: Int) async -> Grade
}

extension ProgramGrader {
    /// Grades every (response, item), in order, on all its workers: worker w takes jobs w, w + workers, ….
    public func grade(_ jobs: [(response: String, item: GradingItem)]) async -> [Grade] {
        let workers = max(1, self.workers)
        var out = [Grade?](repeating: nil, count: jobs.count)
        await withTaskGroup(of: [(Int, Grade)].self) { group in
            for w in 0..<workers {
                group.addTask {
                    var done: [(Int, Grade)] = []
                    for k in stride(from: w, to: jobs.count, by: workers) {
                        done.append((k, await grade(response: jobs[k].response, item: jobs[k].item, worker: w)))
                    }
                    return done
                }
            }
            for await part in group { for (k, g) in part { out[k] = g } }
        }
        return out.map { $0! }
    }
}

/// A grader as the catalog has it: a text grader ready to grade, or the definition of a program grader whose
/// implementation (the sandbox) is given to the sweep, regrade or grade command that needs it.
public enum GraderKind: Sendable {
    case text(any Grader)
    case program(any GraderDefinition)
}

/// `code-execution@1`: HumanEval, MBPP and stdin/stdout problems run in the sandbox, under `settings`.
public struct CodeExecution: GraderDefinition {
    public let name = "code-execution"
    public let version = "1"
    public let settings = CodeExecutionSettings()
    public var configuration: [String: String] { settings.configuration }
    public init() {}
}

/// Every version of every grader this build has. A version, once released, stays here unchanged, so a run
/// graded by it can be verified and compared with its successor.
public enum GraderCatalog {
    static let all: [GraderKind] = [.text(NumericExactMatch()), .text(BoxedLatex(version: .v1)), .text(BoxedLatex(version: .v2)),
                                    .text(MultipleChoice()), .program(CodeExecution())]
    /// Every grader with its identity, hashed once (verify and the sweep look it up per grade).
    static let entries: [(kind: GraderKind, identity: GraderIdentity)] = all.map { ($0, $0.definition.identity) }

    /// The text grader `name@version`, or the newest version of `name` when `version` is nil.
    public static func grader(named name: String, version: String? = nil) -> (any Grader)? {
        if case let .text(g)? = entry(named: name, version: version)?.kind { return g }
        return nil
    }

    /// The grader `name@version` of either kind with its identity (the newest version of `name` when `version` is nil).
    public static func entry(named name: String, version: String? = nil) -> (kind: GraderKind, identity: GraderIdentity)? {
        let versions = entries.filter { $0.identity.name == name }
        guard let version else { return versions.max { versionOrder($0.identity.version, $1.identity.version) } }
        return versions.first { $0.identity.version == version }
    }

    /// The grader of either kind a `NAME[@VERSION]` spec names, or an error listing what this build has.
    public static func entry(spec: String) throws(GraderLookupError) -> (kind: GraderKind, identity: GraderIdentity) {
        let parts = spec.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard let newest = entry(named: parts[0]) else { throw .unknownName(parts[0], known: names) }
        guard parts.count == 2 else { return newest }
        guard let exact = entry(named: parts[0], version: parts[1]) else {
            throw .unknownVersion(parts[0], parts[1], known: versions(of: parts[0]))
        }
        return exact
    }

    /// The text grader a `NAME[@VERSION]` spec names; a program grader is refused (it needs the sandbox).
    public static func grader(spec: String) throws(GraderLookupError) -> any Grader {
        switch try entry(spec: spec).kind {
        case let .text(g): return g
        case let .program(d): throw .runsPrograms(d.identity.description)
        }
    }

    /// Names of every available grader.
    public static var names: [String] { entries.reduce(into: [String]()) { if !$0.contains($1.identity.name) { $0.append($1.identity.name) } } }

    /// The versions of one grader, oldest first.
    public static func versions(of name: String) -> [String] { entries.filter { $0.identity.name == name }.map(\.identity.version).sorted(by: versionOrder) }

    /// Versions compare as integers when both are, else as text.
    static func versionOrder(_ a: String, _ b: String) -> Bool {
        if let x = Int(a), let y = Int(b) { return x < y }
        return a < b
    }
}

extension GraderKind {
    /// Name, version and configuration, whichever the kind.
    public var definition: any GraderDefinition {
        switch self {
        case let .text(g): g
        case let .program(d): d
        }
    }
}

/// A grader spec that names nothing this build has, or a grader of the wrong kind.
public enum GraderLookupError: Error, CustomStringConvertible, Equatable {
    case unknownName(String, known: [String])
    case unknownVersion(String, String, known: [String])
    /// A program grader asked for where only text graders can grade.
    case runsPrograms(String)

    public var description: String {
        switch self {
        case let .unknownName(name, known): "unknown grader '\(name)' (this build has: \(known.joined(separator: ", ")))"
        case let .unknownVersion(name, version, known): "grader \(name) has no version \(version) in this build (versions: \(known.joined(separator: ", ")))"
        case let .runsPrograms(spec): "grader \(spec) runs model-written code: it grades in the sandbox (teamllm grade --grader code, a sweep, or regrade), not as a text grader"
        }
    }
}
