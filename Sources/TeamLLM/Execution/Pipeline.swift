import Foundation
import Synchronization

/// The continuous pipeline that walks a sweep's cells: admission (budget, global and per-model slots),
/// calls with retries, and finishing, all overlapping.
///
/// While cells remain and the budget allows, up to `concurrency` calls are in flight, never more than a
/// model's window (its cap, shrunk on 429). Each call is its own task; a call that returns hands its cell
/// to the finisher at once, and the finisher records whatever has come back since its last write with one
/// append per stream, so one slow call delays no other cell's records. Cells are admitted in groups, as
/// slots free up, a window's worth ahead of their calls at most, so admission's cost (one snapshot, one
/// append of PENDING → EXECUTING, one cache read, one claim transaction) is shared by many cells. For calls
/// that take a slot, admission runs as a task beside the loop, which meanwhile goes on relaunching the slots
/// that free up.
/// Providers that answer inline (replay) are called during admission, 256 cells at a time.
///
/// Answers a program grader grades (code) leave the finisher as grading jobs, their cells VERIFYING: a grading
/// lane runs at most one per worker of the grader (one per core), beside the calls, and the finisher records
/// each grade with the cell's VERIFYING → COMPLETED at its next write. Calls never wait for grading.
struct Pipeline {
    let context: CellContext
    let stopAfter: Int?
    let signal: StopSignal?
    let gauges: PipelineGauges

    /// Cells admitted at once for providers that answer inline.
    static let inlineGroup = 256
    /// Admission waits while this many answers wait for a program grader: memory stays bounded when calls outrun grading.
    static let gradingBacklog = 1024

    fileprivate enum Event: Sendable {
        case called(Call, CallOutcome)
        /// A paid call returned: its slot is free, its response still to store.
        case answered(Call, ProviderResponse, CacheEntry.Metering)
        /// That response is stored (or could not be).
        case stored(Call, CallOutcome)
        /// A retry's backoff is over, or was cut short by a cancel.
        case retryDue(Call, cancelled: Bool)
        /// Cells that waited for another process's claim are due to be admitted again.
        case readmit([PlannedCell])
        case flushed(Result<(stop: AttemptFailure?, grading: [GradingJob]), any Error>)
        /// A group's admission, made beside the loop.
        case admitted([PlannedCell], Result<LoopState.GroupAdmission, any Error>)
        /// A grading job is done on this worker (nil grade: cancelled, nothing to record).
        case graded(GradingJob, Grade?, worker: Int)
        case signal(Int)
        case graceOver
    }

