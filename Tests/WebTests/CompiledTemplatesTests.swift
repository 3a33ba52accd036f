import Foundation
import Mustache
import Testing

@testable import HallWeb

/// The compiled templates print exactly what swift-mustache prints, for every template of every
/// service, with values of every kind the pages give.
@Suite("Templates rendered without the library's look-ups")
struct CompiledTemplatesTests {
    /// Every template of the shared layout and of the five services, by name (as PageRenderer loads them).
    static func templates() throws -> [(service: String, name: String, text: String)] {
        let root = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        var folders = [("shared", root.appending(path: "Shared/Web/Templates"))]
        for service in ["Intake", "Coordinator", "Seal", "Complaints", "Appraisal"] {
            folders.append((service, root.appending(path: "Services/\(service)/Pages/Templates")))
        }
        return try folders.flatMap { service, folder in
            try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil).filter { $0.pathExtension == "mustache" }.map {
                (service, $0.deletingPathExtension().lastPathComponent, try String(contentsOf: $0, encoding: .utf8))
            }
        }
    }

    /// A small deterministic generator (the same values at every run).
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 11 ^ state
        }
    }

    /// Values for `names` at `depth`: each name absent, a text (some to be escaped, some empty), a
    /// number, true or false, an empty list, a list of objects or of texts, or an object of the same names.
    /// A name also printed (`{{name}}`) is never a list or an object: a page prints only texts; a
    /// list whose section prints its elements (`{{.}}`) is a list of texts.
    static func values(_ names: [String], printed: Set<String>, listsOfTexts: Set<String>, depth: Int, _ random: inout Generator) -> [String: Any] {
        var object: [String: Any] = [:]
        for name in names {
            switch Int.random(in: 0..<(depth > 0 && !printed.contains(name) ? 11 : 6), using: &random) {
            case 0, 1: break
            case 2: object[name] = ["县市场监督管理局", "<b>\"A&B\"</b> it's", "", "2026-12-07"][Int.random(in: 0..<4, using: &random)]
            case 3: object[name] = Int.random(in: 0..<3, using: &random)
            case 4: object[name] = true
            case 5: object[name] = false
            case 6: object[name] = [Any]()
            case 8, _ where listsOfTexts.contains(name): object[name] = ["甲", "<乙>"] as [Any]
            case 7: object[name] = (0..<Int.random(in: 1...3, using: &random)).map { _ in values(names, printed: printed, listsOfTexts: listsOfTexts, depth: depth - 1, &random) as Any }
            default: object[name] = values(names, printed: printed, listsOfTexts: listsOfTexts, depth: depth - 1, &random)
            }
        }
        return object
    }

    @Test("every template of every service compiles, and renders what swift-mustache renders for at least 10 of 80 sets of values each and 50 on average (the others print a list)")
    func sameAsTheLibrary() throws {
        HTMLText.register()
        let templates = try Self.templates()
        #expect(templates.count >= 40)
        var library = MustacheLibrary()
        var compiled = CompiledTemplates()
        for (service, name, text) in templates {
            try library.register(HTMLText.pragma + text, named: name)
            #expect(throws: Never.self, "\(service)/\(name)") { try compiled.register(HTMLText.pragma + text, named: name) }
        }
        var random = Generator(state: 2026)
        var compared = 0
        for (service, name, text) in templates {
            // The names the template and its partials use, plus the page's own.
            let names = Array(Set(text.matches(of: /\{\{[#^\/]?(?:empty\()?\.?([a-zA-Z][a-zA-Z0-9_-]*)/).map { String($0.output.1) } + ["site", "page"]))
                .sorted()
            let printed = Set(text.matches(of: /\{\{\{?(?:[a-zA-Z0-9_-]+\.)*([a-zA-Z][a-zA-Z0-9_-]*)\}/).map { String($0.output.1) })
            let listsOfTexts = Set(text.matches(of: /\{\{[#^]([a-zA-Z0-9_-]+)\}\}((?!\{\{[#^]).)*?\{\{\.\}\}/.dotMatchesNewlines()).map { String($0.output.1) })
            var comparedHere = 0
            for _ in 0..<80 {
                let values = Self.values(names, printed: printed, listsOfTexts: listsOfTexts, depth: 3, &random)
                let expected = library.render(TemplateValues.plain(values) ?? [:], withTemplate: name)
                let converted = try TemplateValues.value(values)
                // A list printed by `{{.}}` is the library's to render (PageRenderer falls back to it).
                guard let rendered = try? compiled.render(try #require(converted), template: name) else { continue }
                #expect(rendered == expected, "\(service)/\(name)")
                comparedHere += 1
            }
            #expect(comparedHere >= 10, "\(service)/\(name): only \(comparedHere) of 80 sets of values rendered by the compiled template")
            compared += comparedHere
        }
        #expect(compared >= templates.count * 50)
    }

    @Test("a page's views become the values the template reads: fields by name, nil left out, lists, and dates and enums as they describe themselves")
    func views() throws {
        struct Line { var at: Date; var what: String; var note: String? }
        enum Colour: String, CustomStringConvertible { case red; var description: String { "红" } }
        let converted = try TemplateValues.value([
            "lines": [Line(at: Date(timeIntervalSince1970: 0), what: "受理", note: nil)], "colour": Colour.red, "count": 3, "flag": false,
        ] as [String: Any])
        let value = try #require(converted)
        guard case .object(let fields) = value, case .list(let lines)? = fields["lines"], case .object(let line)? = lines.first else {
            Issue.record("not an object with a list of objects: \(value)")
            return
        }
        #expect(line["note"] == nil)
        guard case .text("受理")? = line["what"], case .scalar(String(describing: Date(timeIntervalSince1970: 0)))? = line["at"],
            case .scalar("红")? = fields["colour"], case .scalar("3")? = fields["count"], case .bool(false)? = fields["flag"]
        else {
            Issue.record("fields read differently: \(fields)")
            return
        }
        #expect(throws: CompiledTemplates.Unsupported.self) { try TemplateValues.value(["set": Set([1, 2])] as [String: Any]) }
    }
}
