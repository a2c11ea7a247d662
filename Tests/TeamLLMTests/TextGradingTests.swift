import Foundation
import Testing
@testable import TeamLLM

@Suite("teamllm grade: grading any text")
struct TextGradingTests {
    @Test("a malformed line is named by its line number and the others are still graded, with one canonical key for equal answers")
    func lines() throws {
        let input = """
        {"id": 1, "response": "so \\\\boxed{\\\\frac{1}{2}}", "gold": "0.5"}
        {"id": "two", "response": "so \\\\boxed{0.5}"}
        {not json
        {"id": 4, "response": "The final answer is $1/2$.", "gold": "\\\\frac12"}

        {"id": 6, "response": "\\\\boxed{0.4}", "gold": 0.5}
        """
        let (outputs, problems) = TextGrading.grade(lines: Data(input.utf8), file: "in.jsonl", grader: BoxedLatex())
        #expect(problems == ["in.jsonl:2: field 'gold' is missing or not a string or number", "in.jsonl:3: not a JSON object"])
        let rows = try outputs.map { try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        #expect(rows.map { $0["id"] as? String } == ["1", "4", "6"])
        #expect(rows.map { $0["verdict"] as? String } == ["correct", "correct", "incorrect"])
        #expect(rows[0]["canonical"] as? String == "1/2" && rows[1]["canonical"] as? String == "1/2")
        #expect(rows[0]["span"] as? [Int] == [10, 21])
    }

    @Test("multiple choice takes the gold as a letter or an index and needs the choices")
    func multipleChoice() {
        let input = """
        {"id": 1, "response": "The answer is (B).", "gold": "B", "choices": ["x", "y", "z"]}
        {"id": 2, "response": "The answer is (B).", "gold": 1, "choices": ["x", "y", "z"]}
        {"id": 3, "response": "The answer is (B).", "gold": "D", "choices": ["x", "y", "z"]}
        {"id": 4, "response": "The answer is (B).", "gold": "B"}
        """
        let (outputs, problems) = TextGrading.grade(lines: Data(input.utf8), file: "mc.jsonl", grader: MultipleChoice())
        #expect(outputs.count == 2 && outputs.allSatisfy { $0.contains("\"verdict\":\"correct\"") && $0.contains("\"canonical\":\"1\"") })
        #expect(problems.count == 2 && problems[0].hasPrefix("mc.jsonl:3:") && problems[1].hasPrefix("mc.jsonl:4:"))
    }

    @Test("an unknown grader or version is refused with what this build has")
    func refusals() {
        #expect(throws: TextGradingError.self) { try TextGrading.grader("sympy") }
        #expect(throws: TextGradingError.self) { try TextGrading.grader("boxed-latex@9") }
        #expect((try? TextGrading.grader("boxed-latex@1"))?.identity.description == "boxed-latex@1")
        #expect((try? TextGrading.grader("boxed-latex"))?.identity.description == "boxed-latex@2") // the newest
    }
}