    /// How the sweep stopped early, if it did: a message, or an error to raise once everything is recorded.
    func run(_ todo: [PlannedCell]) async throws -> String? {
        var state = LoopState(todo, context: context)
        let ended: Result<String?, any Error> = await withTaskGroup(of: Event.self) { group in
            if let signal { group.addTask { .signal(await signal.wait(above: 0)) } }
            /// Admission, unless the sweep is failing or cancelled; an error fails it.
            func admit() async {
                guard state.error == nil, !state.cancelled else { return }
                do { try await state.admitAndLaunch(&group, pipeline: self) } catch {
                    state.fail(error)
                    group.cancelAll()
                }
            }
            while true {
                // Reservations of calls that will not be made this session are freed before admission looks at the budget.
                if !state.toRelease.isEmpty {
                    await context.journal.release(state.toRelease)
                    state.toRelease = []
                }
                await admit()
                state.launchGrading(&group, context: context)
                state.startFlush(&group, context: context)
                // While the finisher writes one group, the next is admitted (inline providers, above all).
                if state.flushing, state.buffer.isEmpty { await admit() }
                gauges.update(inFlight: state.inFlight, queued: state.hasWorkToDispatch)
                // Nothing runs, so nothing more can happen (the signal's waiter aside).
                if state.inFlight == 0 && state.storing == 0 && state.timers == 0 && !state.flushing && !state.admitting && state.buffer.isEmpty && !state.hasGrading { break }
                guard let event = await group.next() else { break }
                // Whatever came back may have settled a reservation: a cell the budget held back is tried again.
                state.waitingForBudget = false
                switch event {
                case let .called(call, outcome): state.handle(call, outcome, &group, pipeline: self)
                case let .answered(call, response, metering):
                    state.returned(call)
                    state.storing += 1
                    let context = self.context
                    group.addTask { .stored(call, await context.store(call, response, metering)) }
                case let .stored(call, outcome):
                    state.storing -= 1
                    state.settle(call, outcome, &group, pipeline: self)
                case let .retryDue(call, cancelled):
                    state.timers -= 1
                    // Not tried again this session: its failure is on record and the cell stays EXECUTING.
                    if cancelled || state.draining { state.toRelease.append(call.admitted.reserved) } else { state.enqueue(call, front: true) }
                case let .admitted(cells, result):
                    state.admitting = false
                    do { try await state.admitted(cells, try result.get(), &group, pipeline: self) } catch {
                        state.fail(error)
                        group.cancelAll()
                    }
                case let .readmit(cells):
                    state.timers -= 1
                    if !state.draining { state.requeue(cells) }
                case let .flushed(result):
                    state.flushing = false
                    switch result {
                    case let .success(done):
                        state.gradingQueue += done.grading
                        if let stop = done.stop {
                            // Already draining since the call returned (see `settle`); the failure is now on record.
                            state.providerStop = state.providerStop ?? stop
                            state.draining = true
                        }
                    case let .failure(error):
                        state.fail(error)
                        group.cancelAll()
                    }
                case let .signal(level):
                    guard level > 0 else { continue } // the waiter was cancelled: the loop is ending
                    state.draining = true
                    state.interrupted = true
                    if level >= 2 {
                        state.cancelled = true
                        group.cancelAll()
                    } else {
                        let grace = context.settings.graceSeconds
                        group.addTask {
                            _ = try? await Task.sleep(nanoseconds: UInt64(grace * 1e9))
                            return .graceOver
                        }
                        if let signal { group.addTask { .signal(await signal.wait(above: level)) } }
                    }
                case let .graded(job, grade, worker):
                    state.gradingNow -= 1
                    state.freeWorkers[job.identity, default: []].append(worker)
                    if let grade { state.graded.append(GradedJob(job: job, grade: grade)) }
                case .graceOver:
                    if state.interrupted && !state.cancelled {
                        state.cancelled = true
                        group.cancelAll()
                    }
                }
            }
            group.cancelAll()
            if let error = state.error { return .failure(error) }
            if let stop = state.providerStop { return .failure(RunError.providerStopped(stop)) }
            return .success(await state.stopMessage(context: context, stopAfter: stopAfter))
        }
        return try ended.get()
    }
}

/// What the loop knows; touched only by the loop's own task.
private struct LoopState {
    /// Cells not yet admitted, per model, in the plan's order of work; models in order of first appearance.
    var queues: [String: ArraySlice<PlannedCell>] = [:]
    var models: [String] = []
    /// Calls admitted (or due for a retry) waiting for a slot, per model.
    var ready: [String: [Call]] = [:]
    var readyCount = 0
    var windows: [String: ModelWindow] = [:]
    var inFlightByModel: [String: Int] = [:]
    var inFlight = 0
    /// Completions waiting for the finisher.
    var buffer: [Completion] = []
    /// Answers waiting for a program grader, grades running, and grades waiting for the finisher.
    var gradingQueue: [GradingJob] = []
    var gradingNow = 0
    var graded: [GradedJob] = []
    /// Worker numbers not in use, per program grader (filled from its `workers` when its first job comes).
    var freeWorkers: [GraderIdentity: [Int]] = [:]
    /// Reservations of cells whose call will not be made this session, freed by the loop.
    var toRelease: [USD] = []
    var flushing = false
    /// An admission runs beside the loop.
    var admitting = false
    /// Paid responses whose call returned, being stored.
    var storing = 0
    /// Children that will report back: backoffs and readmissions (the grace period is not waited for).
    var timers = 0
    var admittedCount = 0
    var rotation = 0
    var unaffordable: [PlannedCell] = []
    var waitingForBudget = false
    var draining = false
    var cancelled = false
    var interrupted = false
    var stoppedAfter = false
    var providerStop: AttemptFailure?
    var error: (any Error)?
    let inline: Set<String>
    let concurrency: Int

