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
        // Matrices (version 2): order, shape and every entry count.
        ("\\begin{pmatrix}1\\\\2\\end{pmatrix}", "\\begin{pmatrix}2\\\\1\\end{pmatrix}"),
        ("\\begin{pmatrix}1&2\\end{pmatrix}", "\\begin{pmatrix}1\\\\2\\end{pmatrix}"),
        ("\\begin{pmatrix}1&0\\\\0&1\\end{pmatrix}", "\\begin{pmatrix}1&0\\\\0&-1\\end{pmatrix}"),
        ("\\begin{bmatrix}1/2\\\\3\\end{bmatrix}", "\\begin{pmatrix}0.5\\\\4\\end{pmatrix}"),
        ("\\begin{pmatrix}1\\\\2\\\\3\\end{pmatrix}", "\\begin{pmatrix}1\\\\2\\end{pmatrix}"),
        ("\\begin{pmatrix}\\sqrt{2}\\end{pmatrix}", "\\begin{pmatrix}2\\end{pmatrix}"),
        ("\\frac{1}{2}", "2"), ("0.1", "0.01"), ("(1,2]", "(1,2)"), ("\\{1,2\\}", "(1,2)"), ("5\\%", "0.5"),
        ("\\sqrt{2}+\\sqrt{3}", "\\sqrt{5}"), ("3\\pi", "\\pi^3"), ("2^{10}", "1000"), ("1/3", "0.3333"), ("\\frac{22}{7}", "\\pi"),
        ("1e3", "100"), ("10^{2}", "20"), ("\\text{Monday}", "\\text{Tuesday}"), ("(0,\\infty)", "[0,\\infty)"), ("4\\times5", "45"),
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
        // Matrices (version 2): brackets are presentation; entries compare as exact values.
        ("\\begin{bmatrix}1\\\\2\\end{bmatrix}", "\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}"),
        ("\\begin{pmatrix}\\frac{1}{2}&0\\\\0&1\\end{pmatrix}", "\\begin{pmatrix}0.5&0\\\\0&1\\end{pmatrix}"),
        ("\\begin{pmatrix}-1/3\\\\2/3\\end{pmatrix}", "\\begin{pmatrix}-\\frac{1}{3}\\\\\\frac{2}{3}\\end{pmatrix}"),
        ("\\begin{matrix}\\sqrt{8}\\end{matrix}", "\\begin{pmatrix}2\\sqrt{2}\\end{pmatrix}"),
        ("\\begin{pmatrix} 1 \\\\ 2 \\\\ \\end{pmatrix}", "\\begin{pmatrix}1\\\\2\\end{pmatrix}"),
        ("\\begin{Bmatrix}-1 & 0 \\\\ 0 & -1\\end{Bmatrix}", "\\begin{pmatrix} -1 & 0 \\\\ 0 & -1 \\end{pmatrix}"),
        ("\\frac{10}{4}", "2.5"), ("0.125", "\\frac18"), ("+7", "7"), ("\\left[1,2\\right]", "[1,2]"), ("100\\%", "100"),
        ("45^\\circ", "45"), ("x=\\frac{1}{2}", "0.5"), ("\\frac{\\sqrt{12}}{2}", "\\sqrt{3}"), ("\\sqrt{18}", "3\\sqrt{2}"),
        ("2\\cdot3", "6"), ("4\\times 5", "20"), ("\\frac{2}{3}\\pi", "\\frac{2\\pi}{3}"), ("(1,2)", "(1, 2)"), ("\\{-1, 1\\}", "\\pm1"),
        ("0.5\\sqrt{2}", "\\frac{\\sqrt2}{2}"), ("2.50", "2.5"), ("-0", "0"), ("12\\text{ dollars}", "12"),
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
        for (answer, gold) in [("x+1", "1+x"), ("\\frac{1}{1+\\sqrt{2}}", "\\sqrt{2}-1"), ("\\sqrt[3]{2}", "2^{1/3}"), ("e^2", "7.389"),
                               // A column vector may be meant as a tuple; a determinant is not a matrix; an entry with a variable.
                               ("\\begin{pmatrix}1\\\\2\\end{pmatrix}", "(1,2)"), ("\\begin{vmatrix}1&2\\\\3&4\\end{vmatrix}", "-2"),
                               ("\\begin{pmatrix}a+1\\\\1\\end{pmatrix}", "\\begin{pmatrix}1+a\\\\1\\end{pmatrix}")] {
            let g = grader.grade(response: "\\boxed{\(answer)}", gold: gold)
            #expect(g.verdict == .ungradable, "\(answer) vs \(gold)")
            #expect(g.reason?.contains("without a CAS") == true)
        }
    }

    @Test("the case table holds at least 150 cases, 40 or more of them must-not-match")
    func tableSize() {
        #expect(Self.mustNotMatch.count >= 40)
        #expect(Self.mustNotMatch.count + Self.mustMatch.count + 7 >= 150, "\(Self.mustNotMatch.count) + \(Self.mustMatch.count) + 7")
    }

    @Test("version 1 compares matrices only as normalised text, and keeps doing so; version 2 reads their entries")
    func versions() {
        let v1 = BoxedLatex(version: .v1), v2 = BoxedLatex(version: .v2)
        let gold = "\\begin{pmatrix} -1 & 0 \\\\ 0 & -1 \\end{pmatrix}"
        let same = "\\boxed{\\begin{pmatrix} -1 & 0 \\\\ 0 & -1 \\end{pmatrix}}"
        // Version 1's presentation rewrite drops the `\ ` of `\\ 0`, so a matrix spaced otherwise is not even identical text.
        let respaced = "\\boxed{\\begin{pmatrix}-1&0\\\\0&-1\\end{pmatrix}}"
        let square = "\\boxed{\\begin{bmatrix}-1&0\\\\0&-1\\end{bmatrix}}"
        let wrong = "\\boxed{\\begin{bmatrix}-1&0\\\\0&1\\end{bmatrix}}"
        #expect(v1.grade(response: same, gold: gold).verdict == .correct)
        #expect(v1.grade(response: respaced, gold: gold).verdict == .ungradable)
        #expect(v2.grade(response: respaced, gold: gold).verdict == .correct)
        #expect(v1.grade(response: square, gold: gold).verdict == .ungradable)
        #expect(v1.grade(response: wrong, gold: gold).verdict == .ungradable)
        #expect(v2.grade(response: square, gold: gold).verdict == .correct)
        #expect(v2.grade(response: wrong, gold: gold).verdict == .incorrect)
        #expect(v2.grade(response: square, gold: gold).canonical == "matrix[-1&0;0&-1]")
        // Two versions, two identities: the configuration hash tells them apart as well as the version.
        #expect(v1.identity != v2.identity && v1.identity.configHash != v2.identity.configHash)
        #expect(GraderCatalog.versions(of: "boxed-latex") == ["1", "2"])
        #expect(GraderCatalog.grader(named: "boxed-latex")?.version == "2")
        #expect(GraderCatalog.grader(named: "boxed-latex", version: "1")?.identity == v1.identity)
        #expect(throws: GraderLookupError.unknownVersion("boxed-latex", "3", known: ["1", "2"])) { try GraderCatalog.grader(spec: "boxed-latex@3") }
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

    @Test("MATH-500: every gold answer matches its own solution's box (500/500), in both versions")
    func math500() throws {
        for version in BoxedLatex.Version.allCases {
            let (total, failures) = try goldAgainstSolutions("math500/test.jsonl", solution: "solution", answer: "answer", using: BoxedLatex(version: version))
            #expect(total == 500)
            #expect(failures.isEmpty, "version \(version.rawValue): \(failures.prefix(10))")
        }
    }

    @Test("AIME 2024: every gold answer matches its own solution (30/30), wrappers and leading zeros included")
    func aime() throws {
        let (total, failures) = try goldAgainstSolutions("aime2024/test.jsonl", solution: "solution", answer: "answer", using: grader)
        #expect(total == 30)
        #expect(failures.isEmpty, "\(failures)")
    }
}
