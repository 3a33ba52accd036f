import Mustache

/// The hall's templates rendered without swift-mustache's run-time look-ups, with the same output.
///
/// swift-mustache finds every name by climbing its context stack with dynamic casts of `Any`
/// values (is it a lambda, a parent, a sequence, a renderable, …): on the case-status page that
/// was about 150 µs a page, a fifth of all the service spent on it. Here the library still parses
/// every template — its syntax, its whitespace rules and its inheritance are the library's — and
/// the parsed tokens (read once with a `Mirror`, as the library keeps them to itself) become a
/// tree of ``Node``s that render a page's values once turned into ``TemplateValue``s: a name is a
/// dictionary look-up, a section a `switch`.
///
/// It renders what the hall's templates use: variables (escaped or not), dotted names and `.`,
/// sections and inverted sections, the `empty(…)` transform, partials and layout inheritance with
/// blocks, and content-type pragmas (the hall's and the library's HTML types escape the same five
/// characters). Anything else — a lambda, another transform, a value printed that is a list or
/// an object — throws ``CompiledTemplates/Unsupported``, and ``PageRenderer`` renders that page
/// with the library instead. With `HALL_WEB_TEMPLATE_CHECK=on` every page is rendered both ways
/// and a difference is a failure; the test suites run that way.
struct CompiledTemplates: Sendable {
    /// A template or value this renderer does not handle: the page is rendered by the library.
    struct Unsupported: Error, CustomStringConvertible {
        var description: String
    }

    indirect enum Node: Sendable {
        case text(String)
        case variable(Name, escaped: Bool)
        case section(Name, [Node])
        case invertedSection(Name, [Node])
        /// A layout's block: the page's override (by name) or the default.
        case block(String, [Node], indentation: String?)
        case partial(String, indentation: String?, overrides: [String: [Node]]?)
    }

    /// A tag's name: its dotted parts and the transform applied (only `empty` is known).
    struct Name: Sendable {
        var parts: [String]
        /// `.` (the value on top of the stack).
        var isCurrent: Bool
        /// A leading dot: looked up in the value on top of the stack only.
        var topOnly: Bool
        var empty: Bool
    }

    private(set) var templates: [String: [Node]] = [:]

    /// Compiles a template the library parsed from `text`.
    mutating func register(_ text: String, named name: String) throws {
        templates[name] = try Self.nodes(of: MustacheTemplate(string: text))
    }

    /// The template `name` rendered with `values`.
    func render(_ values: TemplateValue, template name: String) throws -> String? {
        guard let nodes = templates[name] else { return nil }
        var output = ""
        output.reserveCapacity(16_384)
        var context = Context(stack: [values], indentation: nil, overrides: nil)
        try render(nodes, &context, into: &output)
        return output
    }

    // MARK: - Rendering

    private struct Context {
        var stack: [TemplateValue]
        var indentation: String?
        var overrides: [String: [Node]]?
    }

    // The context is passed `inout` and put back as it was after each section, block or partial:
    // a copy with one more value on its stack copied the whole stack, for each item of a list.
    private func render(_ nodes: [Node], _ context: inout Context, into output: inout String) throws {
        guard let indentation = context.indentation, !indentation.isEmpty else {
            for node in nodes { try render(node, &context, into: &output) }
            return
        }
        // As the library indents a partial: a node's text is indented when what this list of nodes
        // rendered so far ends a line.
        var local = ""
        for node in nodes {
            var rendered = ""
            try render(node, &context, into: &rendered)
            if !rendered.isEmpty, local.last == "\n" { local += indentation }
            local += rendered
        }
        output += local
    }

    private func render(_ node: Node, _ context: inout Context, into output: inout String) throws {
        switch node {
        case .text(let text):
            output += text
        case .variable(let name, let escaped):
            switch try value(name, context) {
            case nil: break
            case .text(let text)?, .scalar(let text)?: output += escaped ? HTMLText.escaped(text) : text
            case .bool(let bool)?: output += bool ? "true" : "false"
            case .list?, .object?: throw Unsupported(description: "a list or an object printed by {{\(name.parts.joined(separator: "."))}}")
            }
        case .section(let name, let nodes):
            switch try value(name, context) {
            case nil, .bool(false)?: break
            case .bool(true)?: try render(nodes, &context, into: &output)
            case .list(let items)?:
                for item in items { try render(nodes, &context, with: item, into: &output) }
            case let other?:
                try render(nodes, &context, with: other, into: &output)
            }
        case .invertedSection(let name, let nodes):
            switch try value(name, context) {
            case nil, .bool(false)?: try render(nodes, &context, into: &output)
            case .list(let items)? where items.isEmpty:
                try render(nodes, &context, with: .list(items), into: &output)
            default: break
            }
        case .block(let name, let defaults, let indentation):
            let outer = context.indentation
            context.indentation = Self.indent(outer, indentation)
            defer { context.indentation = outer }
            try render(context.overrides?[name] ?? defaults, &context, into: &output)
        case .partial(let name, let indentation, let overrides):
            guard let nodes = templates[name] else { throw Unsupported(description: "the partial \(name), not compiled") }
            let (outerIndentation, outerOverrides) = (context.indentation, context.overrides)
            context.indentation = Self.indent(outerIndentation, indentation)
            if let overrides {
                // The outer page's blocks win over those its layout passes on.
                context.overrides = outerOverrides.map { $0.merging(overrides) { outer, _ in outer } } ?? overrides
            }
            defer { (context.indentation, context.overrides) = (outerIndentation, outerOverrides) }
            try render(nodes, &context, into: &output)
        }
    }

