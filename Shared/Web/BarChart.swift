import Foundation

/// A bar chart drawn on the server as SVG, so the centre's statistics are seen without JavaScript
/// and printed as shown: one group of bars per label, one bar per series, each bar's value written
/// above it, a legend below. The numbers are also given in a table beside every chart.
public struct BarChart: Sendable {
    public struct Series: Sendable {
        public var name: String
        public var values: [Double]
        /// A fill colour of the hall's palette (`#RRGGBB`).
        public var colour: String

        public init(name: String, values: [Double], colour: String) {
            self.name = name
            self.values = values
            self.colour = colour
        }
    }

    public var title: String
    public var labels: [String]
    public var series: [Series]

    public init(title: String, labels: [String], series: [Series]) {
        self.title = title
        self.labels = labels
        self.series = series
    }

    /// The hall's series colours, in order.
    public static let palette = ["#1f5fa8", "#2e8540", "#b3261e", "#8a6d00"]

    /// The SVG: `role="img"` with the title as its accessible name; every text XML-escaped.
    public var svg: String {
        let height = 220.0, top = 20.0, bottom = 40.0, left = 8.0
        let bars = Double(max(series.count, 1))
        let groupWidth = max(36.0, bars * 18.0 + 14.0)
        let width = left * 2 + groupWidth * Double(max(labels.count, 1))
        let largest = max(series.flatMap(\.values).max() ?? 0, 1)
        let plot = height - top - bottom
        var parts: [String] = []
        for (group, label) in labels.enumerated() {
            let x0 = left + Double(group) * groupWidth + 7
            for (index, one) in series.enumerated() {
                let value = group < one.values.count ? one.values[group] : 0
                let barHeight = plot * value / largest
                let x = x0 + Double(index) * 18, y = top + plot - barHeight
                parts.append(
                    "<rect x=\"\(Self.number(x))\" y=\"\(Self.number(y))\" width=\"16\" height=\"\(Self.number(barHeight))\" fill=\"\(Self.colour(one.colour))\">"
                        + "<title>\(Self.escaped("\(label) · \(one.name)：\(Self.count(value))"))</title></rect>")
                // A bar of nothing has no number over it: a year of empty months stays readable.
                if value != 0 {
                    parts.append(
                        "<text x=\"\(Self.number(x + 8))\" y=\"\(Self.number(y - 4))\" font-size=\"9\" text-anchor=\"middle\">\(Self.escaped(Self.count(value)))</text>")
                }
            }
            parts.append(
                "<text x=\"\(Self.number(x0 + (groupWidth - 14) / 2))\" y=\"\(Self.number(height - bottom + 14))\" font-size=\"10\" text-anchor=\"middle\">"
                    + "\(Self.escaped(label))</text>")
        }
        parts.append("<line x1=\"\(left)\" y1=\"\(top + plot)\" x2=\"\(Self.number(width - left))\" y2=\"\(top + plot)\" stroke=\"#555\"/>")
        var legendX = left
        for one in series {
            parts.append("<rect x=\"\(Self.number(legendX))\" y=\"\(height - 16)\" width=\"10\" height=\"10\" fill=\"\(Self.colour(one.colour))\"/>")
            parts.append("<text x=\"\(Self.number(legendX + 14))\" y=\"\(height - 7)\" font-size=\"10\">\(Self.escaped(one.name))</text>")
            legendX += 24 + Double(one.name.count) * 11
        }
        // Drawn at its own size (a phone scrolls a wide chart sideways rather than shrinking its text).
        let drawnWidth = Self.number(max(width, legendX))
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 \(drawnWidth) \(height)\" width=\"\(drawnWidth)\" role=\"img\">"
            + "<title>\(Self.escaped(title))</title>" + parts.joined() + "</svg>"
    }

    static func number(_ value: Double) -> String { String(format: "%.1f", value) }

    /// A value as written above its bar: a whole count.
    static func count(_ value: Double) -> String { String(Int(value.rounded())) }

    /// Only a colour of the form `#RRGGBB` is written; anything else is drawn grey.
    static func colour(_ text: String) -> String {
        text.count == 7 && text.first == "#" && text.dropFirst().allSatisfy(\.isHexDigit) ? text : "#888888"
    }

    static func escaped(_ text: String) -> String { QRCode.xmlEscaped(text) }
}
