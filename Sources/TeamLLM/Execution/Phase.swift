/// The four phases every cell, and the sweep as a whole, goes through, in this order only.
public enum Phase: String, Codable, Sendable, Comparable, CaseIterable {
    case pending, executing, verifying, completed

    /// The only phase this one may move to.
    public var successor: Phase? {
        switch self {
        case .pending: .executing
        case .executing: .verifying
        case .verifying: .completed
        case .completed: nil
        }
    }

    public static func < (a: Phase, b: Phase) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// A forward step. Only the typestate values below can make one, so code cannot step back or skip.
public struct Transition: Sendable, Equatable {
    public let from: Phase
    public let to: Phase
    fileprivate init(_ from: Phase) {
        self.from = from
        self.to = from.successor!
    }
}

/// A cell (or sweep) known to be PENDING. Its only move is `start()`.
public struct Pending: Sendable {
    fileprivate init() {}
    /// PENDING → EXECUTING.
    public consuming func start() -> (Executing, Transition) { (Executing(), Transition(.pending)) }
}

/// EXECUTING: requests are made; its only move is `executed()`.
public struct Executing: Sendable {
    fileprivate init() {}
    /// EXECUTING → VERIFYING, once the attempt (success or typed failure) is recorded.
    public consuming func executed() -> (Verifying, Transition) { (Verifying(), Transition(.executing)) }
}

/// VERIFYING: the answer is graded; its only move is `verified()`.
public struct Verifying: Sendable {
    fileprivate init() {}
    /// VERIFYING → COMPLETED, once the grade (or the recorded reason there is none) is written.
    public consuming func verified() -> Transition { Transition(.verifying) }
}

/// Where a cell or sweep stands, as a typestate to continue from.
public enum Progress: Sendable {
    case pending(Pending), executing(Executing), verifying(Verifying), completed

    /// Continues from a phase recovered by replaying the event log (the only way in besides `.pending`).
    public static func resume(at phase: Phase) -> Progress {
        switch phase {
        case .pending: .pending(Pending())
        case .executing: .executing(Executing())
        case .verifying: .verifying(Verifying())
        case .completed: .completed
        }
    }
}
