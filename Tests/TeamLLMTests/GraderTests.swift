import Foundation
import Testing
@testable import TeamLLM

@Suite("numeric-exact grader")
struct GraderTests {
    let grader = NumericExactMatch()

    struct Case: CustomTestStringConvertible, Sendable {
        let response: String, gold: String, verdict: Verdict, extracted: String?
        var testDescription: String { "\(response.debugDescription) vs \(gold) → \(verdict)" }
    }

    static let cases: [Case] = [
        // Anchors and formats.
        Case(response: "so she makes 18\n#### 18", gold: "18", verdict: .correct, extracted: "18"),
        Case(response: "The answer is 42.", gold: "42", verdict: .correct, extracted: "42"),
        Case(response: "Working...\nA: 42", gold: "42", verdict: .correct, extracted: "42"),
        Case(response: "Answer: $1,234", gold: "1234", verdict: .correct, extracted: "$1,234"),
        Case(response: "#### 70,000", gold: "70000", verdict: .correct, extracted: "70,000"),
        Case(response: "A: 18 dollars", gold: "18", verdict: .correct, extracted: "18"),
        Case(response: "A: 20%", gold: "20", verdict: .correct, extracted: "20"),
        Case(response: "A: 3.50", gold: "3.5", verdict: .correct, extracted: "3.50"),
        Case(response: "A: 3/4", gold: "0.75", verdict: .correct, extracted: "3/4"),
        Case(response: "A: .5", gold: "1/2", verdict: .correct, extracted: ".5"),
        Case(response: "A: \u{2212}5", gold: "-5", verdict: .correct, extracted: "\u{2212}5"),
        Case(response: "the total is \\boxed{12}", gold: "12", verdict: .correct, extracted: "12"),
        Case(response: "first 3 then 4 then 9", gold: "9", verdict: .correct, extracted: "9"),
        // The strongest anchor wins over later weaker numbers; within an anchor the last one wins.
        Case(response: "#### 5\nthen 6 more", gold: "5", verdict: .correct, extracted: "5"),
        Case(response: "The answer is 4. Wait, the answer is 7.", gold: "7", verdict: .correct, extracted: "7"),
        // Negative tests from other harnesses' known bugs.
        Case(response: "ANSWER: 711", gold: "11", verdict: .incorrect, extracted: "711"),
        Case(response: "A: -5", gold: "5", verdict: .incorrect, extracted: "-5"),
        Case(response: "A: 10", gold: "1.0", verdict: .incorrect, extracted: "10"),
        Case(response: "A: 123456", gold: "123459", verdict: .incorrect, extracted: "123456"),
        Case(response: "A: 1.0", gold: "10", verdict: .incorrect, extracted: "1.0"),
        Case(response: "A: 2/3", gold: "0.67", verdict: .incorrect, extracted: "2/3"),
        // Found in review: whitespace before the digits, a sentence comma after a grouped number.
        Case(response: "Answer:\n42", gold: "42", verdict: .correct, extracted: "42"),
        Case(response: "The answer is\n\n42", gold: "42", verdict: .correct, extracted: "42"),
        Case(response: "The answer is 1,000, which is large.", gold: "1000", verdict: .correct, extracted: "1,000"),
        Case(response: "#### 1,000,", gold: "1000", verdict: .correct, extracted: "1,000"),
        Case(response: "She raised $12,500, in total.", gold: "12500", verdict: .correct, extracted: "$12,500"),
        // Nothing to grade.
        Case(response: "A: 1,23", gold: "1.23", verdict: .ungradable, extracted: nil),
        Case(response: "I cannot solve this.", gold: "4", verdict: .ungradable, extracted: nil),
        Case(response: "A: 4", gold: "four", verdict: .ungradable, extracted: nil),
    ]

    @Test("verdicts", arguments: cases)
    func verdict(_ c: Case) {
        let g = grader.grade(response: c.response, gold: c.gold)
        #expect(g.verdict == c.verdict)
        #expect(g.extracted == c.extracted)
    }

    @Test("the span points at the extracted text, in Unicode scalars")
    func span() throws {
        let text = "Café ☕ costs 3 then\nA: 12"
        let g = grader.grade(response: text, gold: "12")
        let span = try #require(g.span)
        let scalars = Array(text.unicodeScalars)
        #expect(String(String.UnicodeScalarView(scalars[span])) == "12")
        #expect(g.rule == "answer_anchor")
    }

    @Test("exact rationals, not floats")
    func rationals() {
        #expect(ExactNumber.parse("0.1") == ExactNumber.parse("1/10"))
        #expect(ExactNumber.parse("100000000000000000001") != ExactNumber.parse("100000000000000000000"))
        #expect(ExactNumber.parse("1,23") == nil)
        #expect(ExactNumber.parse("1/0") == nil)
    }

    /// All 5,276 recorded GPT-3 solutions, graded directly: every verdict must equal the publisher's label.
    @Test("agrees with the publisher's is_correct on every recorded GSM8K solution")
    func publisherAgreement() throws {
        let data = try Data(contentsOf: Fixtures.dataDir.appendingPathComponent("gsm8k/example_model_solutions.jsonl"))
        let gold = try Data(contentsOf: Fixtures.dataDir.appendingPathComponent("gsm8k/test.jsonl"))
        let golds = try JSONLines.objects(in: gold, file: "test.jsonl").map { $0["answer"]!.string!.components(separatedBy: "#### ").last! }
        let rows = try JSONLines.objects(in: data, file: "example_model_solutions.jsonl")
        #expect(rows.count == 1319)
        var correct: [String: Int] = [:], disagreements: [String] = [], total = 0
        for (i, row) in rows.enumerated() {
            for key in ["6b_finetuning", "6b_verification", "175b_finetuning", "175b_verification"] {
                let entry = row[key]!
                let g = grader.grade(response: entry["solution"]!.string!, gold: golds[i])
                total += 1
                if g.verdict == .correct { correct[key, default: 0] += 1 }
                if (g.verdict == .correct) != entry["is_correct"]!.bool! { disagreements.append("\(i)/\(key)") }
            }
        }
        #expect(total == 5276)
        #expect(disagreements == [])
        #expect(correct == ["6b_finetuning": 286, "6b_verification": 515, "175b_finetuning": 458, "175b_verification": 742])
    }
}
