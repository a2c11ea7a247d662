import Foundation
import Testing
@testable import TeamLLM

@Suite("boxed-latex grader: extraction and equivalence")
struct BoxedLatexTests {
    let grader = BoxedLatex()

    func verdict(_ answer: String, _ gold: String) -> Verdict { grader.grade(response: "So $\\boxed{\(answer)}$.", gold: gold).verdict }

    // Written first: answers that must not be judged equal to the gold.
    static let mustNotMatch: [(String, String)] = [
        ("3", "5"), ("-3", "3"), ("0.5", "\\frac{1}{3}"), ("\\frac{1}{2}", "\\frac{2}{1}"), ("12", "1,2"),
        ("(1,2)", "(2,1)"), ("[0,1]", "(0,1)"), ("[0,1)", "[0,1]"), ("(1,2,3)", "(1,2)"), ("\\{1,2\\}", "\\{1,2,3\\}"),
        ("2\\frac{1}{3}", "\\frac{2}{3}"), ("0.333", "\\frac{1}{3}"), ("1000", "100"), ("32,349", "32349.5"), ("10\\%", "11"),
        ("3\\times10^{5}", "30000"), ("1.5e3", "150"), ("\\text{Evelyn}", "\\text{Devon}"), ("\\text{yes}", "5"), ("x=4", "3"),
        ("\\pm 3", "3"), ("2\\pm1", "\\{1,2\\}"), ("(-\\infty,3]", "(-\\infty,3)"), ("-\\infty", "\\infty"), ("5^\\circ", "50"),
        ("1,2", "1,2,3"), ("\\frac{3}{4}", "0.7"), ("0", "0.0001"), ("7/2", "2/7"), ("-\\frac{1}{2}", "\\frac{1}{2}"),
        ("\\dfrac{1}{2}", "\\frac{1}{4}"), ("(1,-2)", "(1,2)"), ("100", "10^{3}"), ("\\$18", "17"), ("2", "\\text{two hundred}"),
        ("\\left(3,4\\right)", "(4,3)"), ("\\{3\\}", "3,3"), ("A", "B"), ("-0.5", "0.5"), ("2/4", "1/4"),
        ("\\sqrt{2}", "\\sqrt{3}"), ("2\\sqrt{3}", "\\sqrt{6}"), ("\\pi", "3.14"), ("\\frac{\\pi}{2}", "\\frac{\\pi}{3}"),
        ("\\sqrt{8}", "3"), ("1+\\sqrt{2}", "1-\\sqrt{2}"), ("2\\pi", "6.28"), ("\\sqrt{12}", "3\\sqrt{2}"), ("\\pi^2", "2\\pi"),
        ("\\frac{\\sqrt{2}}{2}", "\\sqrt{2}"),
    ]

    @Test("must-not-match cases are incorrect, never correct")
    func mustNotMatchCases() {
        #expect(Self.mustNotMatch.count >= 40)
        for (answer, gold) in Self.mustNotMatch {
            let v = verdict(answer, gold)
            #expect(v == .incorrect, "\(answer) vs \(gold): \(v)")
        }
    }

    static let mustMatch: [(String, String)] = [
        ("5", "5"), ("05", "5"), ("5.0", "5"), ("-3", "-3"), ("\\frac{1}{2}", "0.5"), ("\\dfrac{1}{2}", "\\frac12"),
        ("\\tfrac{3}{6}", "1/2"), ("2\\frac{1}{3}", "\\frac{7}{3}"), ("32,\\!349", "32349"), ("1,000,000", "1000000"),
        ("50\\%", "50"), ("30^\\circ", "30"), ("30^{\\circ}", "30"), ("\\text{Evelyn}", "Evelyn"), ("\\textbf{Devon}", "\\text{devon}"),
        ("5\\text{ cm}", "5"), ("12 \\mbox{ inches}", "12"), ("x = 3", "3"), ("\\left( 3, \\frac{\\pi}{2} \\right)", "\\left( 3, \\frac{\\pi}{2} \\right)"),
        ("(3,4)", "\\left(3, 4\\right)"), ("[0,\\tfrac12)", "[0,0.5)"), ("\\{2,1\\}", "\\{1,2\\}"), ("1,-2", "-2,1"), ("\\pm 2", "2,-2"),
        ("1\\pm\\sqrt{4}", "1\\pm\\sqrt{4}"), ("3\\pm1", "4,2"), ("3\\times10^{5}", "300000"), ("1.5e3", "1500"), ("10^{-2}", "0.01"),
        ("0.25", "\\frac{1}{4}"), ("\\$18", "18"), ("18.", "18"), ("-\\frac{1}{2}", "-0.5"), ("\\frac{-1}{2}", "-\\frac12"),
        ("(-\\infty, 3]", "(-\\infty,3]"), ("\\sqrt3", "\\sqrt{3}"), ("\\text{(A)}", "(A)"), ("(5)", "5"), ("\\displaystyle\\frac{2}{4}", "\\frac{1}{2}"),
        ("\\frac{6}{4}", "1\\frac{1}{2}"),
        ("3\\sqrt{13}", "\\sqrt{117}"), ("\\frac{\\sqrt{3}}{3}", "\\frac{1}{\\sqrt{3}}"), ("\\sqrt{8}", "2\\sqrt2"), ("\\sqrt{\\frac{1}{2}}", "\\frac{\\sqrt{2}}{2}"),
        ("2\\pi", "\\pi\\cdot2"), ("\\frac{\\pi}{2}", "0.5\\pi"), ("\\sqrt{4}", "2"), ("1+\\sqrt{2}", "\\sqrt{2}+1"), ("(\\sqrt{2})^2", "2"),
        ("\\sqrt{2}\\sqrt{6}", "2\\sqrt{3}"), ("\\frac{4\\pi}{3}", "\\frac{4}{3}\\pi"), ("6-2\\sqrt{5}", "-2\\sqrt{5}+6"), ("\\sqrt{2}/2", "\\frac{1}{\\sqrt{2}}"),
        ("(2\\sqrt{2}, \\pi)", "(\\sqrt{8}, \\pi)"),
    ]

