import Foundation

/// Which grade of a cell counts when an answer has several (a regrade appends one per grader version).
public enum GraderSelection: Sendable, Equatable, CustomStringConvertible {
    /// The grade appended last for the final attempt: the newest regrade's once one was made.
    case newest
    /// Only the grade by this grader version; a cell it has not graded is missing.
    case exactly(name: String, version: String)

    /// `nil` → `.newest`; `NAME@VERSION` → `.exactly` (the version is required: a bare name would be ambiguous).
    public init(spec: String?) throws(GraderLookupError) {
        guard let spec else { self = .newest; return }
        let parts = spec.split(separator: "@", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { throw .unknownVersion(spec, "(none given)", known: GraderCatalog.versions(of: spec)) }
        self = .exactly(name: parts[0], version: parts[1])
    }

    public var description: String {
        switch self {
        case .newest: "newest"
        case let .exactly(name, version): "\(name)@\(version)"
        }
    }
}

/// The part of an attempt that decides what a cell's records mean.
protocol AttemptOutcome {
    var attempt: String { get }
    var status: AttemptStatus { get }
}

extension AttemptRecord: AttemptOutcome {}
extension LiveState.AttemptSummary: AttemptOutcome {}

/// What a cell's records mean, decided in this one place for resume, the matrix, status, audit, verify and regrade.
public enum CellOutcome {
    /// The attempt that stands for the cell: its last (a retry or a re-ask at a larger limit supersedes the ones before).
    static func final<A: AttemptOutcome>(_ attempts: [A]?) -> A? { attempts?.last }

    /// The grade that counts among an attempt's grades, given in record order.
    public static func counting(_ grades: [GradeRecord]?, _ selection: GraderSelection = .newest) -> GradeRecord? {
        switch selection {
        case .newest: grades?.last
        case let .exactly(name, version): grades?.last { $0.grader == name && $0.graderVersion == version }
        }
    }

    /// True when a COMPLETED cell's records are whole: a final attempt, graded unless it failed (a failed call has nothing to grade).
    static func isWhole<A: AttemptOutcome>(final: A?, graded: (String) -> Bool) -> Bool {
        guard let final else { return false }
        return final.status == .failed || graded(final.attempt)
    }
}
