/// The one rough token count TeamLLM uses where no tokenizer is at hand: about 4 UTF-8 bytes a token.
///
/// It prices plans and budget ceilings and sizes simulated prompts; metered calls report real counts.
public enum TokenEstimate {
    /// Estimated prompt tokens of a list of messages.
    public static func prompt(_ messages: [ChatMessage]) -> Int {
        messages.reduce(0) { $0 + $1.content.utf8.count } / 4 + 1
    }
}