    @Test("equivalent forms are correct")
    func mustMatchCases() {
        for (answer, gold) in Self.mustMatch {
            let v = verdict(answer, gold)
            #expect(v == .correct, "\(answer) vs \(gold): \(v)")
        }
    }

    @Test("what it cannot decide is ungradable with both forms in the reason, never right or wrong")
    func undecidable() {
        for (answer, gold) in [("x+1", "1+x"), ("\\frac{1}{1+\\sqrt{2}}", "\\sqrt{2}-1"), ("\\sqrt[3]{2}", "2^{1/3}"), ("e^2", "7.389")] {
            let g = grader.grade(response: "\\boxed{\(answer)}", gold: gold)
            #expect(g.verdict == .ungradable, "\(answer) vs \(gold)")
            #expect(g.reason?.contains("without a CAS") == true)
        }
    }

    @Test("extraction: the last balanced box, \\fbox, \\boxed 5, then the documented fallbacks, with its span")
    func extraction() throws {
        let nested = "First \\boxed{1}, then \\boxed{\\frac{1}{\\sqrt{2}}} is it."
        let e = try #require(BoxedLatex.extract(nested))
        #expect(e.text == "\\frac{1}{\\sqrt{2}}" && e.rule == "boxed")
        #expect(String(String.UnicodeScalarView(Array(nested.unicodeScalars)[e.span])) == e.text)
        #expect(BoxedLatex.extract("so \\fbox{7} done")?.text == "7")
        #expect(BoxedLatex.extract("so $\\boxed 5$ done")?.text == "5")
        #expect(BoxedLatex.extract("The final answer is $\\frac{3}{4}$. Done")?.text == "\\frac{3}{4}")
        #expect(BoxedLatex.extract("The final answer is $\\frac{3}{4}$. Done")?.rule == "final_answer")
        #expect(BoxedLatex.extract("Thus\n\\[ x = 12 \\]\nend")?.text == " x = 12 ")
        #expect(BoxedLatex.extract("Thus\n$$ 9 $$\nend")?.rule == "display_math")
        // An unbalanced box is no answer, not a guess; reasoning before </think> is ignored.
        #expect(BoxedLatex.extract("\\boxed{\\frac{1}{2}") == nil)
        #expect(BoxedLatex.extract("<think>\\boxed{3}</think> I am not sure.") == nil)
        #expect(grader.grade(response: "<think>\\boxed{3}</think> so \\boxed{4}", gold: "4").verdict == .correct)
        let none = grader.grade(response: "I do not know.", gold: "4")
        #expect(none.verdict == .ungradable && none.extracted == nil)
        // A multi-byte character before the answer: the span counts Unicode scalars.
        let g = grader.grade(response: "é → \\boxed{42}", gold: "42")
        #expect(g.span == 11..<13)
    }

    /// Every gold answer equals the boxed content of its own solution.
    func goldAgainstSolutions(_ file: String, solution: String, answer: String, using grader: any Grader) throws -> (Int, [String]) {
        let url = Fixtures.dataDir.appendingPathComponent(file)
        var total = 0, failures: [String] = []
        for line in try String(contentsOf: url, encoding: .utf8).split(separator: "\n") {
            let row = try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let sol = try #require(row[solution] as? String)
            let gold = try #require(row[answer].map { "\($0)" })
            total += 1
            let g = grader.grade(response: sol, gold: gold)
            if g.verdict != .correct { failures.append("\(gold) vs \(g.extracted ?? "nothing"): \(g.verdict) \(g.reason ?? "")") }
        }
        return (total, failures)
    }

    @Test("MATH-500: every gold answer matches its own solution's box (500/500)")
    func math500() throws {
        let (total, failures) = try goldAgainstSolutions("math500/test.jsonl", solution: "solution", answer: "answer", using: grader)
        #expect(total == 500)
        #expect(failures.isEmpty, "\(failures.prefix(10))")
    }

    @Test("AIME 2024: every gold answer matches its own solution (30/30), wrappers and leading zeros included")
    func aime() throws {
        let (total, failures) = try goldAgainstSolutions("aime2024/test.jsonl", solution: "solution", answer: "answer", using: grader)
        #expect(total == 30)
        #expect(failures.isEmpty, "\(failures)")
    }
}
