import Foundation

/// A small SVG canvas with one plotting area: scales, axes with round ticks, and the shapes the plots use.
struct SVGPlot {
    let width: Double, height: Double
    let left = 64.0, right = 24.0, top = 28.0, bottom = 48.0
    var x: Axis, y: Axis
    private(set) var body = ""

    /// A linear or logarithmic axis over [lo, hi].
    struct Axis {
        var lo: Double, hi: Double
        var log = false
        var label: String
        var hideTicks = false

        func unit(_ v: Double) -> Double {
            if log { return (Foundation.log10(max(v, 1e-300)) - Foundation.log10(lo)) / (Foundation.log10(hi) - Foundation.log10(lo)) }
            return hi == lo ? 0.5 : (v - lo) / (hi - lo)
        }

        /// Round tick values: powers of ten on a log axis, 1–2–5 steps on a linear one.
        func ticks() -> [Double] {
            if log {
                let a = Int(Foundation.log10(lo).rounded(.up)), b = Int(Foundation.log10(hi).rounded(.down))
                let step = max(1, (b - a) / 6)
                return stride(from: a, through: b, by: step).map { pow(10, Double($0)) }
            }
            let span = hi - lo
            guard span > 0 else { return [lo] }
            let raw = span / 5, mag = pow(10, (Foundation.log10(raw)).rounded(.down))
            let step = [1.0, 2, 5, 10].map { $0 * mag }.first { $0 >= raw } ?? raw
            return stride(from: (lo / step).rounded(.up) * step, through: hi + step * 1e-9, by: step).map { $0 }
        }

        func format(_ v: Double) -> String {
            if log { return v >= 0.01 && v < 10_000 ? String(format: "%g", v) : String(format: "1e%d", Int(Foundation.log10(v).rounded())) }
            let span = hi - lo
            if span == 0 { return String(format: "%g", v) }
            let digits = max(0, min(8, Int((-Foundation.log10(span / 5)).rounded(.up))))
            return String(format: "%.\(digits)f", v)
        }
    }

    init(width: Double = 640, height: Double = 380, x: Axis, y: Axis) {
        (self.width, self.height, self.x, self.y) = (width, height, x, y)
    }

    func px(_ v: Double) -> Double { left + x.unit(v) * (width - left - right) }
    func py(_ v: Double) -> Double { height - bottom - y.unit(v) * (height - top - bottom) }

    mutating func add(_ s: String) { body += s + "\n" }

    mutating func circle(_ vx: Double, _ vy: Double, r: Double = 4, fill: String, title: String) {
        add(##"<circle cx="\##(f(px(vx)))" cy="\##(f(py(vy)))" r="\##(r)" fill="\##(fill)" stroke="#222" stroke-width="0.6"><title>\##(escape(title))</title></circle>"##)
    }

    mutating func polyline(_ points: [(Double, Double)], stroke: String, width w: Double = 1.6, dash: String? = nil) {
        guard !points.isEmpty else { return }
        let d = points.map { "\(f(px($0.0))),\(f(py($0.1)))" }.joined(separator: " ")
        add(##"<polyline points="\##(d)" fill="none" stroke="\##(stroke)" stroke-width="\##(w)"\##(dash.map { " stroke-dasharray=\"\($0)\"" } ?? "")/>"##)
    }

    mutating func band(lower: [(Double, Double)], upper: [(Double, Double)], fill: String) {
        guard !lower.isEmpty else { return }
        let d = (upper + lower.reversed()).map { "\(f(px($0.0))),\(f(py($0.1)))" }.joined(separator: " ")
        add(##"<polygon points="\##(d)" fill="\##(fill)" stroke="none"/>"##)
    }

    /// Text beside a point; a label that would run past the right edge is set to the point's left instead.
    mutating func label(_ vx: Double, _ vy: Double, _ text: String, dx: Double = 6, dy: Double = -6, size: Double = 11, anchor: String = "start") {
        var (dx, anchor) = (dx, anchor)
        if anchor == "start", px(vx) + dx + Double(text.count) * size * 0.55 > width - 4 { (dx, anchor) = (-abs(dx), "end") }
        add(##"<text x="\##(f(px(vx) + dx))" y="\##(f(py(vy) + dy))" font-size="\##(size)" text-anchor="\##(anchor)">\##(escape(text))</text>"##)
    }

    mutating func rect(x0: Double, y0: Double, w: Double, h: Double, fill: String, title: String) {
        add(##"<rect x="\##(f(x0))" y="\##(f(y0))" width="\##(f(w))" height="\##(f(h))" fill="\##(fill)"><title>\##(escape(title))</title></rect>"##)
    }

    /// The finished SVG: frame, grid, ticks and axis labels under the body.
    func svg(id: String, title: String) -> String {
        var s = ##"<svg id="\##(id)" xmlns="http://www.w3.org/2000/svg" width="\##(Int(width))" height="\##(Int(height))" viewBox="0 0 \##(Int(width)) \##(Int(height))" role="img" aria-label="\##(escape(title))">"##
        s += "\n<title>\(escape(title))</title>\n"
        s += ##"<rect x="0" y="0" width="\##(Int(width))" height="\##(Int(height))" fill="#fff"/>"## + "\n"
        for t in x.hideTicks ? [] : x.ticks() {
            s += ##"<line x1="\##(f(px(t)))" y1="\##(f(top))" x2="\##(f(px(t)))" y2="\##(f(height - bottom))" stroke="#e4e4e4"/>"##
            s += ##"<text x="\##(f(px(t)))" y="\##(f(height - bottom + 16))" font-size="10" text-anchor="middle">\##(x.format(t))</text>"## + "\n"
        }
        for t in y.hideTicks ? [] : y.ticks() {
            s += ##"<line x1="\##(f(left))" y1="\##(f(py(t)))" x2="\##(f(width - right))" y2="\##(f(py(t)))" stroke="#e4e4e4"/>"##
            s += ##"<text x="\##(f(left - 6))" y="\##(f(py(t) + 3))" font-size="10" text-anchor="end">\##(y.format(t))</text>"## + "\n"
        }
        s += ##"<rect x="\##(f(left))" y="\##(f(top))" width="\##(f(width - left - right))" height="\##(f(height - top - bottom))" fill="none" stroke="#888"/>"## + "\n"
        s += ##"<text x="\##(f((left + width - right) / 2))" y="\##(f(height - 10))" font-size="12" text-anchor="middle">\##(escape(x.label))</text>"## + "\n"
        s += ##"<text transform="translate(16 \##(f((top + height - bottom) / 2))) rotate(-90)" font-size="12" text-anchor="middle">\##(escape(y.label))</text>"## + "\n"
        s += body
        return s + "</svg>"
    }
}

func f(_ v: Double) -> String { String(format: "%.2f", v) }

/// Text safe inside HTML and SVG elements and attributes.
func escape(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
}