    init(_ todo: [PlannedCell], context: CellContext) {
        var grouped: [String: [PlannedCell]] = [:]
        for cell in todo {
            if grouped[cell.id.model] == nil { models.append(cell.id.model) }
            grouped[cell.id.model, default: []].append(cell)
        }
        queues = grouped.mapValues { ArraySlice($0) }
        concurrency = max(1, context.settings.concurrency)
        var inline = Set<String>()
        for model in models {
            let kind = context.plan.manifest.models.first { $0.ref == model }?.provider
            if let kind, context.providers[kind]?.answersInline == true { inline.insert(model) }
            windows[model] = ModelWindow(cap: min(concurrency, context.settings.modelConcurrency[model] ?? concurrency))
        }
        self.inline = inline
    }

    /// Whether grading work is queued, running or waiting to be written (a stopped lane leaves its queue for the next session).
    var hasGrading: Bool { gradingNow > 0 || !graded.isEmpty || (!gradingQueue.isEmpty && gradingMayStart) }
    /// New grades start unless the sweep is cancelled, failing or interrupted (their cells stay VERIFYING for the next session).
    var gradingMayStart: Bool { !cancelled && error == nil && !interrupted }

    var hasWorkToDispatch: Bool { readyCount > 0 || admitting || (!draining && !stoppedAfter && queues.values.contains { !$0.isEmpty }) }

    mutating func fail(_ e: any Error) {
        error = error ?? e
        draining = true
        cancelled = true
    }

    mutating func enqueue(_ call: Call, front: Bool = false) {
        if front { ready[call.model, default: []].insert(call, at: 0) } else { ready[call.model, default: []].append(call) }
        readyCount += 1
    }

    /// Puts cells back at the head of their models' queues, in order.
    mutating func requeue(_ cells: [PlannedCell]) {
        for (model, back) in Dictionary(grouping: cells, by: \.id.model) {
            queues[model] = ArraySlice(back + (queues[model] ?? []))
        }
    }

    /// Admits what fits and launches every ready call a slot allows.
    mutating func admitAndLaunch(_ group: inout TaskGroup<Pipeline.Event>, pipeline: Pipeline) async throws {
        // Calls already admitted take the free slots first.
        launch(&group, pipeline: pipeline)
        // At most a group's worth of completions wait for the finisher: records follow calls closely, and
        // memory does not grow with the sweep. One admission at a time.
        while !admitting, !draining, !stoppedAfter, !waitingForBudget, buffer.count < Pipeline.inlineGroup, gradingQueue.count < Pipeline.gradingBacklog {
            let picked = pick(limit: pipeline.stopAfter.map { $0 - admittedCount })
            guard !picked.isEmpty else { break }
            admittedCount += picked.count
            if let limit = pipeline.stopAfter, admittedCount >= limit { stoppedAfter = true }
            let context = pipeline.context
            if inline.contains(picked[0].id.model) {
                // Inline answers take no slot: admitted and answered here, 256 cells at a time.
                try await admitted(picked, try await Self.reserveAndAdmit(picked, context: context), &group, pipeline: pipeline)
            } else {
                // Off the loop: admission awaits the journal and the cache, and meanwhile the loop goes on
                // relaunching the slots that free up (a slot left empty is throughput lost).
                let wasUnsettled = unsettled
                admitting = true
                group.addTask {
                    // Unstructured, so cancelling the sweep never cuts an admission's records short.
                    .admitted(picked, await Task { await Result {
                        var admission = try await Self.reserveAndAdmit(picked, context: context)
                        admission.unsettledAtReserve = wasUnsettled
                        return admission
                    } }.value)
                }
                return
            }
            launch(&group, pipeline: pipeline)
        }
    }

