import Foundation
import Testing
@testable import TeamLLM

@Suite("multiple-choice grader")
struct MultipleChoiceTests {
    let grader = MultipleChoice()
    static let four = ["Paris", "London", "Berlin", "Madrid"]

    /// nil: unparsed (scored incorrect, counted apart).
    static let cases: [(response: String, choice: Int?)] = [
        // Written first: what must not be read as an answer, or not as the first letter seen.
        ("The answer is a bit harder than it looks; I would say Berlin is a guess.", nil),
        ("A is wrong, B is wrong. The answer is C.", 2),
        ("Answer: A or B", nil),
        ("The answer is A and B.", nil),
        ("The answer is (A)/(B).", nil),
        ("Answer: E", nil),
        ("The answer is (J).", nil),
        ("I think about it. Answer: I", nil),
        ("Let me think.", nil),
        ("", nil),
        ("Answer: A. Wait, no. The final answer is D.", 3),
        ("<think>The answer is A.</think>The answer is B.", 1),
        ("<think>The answer is A.</think>I cannot tell.", nil),
        ("A. Paris is the capital of France? No.", nil),
        ("Answer: Apple", nil),
        ("The answer is A's neighbour.", nil),
        ("answer: a lot of options here", nil),
        ("The answer is Berlin or Paris.", nil),
        ("The answer is: not sure", nil),
        ("\\boxed{E}", nil),
        // Statement forms.
        ("The answer is C.", 2), ("The answer is (C).", 2), ("Answer: C", 2), ("answer: c)", 2), ("The answer is (c)", 2),
        ("**Answer:** C", 2), ("**Answer: C**", 2), ("The answer is **C**.", 2), ("The answer is $D$.", 3),
        ("Final answer: \\boxed{\\text{(A)}}", 0), ("So \\boxed{B}", 1), ("\\boxed{\\textbf{B}}", 1), ("The answer is \\textbf{B}.", 1),
        ("The correct option is B.", 1), ("The correct choice is (D).", 3), ("The answer is option C.", 2), ("Answer: choice A", 0),
        ("The final answer is [B].", 1), ("The answer is Ｃ.", 2), ("答案 The answer is （Ｄ）", 3), ("Answer:\nB", 1),
        ("The answer is A because Paris is in France.", 0), ("The answer is B, since London.", 1), ("Answer = D", 3),
        ("The answer would be C.", 2), ("The answer should be A.", 0), ("After all that, the answer is C! ", 2),
        ("Answer: (A) Paris", 0), ("The answer is A) Paris", 0), ("The answer is D: Madrid.", 3),
        // Quoted option text.
        ("The answer is Berlin.", 2), ("The answer is London, of course.", 1), ("Final answer: madrid", 3),
        // Bare letters as the whole response.
        ("C", 2), ("(B)", 1), ("**D**", 3), ("a", 0), ("$B$.", 1), (" D. ", 3),
        // Last statement wins across several.
        ("Answer: B\nOn reflection, the answer is D.", 3), ("The answer is C. Earlier I said the answer is B, but the answer is C.", 2),
        ("The answer is (B). Hmm, the answer is (A).", 0),
    ]

    @Test("a table of responses: the option chosen, or unparsed")
    func table() {
        #expect(Self.cases.count >= 60)
        for (response, expected) in Self.cases {
            let g = grader.grade(response: response, options: Self.four, gold: 2)
            #expect(g.choice == expected, "\(response.debugDescription): got \(String(describing: g.choice)), \(g.reason ?? "")")
            if expected == nil {
                #expect(g.verdict == .incorrect && g.unparsed && g.reason?.hasPrefix("unparsed") == true)
            } else {
                #expect(g.verdict == (expected == 2 ? .correct : .incorrect))
            }
        }
    }

    @Test("ten options (MMLU-Pro): J is offered, K is not")
    func tenOptions() {
        let ten = (0..<10).map { "option \($0)" }
        #expect(grader.grade(response: "The answer is (J).", options: ten, gold: 9).verdict == .correct)
        #expect(grader.grade(response: "The answer is (K).", options: ten, gold: 9).unparsed)
    }

    @Test("shuffling by seed is a recorded permutation, the same for the same seed")
    func shuffle() {
        let a = MultipleChoice.shuffledOrder(count: 4, seed: 7), b = MultipleChoice.shuffledOrder(count: 4, seed: 7)
        #expect(a == b && a.sorted() == [0, 1, 2, 3])
        let orders = Set((0..<20).map { MultipleChoice.shuffledOrder(count: 4, seed: UInt64($0)) })
        #expect(orders.count > 5)
    }
}
