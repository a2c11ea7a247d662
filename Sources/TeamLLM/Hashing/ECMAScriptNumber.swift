/// Numbers as RFC 8785 (JSON Canonicalization Scheme) writes them: ECMAScript's `Number.prototype.toString`
/// of the shortest decimal that round-trips to the same double.
///
/// Swift's own `description` finds those shortest digits; only the layout differs (Swift writes `1e-05`,
/// `1e+16` and `100.0` where ECMAScript writes `0.00001`, `10000000000000000` and `100`).
enum ECMAScriptNumber {
    static func format(_ v: Double) -> String {
        if v == 0 { return "0" } // -0 too
        let (negative, digits, n) = decompose(v)
        let k = digits.count
        var out = negative ? "-" : ""
        if k <= n && n <= 21 {
            out += digits + String(repeating: "0", count: n - k)
        } else if 0 < n && n <= 21 {
            out += digits.prefix(n) + "." + digits.dropFirst(n)
        } else if -6 < n && n <= 0 {
            out += "0." + String(repeating: "0", count: -n) + digits
        } else {
            let e = n - 1
            out += digits.prefix(1) + (k > 1 ? "." + digits.dropFirst() : "") + "e" + (e < 0 ? "-" : "+") + String(abs(e))
        }
        return out
    }

    /// Sign, significant digits (no leading or trailing zeros) and the exponent n with v = 0.digits × 10^n.
    private static func decompose(_ v: Double) -> (Bool, String, Int) {
        var text = "\(v.magnitude)" // shortest round-trip digits: "123.45", "1e-05", "1.5e+20"
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(text[text.index(after: e)...])!
            text = String(text[..<e])
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        let whole = String(parts[0]), fraction = parts.count > 1 ? String(parts[1]) : ""
        var digits = whole + fraction
        var n = whole.count + exponent
        while digits.first == "0" { digits.removeFirst(); n -= 1 }
        while digits.last == "0" { digits.removeLast() }
        return (v < 0, digits, n)
    }
}