    /// The next group to admit: inline models first (up to 256 cells), else cells of models with room,
    /// taken in turn, so that each model has at most a window of calls in flight and a window waiting.
    mutating func pick(limit: Int?) -> [PlannedCell] {
        var out: [PlannedCell] = []
        let cap = min(limit ?? Int.max, Pipeline.inlineGroup)
        guard cap > 0 else { return [] }
        for model in models where inline.contains(model) {
            guard var q = queues[model], !q.isEmpty else { continue }
            let n = min(cap - out.count, q.count)
            out += q.prefix(n)
            q.removeFirst(n)
            queues[model] = q
            if out.count >= cap { return out }
        }
        if !out.isEmpty { return out }
        // A window's worth ahead of the calls in flight (at least 64 cells, so admission's fixed costs are shared
        // even at low concurrency), globally and per model (at least 32).
        let ahead = max(2 * concurrency, 64)
        var room = ahead - inFlight - readyCount
        guard room >= max(1, ahead / 4) || (inFlight == 0 && readyCount == 0) else { return [] }
        var picked: [String: Int] = [:]
        var progressed = true
        while room > 0, out.count < cap, progressed {
            progressed = false
            for k in 0..<models.count {
                let model = models[(rotation + k) % models.count]
                guard !inline.contains(model), var q = queues[model], let cell = q.first else { continue }
                let window = windows[model]!.limit
                let busy = (inFlightByModel[model] ?? 0) + (ready[model]?.count ?? 0) + (picked[model] ?? 0)
                guard busy < max(2 * window, 32) else { continue }
                q.removeFirst()
                queues[model] = q
                picked[model, default: 0] += 1
                out.append(cell)
                room -= 1
                progressed = true
                if room == 0 || out.count >= cap { break }
            }
        }
        rotation += 1
        return out
    }

    /// What admission found for a group: each cell's reservation (nil: it does not fit the budget now), and
    /// the admission of those that fit.
    struct GroupAdmission: Sendable {
        let reservations: [USD?]
        let admission: CellContext.Admission?
        /// Whether anything was unsettled when the group was reserved (it may have settled before the loop saw
        /// the result, so a cell over the cap then is not yet unaffordable).
        var unsettledAtReserve = false
    }

    /// Calls, stores, writes or timers whose end may turn reservations into spend or free them.
    var unsettled: Bool { inFlight > 0 || storing > 0 || readyCount > 0 || !buffer.isEmpty || flushing || timers > 0 || admitting || !toRelease.isEmpty }
    /// The sweep is stopping: no new cell is admitted.
    var stopping: Bool { draining || cancelled || error != nil }

    /// Reserves each cell's ceiling and admits those that fit (their PENDING → EXECUTING, cache, claims).
    /// Touches no loop state, so it can run beside the loop.
    static func reserveAndAdmit(_ cells: [PlannedCell], context: CellContext) async throws -> GroupAdmission {
        let reservations = await context.journal.reserve(cells.map { ($0.id, context.ceiling($0)) }, retryFailed: context.retryFailed)
        let fit = zip(cells, reservations).filter { $0.1 != nil }
        guard !fit.isEmpty else { return GroupAdmission(reservations: reservations, admission: nil) }
        return GroupAdmission(reservations: reservations, admission: try await context.admit(fit.map(\.0), reserved: fit.map { $0.1! }))
    }

    /// Takes an admitted group into the loop. Budget: a cell that does not fit while anything is unsettled
    /// waits until the finisher turns reservations into real spend; one that still does not fit with nothing
    /// running is left for a later session (a raised cap), unless the cache already holds its response, and
    /// scheduling goes on: free and cheaper cells behind it still run.
    mutating func admitted(_ cells: [PlannedCell], _ group: GroupAdmission, _ tasks: inout TaskGroup<Pipeline.Event>, pipeline: Pipeline) async throws {
        let context = pipeline.context
        let over = zip(cells, group.reservations).filter { $0.1 == nil }.map(\.0)
        var admissions = group.admission.map { [$0] } ?? []
        if !over.isEmpty {
            if unsettled || group.admission != nil || stopping || group.unsettledAtReserve {
                admittedCount -= over.count
                stoppedAfter = false
                requeue(over)
                // Something still running will settle and wake the loop; if what was unsettled when the cells
                // were reserved has settled since, the next turn simply reserves them again.
                waitingForBudget = unsettled || group.admission != nil
            } else {
                let cached = try context.cachedCells(over)
                let free = over.filter { cached.contains($0.id) }
                unaffordable += over.filter { !cached.contains($0.id) }
                if !free.isEmpty { admissions.append(try await context.admit(free, reserved: free.map { _ in .zero })) }
            }
        }
        for admission in admissions {
            buffer += admission.ready
            if !admission.waiting.isEmpty {
                let waiting = admission.waiting
                admittedCount -= waiting.count
                timers += 1
                tasks.addTask {
                    // Another live process is paying for these requests: look again shortly, never pay twice.
                    guard (try? await Task.sleep(nanoseconds: 200_000_000)) != nil else { return .readmit([]) }
                    return .readmit(waiting)
                }
            }
            var inlineCalls: [Call] = []
            for call in admission.calls {
                if call.provider.answersInline { inlineCalls.append(call) } else { enqueue(call) }
            }
            for call in inlineCalls {
                let outcome = await context.attempt(call)
                settle(call, outcome, &tasks, pipeline: pipeline)
            }
        }
    }

