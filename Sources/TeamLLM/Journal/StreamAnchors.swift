import Foundation

/// What the sessions stream's anchors say each record stream must hold: the seal at each anchored length.
///
/// An anchor is written at every group commit, after the streams it names were fsynced, so an anchored
/// prefix is durable. A stream shorter than its highest anchor lost whole lines off its end, which no
/// seal or chain inside the stream can show. The one legitimate cut is a crash's torn last line: the
/// `torn_line` record that kept it voids the anchors of that one line.
public struct StreamAnchors: Sendable {
    /// An anchored seal and the sessions line that recorded it.
    public struct Head: Sendable, Equatable {
        public let seal: String
        /// e.g. `sessions.jsonl:45`.
        public let place: String
    }

    /// stream → record number → anchored seal.
    public private(set) var heads: [String: [Int: Head]] = [:]
    /// The last anchor record: its sequence number in sessions.jsonl, time and heads.
    public private(set) var last: (seq: Int, at: String, heads: [StreamHead])?
    /// The cache folder named by the last launch or resume.
    public private(set) var cache: String?
    /// The operational settings of the last launch or resume.
    public private(set) var settings: OperationalSettings?
    /// Contradictions among the session records themselves, each naming its line.
    public private(set) var problems: [String] = []

    public init() {}

    /// Takes in one session record, in stream order.
    public mutating func add(_ s: Stamped<SessionRecord>) {
        let place = "sessions.jsonl:\(s.seq)"
        switch s.payload.kind {
        case .anchor:
            for h in s.payload.anchor ?? [] where h.count > 0 {
                if let earlier = heads[h.stream]?[h.count], earlier.seal != h.head {
                    problems.append("\(place): anchors \(h.stream).jsonl:\(h.count) as \(h.head.prefix(12))…, but \(earlier.place) anchored it as \(earlier.seal.prefix(12))…")
                }
                heads[h.stream, default: [:]][h.count] = Head(seal: h.head, place: place)
            }
            last = (s.seq, s.payload.at, s.payload.anchor ?? [])
        case .tornLine:
            guard let note = s.payload.torn, let kept = note.kept else { return }
            void(note.stream, beyond: kept, place: place)
        case .reconcile, .regrade: break
        case .launch, .resume:
            if let c = s.payload.cache { cache = c }
            if let o = s.payload.settings { settings = o }
        }
    }

    /// Voids the anchors of a stream beyond `kept` records: a torn last line was cut there. A crash tears
    /// at most the last line, so an anchored line beyond that one is a problem, named with `place`.
    public mutating func void(_ stream: String, beyond kept: Int, place: String) {
        for (n, h) in heads[stream] ?? [:] where n > kept {
            if n > kept + 1 {
                problems.append("\(place): \(stream).jsonl was cut back to \(kept) records, but \(h.place) had anchored \(n)")
            }
            heads[stream]?[n] = nil
        }
    }

    /// The longest anchored length of a stream, and the line that anchored it.
    public func highest(_ stream: String) -> (count: Int, place: String)? {
        heads[stream]?.max { $0.key < $1.key }.map { ($0.key, $0.value.place) }
    }
}

/// How far a reader reads a run's record streams, so that what it reads is one consistent state.
///
/// While a writer holds the run, the streams grow one after another, so a reader takes only the prefix
/// up to the last anchor (a group commit, written when every stream stood at a batch boundary). With no
/// writer, it reads everything and holds the read gate so that none can start meanwhile.
public struct ReadExtent: Sendable {
    /// A writer holds the run.
    public let live: Bool
    public let anchors: StreamAnchors

    /// Records to read of a stream: while live, what the last anchor covers; otherwise all (nil).
    public func limit(_ stream: String) -> Int? {
        guard live else { return nil }
        guard let last = anchors.last else { return 0 }
        if stream == SessionRecord.stream { return last.seq }
        return last.heads.first { $0.stream == stream }?.count ?? 0
    }

    /// Throws if a stream read to `tail` is shorter than its bound or than its highest anchor.
    public func checkLength(_ stream: String, _ tail: StreamTail) throws {
        if let limit = limit(stream), tail.count < limit {
            throw RunError.cut(stream: stream, count: tail.count, anchored: limit, place: anchors.last.map { "sessions.jsonl:\($0.seq)" } ?? "-")
        }
        if let h = anchors.highest(stream), tail.count < h.count {
            throw RunError.cut(stream: stream, count: tail.count, anchored: h.count, place: h.place)
        }
    }

    /// One line saying what was read: everything, or the anchored prefix of a live run.
    public var summary: String {
        guard live else { return "every record (no writer holds the run)" }
        guard let last = anchors.last else { return "nothing yet: the live run has not anchored a group commit" }
        let counts = last.heads.map { "\($0.stream) \($0.count)" }.joined(separator: ", ")
        return "the live run's records up to its last group commit (sessions.jsonl:\(last.seq), \(last.at)): \(counts)"
    }
}

/// The run digest: one hash over the header's seal and each result stream's length and head seal.
///
/// Nothing inside a run folder can show that whole lines were cut off the end of every stream at once,
/// anchors included; a digest cited outside the folder (a paper, a pre-registration) can. It covers what
/// the results rest on (events, attempts, grades), not sessions.jsonl, which grows with every resume and
/// anchor even when nothing else changes: rerunning a finished sweep keeps its digest.
/// It is sha256 of the text `header <seal>\n` then `<stream> <count> <head>\n` for events, attempts and
/// grades, in that order (docs/crash-consistency.md shows it recomputed in Python).
public enum RunDigest {
    /// The streams a digest covers, in order.
    public static let streams = [EventRecord.stream, AttemptRecord.stream, GradeRecord.stream]

    public static func compute(headerSeal: String, heads: [StreamHead]) -> String {
        var text = "header \(headerSeal)\n"
        for name in streams {
            let h = heads.first { $0.stream == name } ?? StreamHead(stream: name, count: 0, head: SealedLine.genesis)
            text += "\(name) \(h.count) \(h.head)\n"
        }
        return Digest.sha256(text)
    }
}
