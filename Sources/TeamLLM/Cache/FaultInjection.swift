import Foundation
import Synchronization

/// Crash points a test can ask for through `TEAMLLM_FAULT`, so that a moment a random kill -9 hits once
/// in fifty tries is hit every time. Unset (always, outside tests), every check is false.
///
/// - `kill-before-commit:N`: the process kills itself inside the Nth cache store, after its pack write and
///   before its index commit.
/// - `kill-after-store:N`: the process kills itself right after the Nth paid response is stored, before
///   its attempt can be recorded.
enum Faults {
    private static func count(_ name: String) -> Int? {
        guard let spec = ProcessInfo.processInfo.environment["TEAMLLM_FAULT"], spec.hasPrefix(name + ":") else { return nil }
        return Int(spec.dropFirst(name.count + 1))
    }
    private static let killAt = count("kill-before-commit")
    private static let killAfterStoreAt = count("kill-after-store")
    private static let stores = Atomic<Int>(0)
    private static let paidStores = Atomic<Int>(0)

    /// True at the store the fault names.
    static func killBeforeCommit() -> Bool {
        guard let killAt else { return false }
        return stores.add(1, ordering: .relaxed).newValue == killAt
    }

    /// Kills the process at the paid store the fault names.
    static func afterPaidStore() {
        guard let killAfterStoreAt else { return }
        if paidStores.add(1, ordering: .relaxed).newValue == killAfterStoreAt { kill(getpid(), SIGKILL) }
    }
}