    /// Starts every ready call a slot allows, oldest first, models in turn.
    mutating func launch(_ group: inout TaskGroup<Pipeline.Event>, pipeline: Pipeline) {
        guard !draining, !cancelled else { return }
        var progressed = true
        while inFlight < concurrency, readyCount > 0, progressed {
            progressed = false
            for model in models {
                guard inFlight < concurrency, var calls = ready[model], !calls.isEmpty else { continue }
                guard (inFlightByModel[model] ?? 0) < windows[model]!.limit else { continue }
                let call = calls.removeFirst()
                ready[model] = calls
                readyCount -= 1
                inFlight += 1
                inFlightByModel[model, default: 0] += 1
                progressed = true
                let context = pipeline.context
                group.addTask { Self.event(call, await context.call(call)) }
            }
        }
    }

    static func event(_ call: Call, _ returned: CellContext.Returned) -> Pipeline.Event {
        switch returned {
        case let .outcome(outcome): .called(call, outcome)
        case let .paid(response, metering): .answered(call, response, metering)
        }
    }

    mutating func handle(_ call: Call, _ outcome: CallOutcome, _ group: inout TaskGroup<Pipeline.Event>, pipeline: Pipeline) {
        returned(call)
        settle(call, outcome, &group, pipeline: pipeline)
    }

    /// A call is over: its slot is free.
    mutating func returned(_ call: Call) {
        inFlight -= 1
        inFlightByModel[call.model, default: 1] -= 1
    }

    /// What a try's outcome does: a retry after a backoff, a cell to finish, or a stop.
    mutating func settle(_ call: Call, _ outcome: CallOutcome, _ group: inout TaskGroup<Pipeline.Event>, pipeline: Pipeline) {
        let context = pipeline.context
        switch outcome {
        case .cancelled:
            // Nothing is known of the model: the cell stays EXECUTING and its reservation is freed.
            toRelease.append(call.admitted.reserved)
        case let .storeFailed(e):
            fail(e)
        case let .failure(f) where f.kind.disposition == .retryable:
            if f.kind == .rateLimited { windows[call.model]?.rateLimited() }
            guard call.failures < context.settings.retries else {
                buffer.append(Completion(call, outcome)) // retries exhausted: the cell completes as missing
                return
            }
            buffer.append(.retried(call, f))
            pipeline.gauges.retried()
            var next = call
            next.failures += 1
            next.prepared = call.prepared.numbered(call.prepared.n + 1)
            if draining {
                // Not tried again now: its failure is recorded and the cell stays EXECUTING for the next session.
                toRelease.append(call.admitted.reserved)
                return
            }
            let wait = context.backoffMs(failures: next.failures, last: f)
            timers += 1
            group.addTask {
                let slept = (try? await Task.sleep(nanoseconds: UInt64(wait * 1_000_000))) != nil
                return .retryDue(next, cancelled: !slept)
            }
        case let .failure(f):
            // 401 and 402: no new call starts from here on. Calls already sent are let finish and recorded, not
            // cancelled: the server may bill a call whose answer a cancel would throw away (with a key that is
            // really rejected, they fail at once anyway).
            if f.kind.disposition == .endsRun || f.kind.disposition == .stopsDispatch { draining = true }
            buffer.append(Completion(call, outcome))
        case let .response(r, _, stored):
            windows[call.model]?.answered()
            // Truncation as data: the cut answer is recorded; with `truncation` set, the cell is asked again at
            // the next larger limit, an attempt of its own (a kill in between re-asks on resume).
            if stored != nil, r.call?.finishReason == "length", let limit = context.plan.manifest.sampling.reask(after: call.prepared.request.maxTokens) {
                buffer.append(.reasked(call, outcome, at: limit))
                do {
                    switch try context.reask(call, at: limit) {
                    case let .call(next): enqueue(next, front: true)
                    case let .ready(done): buffer.append(done)
                    }
                } catch { fail(error) }
                return
            }
            buffer.append(Completion(call, outcome))
        }
    }

