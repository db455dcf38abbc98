import Foundation
import StrataUtilities

/// The gate's layer weights α averaged over groups of examples — per true class and per correct /
/// incorrect prediction (the paper's layer-attention figure) — with an SVG rendering.
public struct LayerWeightSummary: Codable, Sendable, Equatable {
    /// One averaged curve.
    public struct Group: Codable, Sendable, Equatable {
        public var name: String
        public var count: Int
        /// Mean α per layer (length = layers).
        public var meanWeights: [Double]
    }

    /// Model hidden-state index of each plotted layer (0 = embeddings).
    public var layerIndices: [Int]
    public var groups: [Group]

    /// Averages `output.layerWeights` per true class (named by `labelNames`) and per correctness.
    public init(output: EvaluationOutput, threshold: Float?, layerIndices: [Int], labelNames: [String]?) throws {
        guard let w = output.layerWeights else {
            throw ProbeError.invalid(.probeKind, value: "non-gate probe", "layer weights exist only for the gate probe")
        }
        let L = output.layers, C = output.classes
        let predicted = Metrics.predictions(probabilities: output.probabilities, classes: C, threshold: threshold)
        func mean(_ members: [Int]) -> [Double] {
            var m = [Double](repeating: 0, count: L)
            for i in members { for l in 0..<L { m[l] += Double(w[i * L + l]) } }
            return members.isEmpty ? m : m.map { $0 / Double(members.count) }
        }
        let labelled = output.labels.indices.filter { output.labels[$0] >= 0 }
        var groups: [Group] = [Group(name: "all", count: output.labels.count, meanWeights: mean(Array(output.labels.indices)))]
        for c in 0..<C {
            let members = labelled.filter { output.labels[$0] == c }
            let name = labelNames.flatMap { c < $0.count ? $0[c] : nil } ?? "class \(c)"
            groups.append(Group(name: "true: \(name)", count: members.count, meanWeights: mean(members)))
        }
        let correct = labelled.filter { predicted[$0] == output.labels[$0] }
        let wrong = labelled.filter { predicted[$0] != output.labels[$0] }
        groups.append(Group(name: "correct", count: correct.count, meanWeights: mean(correct)))
        groups.append(Group(name: "incorrect", count: wrong.count, meanWeights: mean(wrong)))
        self.layerIndices = layerIndices
        self.groups = groups
    }

    /// A self-contained SVG line chart: x = layer, y = mean gate weight, one line per group.
    public func svg(title: String) -> String {
        let width = 760.0, height = 420.0, left = 70.0, right = 190.0, top = 50.0, bottom = 60.0
        let plotW = width - left - right, plotH = height - top - bottom
        let L = layerIndices.count
        let maxY = max(1e-9, groups.flatMap(\.meanWeights).max() ?? 1) * 1.1
        func x(_ l: Int) -> Double { left + (L > 1 ? Double(l) / Double(L - 1) : 0.5) * plotW }
        func y(_ v: Double) -> Double { top + plotH - v / maxY * plotH }
        let colours = ["#444444", "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22"]
        func esc(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(
                of: ">", with: "&gt;")
        }
        var s = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(left)" y="28" font-size="15" font-weight="bold">\(esc(title))</text>

            """
        // axes, grid and ticks
        s += "<line x1=\"\(left)\" y1=\"\(top + plotH)\" x2=\"\(left + plotW)\" y2=\"\(top + plotH)\" stroke=\"black\"/>\n"
        s += "<line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(top + plotH)\" stroke=\"black\"/>\n"
        for k in 0...4 {
            let v = maxY * Double(k) / 4
            s += "<line x1=\"\(left)\" y1=\"\(y(v))\" x2=\"\(left + plotW)\" y2=\"\(y(v))\" stroke=\"#dddddd\"/>"
            s += "<text x=\"\(left - 8)\" y=\"\(y(v) + 4)\" text-anchor=\"end\">\(String(format: "%.3f", v))</text>\n"
        }
        let tickStep = max(1, L / 10)
        for l in stride(from: 0, to: L, by: tickStep) {
            s += "<text x=\"\(x(l))\" y=\"\(top + plotH + 18)\" text-anchor=\"middle\">\(layerIndices[l])</text>\n"
        }
        s +=
            "<text x=\"\(left + plotW / 2)\" y=\"\(height - 18)\" text-anchor=\"middle\">layer (hidden-state index; 0 = embeddings)</text>\n"
        s +=
            "<text x=\"18\" y=\"\(top + plotH / 2)\" text-anchor=\"middle\" transform=\"rotate(-90 18 \(top + plotH / 2))\">mean gate weight α</text>\n"
        if L > 0 {
            let uniform = 1 / Double(L)
            s +=
                "<line x1=\"\(left)\" y1=\"\(y(uniform))\" x2=\"\(left + plotW)\" y2=\"\(y(uniform))\" stroke=\"#999999\" stroke-dasharray=\"4 4\"/>\n"
        }
        for (g, group) in groups.enumerated() where group.count > 0 {
            let colour = colours[g % colours.count]
            let points = group.meanWeights.enumerated().map { "\(x($0.offset)),\(y($0.element))" }.joined(separator: " ")
            let dash = group.name == "incorrect" ? " stroke-dasharray=\"6 3\"" : ""
            s += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\"\(dash) points=\"\(points)\"/>\n"
            let ly = top + 10 + Double(g) * 20
            s +=
                "<line x1=\"\(left + plotW + 15)\" y1=\"\(ly)\" x2=\"\(left + plotW + 40)\" y2=\"\(ly)\" stroke=\"\(colour)\" stroke-width=\"2\"\(dash)/>"
            s += "<text x=\"\(left + plotW + 46)\" y=\"\(ly + 4)\">\(esc(group.name)) (n=\(group.count))</text>\n"
        }
        s +=
            "<text x=\"\(left + plotW + 15)\" y=\"\(top + 10 + Double(groups.count) * 20 + 4)\" fill=\"#777777\">dashed grey: uniform 1/L</text>\n"
        s += "</svg>\n"
        return s
    }
}
