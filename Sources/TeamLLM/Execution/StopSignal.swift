import Foundation
import Synchronization

/// A request from outside to stop a sweep (Ctrl-C, SIGTERM): the first raise stops dispatching and lets
/// calls in flight finish for a grace period; the second cancels them at once. Either way the run is left
/// resumable: a cell whose call was cut off stays EXECUTING.
public final class StopSignal: Sendable {
    private struct State {
        var level = 0
        var waiters: [Int: CheckedContinuation<Int, Never>] = [:]
        var nextWaiter = 0
    }
    private let state = Mutex(State())

    public init() {}

    /// 0: run on; 1: stop dispatching; 2 or more: cancel now.
    public var level: Int { state.withLock { $0.level } }

    /// Raises the level by one and wakes whoever waits for it.
    public func raise() {
        let (level, waiters) = state.withLock { s in
            s.level += 1
            let w = s.waiters
            s.waiters = [:]
            return (s.level, w)
        }
        for w in waiters.values { w.resume(returning: level) }
    }

    /// Waits for the first raise.
    public func wait() async { _ = await wait(above: 0) }

    /// Waits until the level is above `level` and returns it; returns at once, with the level as it is,
    /// when the waiting task is cancelled.
    func wait(above level: Int) async -> Int {
        let id = state.withLock { s in
            s.nextWaiter += 1
            return s.nextWaiter
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Int, Never>) in
                let now: Int? = state.withLock { s in
                    if s.level > level || Task.isCancelled { return s.level }
                    s.waiters[id] = c
                    return nil
                }
                if let now { c.resume(returning: now) }
            }
        } onCancel: {
            let (waiter, now) = state.withLock { s in (s.waiters.removeValue(forKey: id), s.level) }
            waiter?.resume(returning: now)
        }
    }
}