    /// Hands what came back, and the grades made since, to the finisher, unless it is writing already (then it
    /// takes all of it next).
    mutating func startFlush(_ group: inout TaskGroup<Pipeline.Event>, context: CellContext) {
        guard !flushing, !buffer.isEmpty || !graded.isEmpty else { return }
        let batch = buffer, done = graded
        buffer = []
        graded = []
        flushing = true
        group.addTask {
            // Unstructured, so cancelling the sweep never cuts a write of records short.
            .flushed(await Task { await Result { try await context.finish(batch, graded: done) } }.value)
        }
    }

    /// Starts queued grading jobs, oldest first, on every free worker of their grader.
    mutating func launchGrading(_ group: inout TaskGroup<Pipeline.Event>, context: CellContext) {
        guard gradingMayStart, !gradingQueue.isEmpty else { return }
        var waiting: [GradingJob] = []
        for job in gradingQueue {
            guard let grader = context.programGraders[job.identity] else {
                fail(RunError.graderUnavailable(job.identity.description))
                return
            }
            if freeWorkers[job.identity] == nil { freeWorkers[job.identity] = Array((0..<max(1, grader.workers)).reversed()) }
            guard let worker = freeWorkers[job.identity]?.popLast() else { waiting.append(job); continue }
            gradingNow += 1
            group.addTask {
                let grade = await grader.grade(response: job.answer, item: job.item, worker: worker)
                // A cancelled run may have been cut short: its grade says nothing of the program, so none is recorded.
                return .graded(job, Task.isCancelled ? nil : grade, worker: worker)
            }
        }
        gradingQueue = waiting
    }

    func stopMessage(context: CellContext, stopAfter: Int?) async -> String? {
        if interrupted {
            return "interrupted: calls in flight were \(cancelled ? "cancelled" : "finished and recorded"); cells whose call was cut off stay EXECUTING, answers not yet graded stay VERIFYING; "
                + "run the same command to continue"
        }
        if !unaffordable.isEmpty {
            let spend = await context.journal.spend
            let needs = unaffordable.map { context.ceiling($0) }.min() ?? .zero
            let cap = await context.journal.cap
            return "budget cap: \(unaffordable.count) cells not started, the cheapest needing up to $\(needs) beside $\(spend) spent of the $\(cap) cap; "
                + "raise budget_usd in the manifest (or pass --budget-usd) and run the same command: the run continues where it stopped"
        }
        if stoppedAfter, let stopAfter { return "stop-after \(stopAfter)" }
        return nil
    }
}

extension Result where Failure == any Error {
    /// `Result(catching:)` for an async body.
    init(_ body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}

/// Live figures of the pipeline, for the progress line and the benchmark: calls in flight, retries, and
/// the mean number of calls in flight while cells remained to dispatch.
public final class PipelineGauges: Sendable {
    private struct State {
        var inFlight = 0
        var retries = 0
        var queued = false
        var since = DispatchTime.now().uptimeNanoseconds
        var area = 0.0
        var queuedNs = 0.0
    }
    private let state = Mutex(State())

    public init() {}

    func update(inFlight: Int, queued: Bool) {
        let now = DispatchTime.now().uptimeNanoseconds
        state.withLock { s in
            if s.queued {
                let dt = Double(now - s.since)
                s.area += Double(s.inFlight) * dt
                s.queuedNs += dt
            }
            s.inFlight = inFlight
            s.queued = queued
            s.since = now
        }
    }

    func retried() { state.withLock { $0.retries += 1 } }

    /// Calls in flight now.
    public var inFlight: Int { state.withLock { $0.inFlight } }
    /// Retries started since the sweep began.
    public var retries: Int { state.withLock { $0.retries } }
    /// Mean calls in flight over the time cells waited to be dispatched; nil before any such time.
    public var meanInFlightWhileQueued: Double? { state.withLock { $0.queuedNs > 0 ? $0.area / $0.queuedNs : nil } }
}
