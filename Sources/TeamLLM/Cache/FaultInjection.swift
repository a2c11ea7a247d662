import Foundation
import Synchronization

/// Crash points a test can ask for through `TEAMLLM_FAULT`, so that a moment a random kill -9 hits once
/// in fifty tries is hit every time. Unset (always, outside tests), every check is false.
///
/// `kill-before-commit:N`: the process kills itself inside the Nth cache store, after its pack write and
/// before its index commit.
enum Faults {
    private static let killAt: Int? = {
        guard let spec = ProcessInfo.processInfo.environment["TEAMLLM_FAULT"], spec.hasPrefix("kill-before-commit:") else { return nil }
        return Int(spec.dropFirst("kill-before-commit:".count))
    }()
    private static let stores = Atomic<Int>(0)

    /// True at the store the fault names.
    static func killBeforeCommit() -> Bool {
        guard let killAt else { return false }
        return stores.add(1, ordering: .relaxed).newValue == killAt
    }
}
