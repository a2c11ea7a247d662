import Foundation

/// Live progress on stderr: one redrawn line on a terminal, a plain line every 5 s otherwise.
enum ProgressLine {
    static func start(journal: RunJournal, gauges: PipelineGauges, total: Int, done: Int) -> Task<Void, Never> {
        let tty = isatty(2) == 1
        return Task {
            let started = DispatchTime.now()
            var lastPlain = started
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: tty ? 250_000_000 : 1_000_000_000)
                let now = DispatchTime.now()
                let line = await render(journal: journal, gauges: gauges, total: total, done: done, since: started, now: now)
                if tty {
                    FileHandle.standardError.write(Data("\r\u{1B}[2K\(line)".utf8))
                } else if now.uptimeNanoseconds - lastPlain.uptimeNanoseconds >= 5_000_000_000 {
                    FileHandle.standardError.write(Data("\(line)\n".utf8))
                    lastPlain = now
                }
            }
            if tty {
                let line = await render(journal: journal, gauges: gauges, total: total, done: done, since: started, now: DispatchTime.now())
                FileHandle.standardError.write(Data("\r\u{1B}[2K\(line)\n".utf8))
            }
        }
    }

    private static func render(journal: RunJournal, gauges: PipelineGauges, total: Int, done: Int, since: DispatchTime, now: DispatchTime) async -> String {
        let cellsNow = await journal.cellsDoneNow
        let hits = await journal.cacheHitsNow
        let spend = await journal.spend
        let reserved = await journal.reservedNow
        let seconds = max(0.001, Double(now.uptimeNanoseconds - since.uptimeNanoseconds) / 1e9)
        let rate = Double(cellsNow) / seconds
        let left = total - done - cellsNow
        let eta = rate > 0 ? String(format: "%.0fs", Double(left) / rate) : "?"
        return "cells \(done + cellsNow)/\(total)  in flight \(gauges.inFlight)  retries \(gauges.retries)  cache hits \(hits)  "
            + "spend $\(spend)  reserved $\(reserved)  \(String(format: "%.0f", rate)) cells/s  ETA \(eta)"
    }
}