    /// `nodes` rendered with `value` on top of the context's stack.
    private func render(_ nodes: [Node], _ context: inout Context, with value: TemplateValue, into output: inout String) throws {
        context.stack.append(value)
        defer { context.stack.removeLast() }
        try render(nodes, &context, into: &output)
    }

    private static func indent(_ outer: String?, _ inner: String?) -> String? {
        guard let inner else { return outer }
        return (outer ?? "") + inner
    }

    /// The value a tag names, looked up as the library looks it up.
    private func value(_ name: Name, _ context: Context) throws -> TemplateValue? {
        var found: TemplateValue?
        if name.isCurrent {
            found = context.stack.last
        } else if name.topOnly {
            found = context.stack.last.flatMap { Self.child(name.parts[...], of: $0) }
        } else {
            for object in context.stack.reversed() {
                if case .object(let fields) = object, let first = fields[name.parts[0]] {
                    found = Self.child(name.parts.dropFirst(), of: first)
                    break
                }
            }
        }
        guard name.empty, let value = found else { return found }
        switch value {
        case .list(let items): return .bool(items.isEmpty)
        case .object(let fields): return .bool(fields.isEmpty)
        case .text(let text): return .bool(text.isEmpty)
        case .bool, .scalar: throw Unsupported(description: "empty(…) of a value that is not a list, an object or a text")
        }
    }

    private static func child(_ parts: ArraySlice<String>, of value: TemplateValue) -> TemplateValue? {
        var value = value
        for part in parts {
            guard case .object(let fields) = value, let child = fields[part] else { return nil }
            value = child
        }
        return value
    }

    // MARK: - Compiling the library's tokens

    /// The tokens of a parsed template, read with a `Mirror` (the library keeps them internal).
    private static func nodes(of template: MustacheTemplate) throws -> [Node] {
        guard let tokens = Mirror(reflecting: template).children.first(where: { $0.label == "tokens" })?.value as? [Any] else {
            throw Unsupported(description: "swift-mustache's template no longer keeps `tokens`")
        }
        return try tokens.compactMap(node)
    }

    private static func node(_ token: Any) throws -> Node? {
        guard let (kind, payload) = Mirror(reflecting: token).children.first.map({ ($0.label ?? "", $0.value) }) else {
            throw Unsupported(description: "a token without a case: \(token)")
        }
        let fields = Mirror(reflecting: payload).children.map { ($0.label, $0.value) }
        func field(_ label: String) -> Any? { fields.first { $0.0 == label }?.1 }
        func unwrapped(_ value: Any?) -> Any? {
            guard let value else { return nil }
            let mirror = Mirror(reflecting: value)
            guard mirror.displayStyle == .optional else { return value }
            return mirror.children.first?.value
        }
        func templates(_ value: Any?) throws -> [String: [Node]]? {
            guard let dictionary = unwrapped(value) as? [String: MustacheTemplate] else { return nil }
            return try dictionary.mapValues(nodes)
        }
        switch kind {
        case "text":
            guard let text = payload as? String else { break }
            return .text(text)
        case "variable", "unescapedVariable":
            guard let name = field("name") as? String, let transforms = field("transforms") as? [String] else { break }
            return .variable(try Self.name(name, transforms), escaped: kind == "variable")
        case "section", "invertedSection":
            guard let name = field("name") as? String, let transforms = field("transforms") as? [String],
                let template = field("template") as? MustacheTemplate
            else { break }
            let inner = try nodes(of: template)
            return kind == "section" ? .section(try Self.name(name, transforms), inner) : .invertedSection(try Self.name(name, transforms), inner)
        case "blockExpansion":
            guard let name = field("name") as? String, let template = field("default") as? MustacheTemplate else { break }
            return .block(name, try nodes(of: template), indentation: unwrapped(field("indentation")) as? String)
        case "partial":
            guard let name = fields.first?.1 as? String else { break }
            return .partial(name, indentation: unwrapped(field("indentation")) as? String, overrides: try templates(field("inherits")))
        case "contentType":
            // The hall's content type and the library's HTML escape the same characters (HTMLText).
            return nil
        default:
            break
        }
        throw Unsupported(description: "a template token this renderer does not handle: \(kind)")
    }

    private static func name(_ text: String, _ transforms: [String]) throws -> Name {
        guard transforms.allSatisfy({ $0 == "empty" }), transforms.count <= 1, !(text.isEmpty && !transforms.isEmpty) else {
            throw Unsupported(description: "the transforms \(transforms) of '\(text)'")
        }
        let parts = text.split(separator: ".").map(String.init)
        guard !parts.isEmpty || text == "." else { throw Unsupported(description: "the name '\(text)'") }
        return Name(parts: parts, isCurrent: text == ".", topOnly: text.first == "." && text != ".", empty: transforms == ["empty"])
    }
}

/// A page's values as ``CompiledTemplates`` reads them: made by ``TemplateValues/value(_:)`` with
/// the meaning ``TemplateValues/plain(_:)`` gives them for the library.
enum TemplateValue: Sendable {
    /// A `String` or `Substring` (it has `empty(…)`).
    case text(String)
    /// Any other value printed as it describes itself (a number, a date, an enum's words).
    case scalar(String)
    case bool(Bool)
    case list([TemplateValue])
    case object([String: TemplateValue])
}
