/// The QR codes of the pages, kept once a code is asked for again: a document's verification
/// address never changes, and a code is still the dearest part of a case-status page (7 %).
public enum DrawnCodes {
    /// Codes kept a day, 4,096 at most (all are dropped when it is reached; a hall prints far fewer
    /// a day), once a code has been drawn twice: most documents' pages are looked at once.
    private static let drawn = PageCache<String>(ttl: .seconds(86_400), capacity: 4_096, minUses: 2)

    /// The SVG of `text`'s code with `title` (``QRCode/svg(title:)``); nil when it does not fit a code.
    public static func svg(of text: String, title: String) -> String? {
        let key = title + "\u{0}" + text
        if let svg = drawn.cached(key) { return svg }
        guard let svg = try? QRCode(text: text).svg(title: title) else { return nil }
        drawn.keep(key, svg)
        return svg
    }
}
