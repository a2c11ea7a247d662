import Foundation

extension RunJournal {
    /// What resume reads back: the live state, where each stream ends, torn tails it kept, and the last anchor.
    struct Loaded {
        var state: LiveState
        var tails: [String: StreamTail]
        var torn: [TornLineNote]
        var anchored: [StreamHead]
        /// Every grade by attempt id, in record order, when asked for (a regrade compares with them).
        var grades: [String: [GradeRecord]] = [:]
    }

    /// What the process that loads the run will do with it.
    enum Purpose {
        /// Continue the sweep: every cell's phase is replayed, and each transition checked.
        case sweep
        /// Append grades (a regrade): phases are not replayed (every event line is still sealed and chained), and
        /// every grade is kept.
        case regrade
    }

    /// Reads every stream into the live state, keeping no lines; a torn tail goes to quarantine and the chain continues.
    ///
    /// Every stream is held to the anchors in sessions.jsonl: a stream shorter than what was once anchored
    /// is refused (whole records were cut), except for a torn last line, the one thing a crash can leave.
    static func load(_ folder: RunFolder, for purpose: Purpose = .sweep) throws -> Loaded {
        let keepGrades = purpose == .regrade
        // Sessions first (small): its anchors are checked while the other three are read side by side
        // (each job writes only its own variables); torn tails are moved only once all four read cleanly.
        var anchors = StreamAnchors()
        var named = Set<String>()
        let s = try StreamReader.records(folder.stream(SessionRecord.self), SessionRecord.self) {
            anchors.add($0)
            if let q = $0.payload.torn?.quarantine { named.insert(q) }
        }
        // A kill between cutting a torn tail and recording it leaves a kept file no record names; its name
        // says where the stream was cut, so the anchor of the cut line is voided before streams are checked.
        var orphans: [TornLineNote] = []
        let keptFiles = (try? FileManager.default.contentsOfDirectory(atPath: folder.quarantine.path)) ?? []
        for file in keptFiles.sorted() where !named.contains(file) {
            guard let (stream, offset, kept) = RecordStream.parseQuarantineName(file),
                  let bytes = FileManager.default.contents(atPath: folder.quarantine.appendingPathComponent(file).path) else { continue }
            // Only a file that describes the stream as it stands (it ends where the kept line began) voids an
            // anchor; any other leftover voids nothing, so a deeper cut is still refused below.
            let streamFile = folder.url.appendingPathComponent("\(stream).jsonl").path
            let size = (try? FileManager.default.attributesOfItem(atPath: streamFile)[.size] as? Int) ?? -1
            if let kept, size == offset { anchors.void(stream, beyond: kept, place: "quarantine/\(file)") }
            orphans.append(TornLineNote(stream: stream, offset: offset, length: bytes.count, sha256: Digest.sha256(bytes), quarantine: file, kept: kept))
        }
        if let problem = anchors.problems.first { throw RunError.corrupt("sessions.jsonl: \(problem); refusing to resume over it") }
        var events = LiveState(), attempts = LiveState(), grades = LiveState()
        var kept: [String: [GradeRecord]] = [:]
        var e = StreamTail(count: 0, lastHash: SealedLine.genesis), a = e, g = e
        let heads = anchors.heads
        try sideBySide([
            { e = purpose == .regrade
                ? try StreamReader.scan(folder.stream(EventRecord.self), anchored: heads[EventRecord.stream] ?? [:]) { _, _, _ in }
                : try StreamReader.records(folder.stream(EventRecord.self), EventRecord.self, anchored: heads[EventRecord.stream] ?? [:]) {
                    try events.ledger.apply($0.payload, line: $0.seq) } },
            { a = try StreamReader.records(folder.stream(AttemptRecord.self), decoding: LiveState.AttemptFields.self, anchored: heads[AttemptRecord.stream] ?? [:]) {
                attempts.add($0.payload) } },
            { g = try StreamReader.records(folder.stream(GradeRecord.self), GradeRecord.self, anchored: heads[GradeRecord.stream] ?? [:]) {
                grades.add($0.payload)
                if keepGrades { kept[$0.payload.attempt, default: []].append($0.payload) } } },
        ])
        for (stream, tail) in [(EventRecord.stream, e), (AttemptRecord.stream, a), (GradeRecord.stream, g)] {
            guard let h = anchors.highest(stream), h.count > tail.count else { continue }
            // The anchored last line may be the one a crash tore (power loss, a damaged sector): it is kept
            // in quarantine and redone. Anything shorter lost whole records, which resume must not paper over.
            if tail.torn != nil && h.count == tail.count + 1 { continue }
            throw RunError.cut(stream: stream, count: tail.count, anchored: h.count, place: h.place)
        }
        var state = attempts
        state.ledger = events.ledger
        state.graded = grades.graded
        var tails: [String: StreamTail] = [:]
        var torn: [TornLineNote] = []
        for (stream, var tail) in [(EventRecord.stream, e), (AttemptRecord.stream, a), (GradeRecord.stream, g), (SessionRecord.stream, s)] {
            if let t = tail.torn {
                let url = folder.url.appendingPathComponent("\(stream).jsonl")
                let file = try RecordStream.quarantine(t, kept: tail.count, of: url, into: folder.quarantine)
                torn.append(TornLineNote(stream: stream, offset: t.offset, length: t.bytes.count, sha256: Digest.sha256(t.bytes), quarantine: file, kept: tail.count))
                tail.torn = nil
            }
            tails[stream] = tail
        }
        // A kill between keeping a file and cutting the stream leaves the same name for the same bytes: one note.
        let fresh = Set(torn.map(\.quarantine))
        return Loaded(state: state, tails: tails, torn: orphans.filter { !fresh.contains($0.quarantine) } + torn, anchored: anchors.last?.heads ?? [],
                      grades: kept)
    }
}
