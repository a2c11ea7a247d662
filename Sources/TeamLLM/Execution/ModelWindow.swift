import Foundation

/// How many calls one model may have in flight: at most its cap, halved on a 429, grown back by about
/// one call per window of successes (additive increase, multiplicative decrease, as TCP does).
struct ModelWindow: Sendable {
    /// The manifest's per-model cap (or the global concurrency).
    let cap: Int
    private var size: Double

    init(cap: Int) {
        self.cap = max(1, cap)
        size = Double(self.cap)
    }

    /// Calls the model may have in flight now.
    var limit: Int { max(1, Int(size)) }

    /// A 429 from this model: half as many calls in flight.
    mutating func rateLimited() { size = max(1, size / 2) }

    /// A call that came back: one more call in flight after a window's worth of them.
    mutating func answered() { size = min(Double(cap), size + 1 / size) }
}
