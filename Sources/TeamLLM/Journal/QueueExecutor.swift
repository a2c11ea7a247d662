import Dispatch

/// Runs an actor's jobs on a serial dispatch queue of its own, off Swift's cooperative thread pool (two
/// threads on this machine): the journal's appends and fsyncs block in the kernel, and a blocked
/// cooperative thread would stall every cell's work meanwhile.
///
/// `@unchecked Sendable`: its only state is the queue, which is thread-safe, and `enqueue` runs each job
/// on that one serial queue, so the actor's jobs never overlap, as `SerialExecutor` requires.
final class QueueExecutor: SerialExecutor, @unchecked Sendable {
    let queue: DispatchQueue

    init(label: String) { queue = DispatchQueue(label: label, qos: .userInitiated) }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedSerialExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }

    func asUnownedSerialExecutor() -> UnownedSerialExecutor { UnownedSerialExecutor(ordinary: self) }
}
