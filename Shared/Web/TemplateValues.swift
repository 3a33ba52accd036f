import Foundation
import Mustache

/// A page's values as dictionaries and arrays, made once before the template is rendered.
///
/// swift-mustache looks a name up in a struct with a `Mirror` of it, at every tag and for every
/// object on the context stack it climbs: on a page with a timeline and documents that was most
/// of the time the page took. Walking the values once into `[String: Any]` (which the library reads
/// as a ``MustacheParent``, by hashing) reads the same names with the same meaning:
/// - an optional that is nil is left out, as the library skips a nil field and climbs the stack;
/// - a value that describes itself (a date, a UUID, a `LocalDate`, an enum's raw words) is kept
///   whole, so `{{value}}` prints what it printed before;
/// - arrays stay arrays (sections, `empty(…)`, `first(…)`); dictionaries keep their keys.
enum TemplateValues {
    /// `value` as the template reads it.
    static func plain(_ value: Any) -> Any? {
        switch value {
        case is String, is Bool, is Int, is Int64, is Double, is Substring: return value
        case let view as any TemplateFields:
            var fields: [String: Any] = [:]
            for (name, field) in view.templateFields {
                if let field, let plain = plain(field) { fields[name] = plain }
            }
            return fields
        case let dictionary as [String: Any]: return dictionary.compactMapValues(plain)
        case is any MustacheParent, is any MustacheCustomRenderable, is MustacheLambda, is MustacheTemplate: return value
        default: break
        }
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .optional:
            return mirror.children.first.flatMap { plain($0.value) }
        case .collection:
            return mirror.children.compactMap { plain($0.value) }
        case .struct where !(value is any CustomStringConvertible):
            var fields: [String: Any] = [:]
            for child in mirror.children {
                if let label = child.label, let field = plain(child.value) { fields[label] = field }
            }
            return fields
        default:
            return value
        }
    }
}

extension TemplateValues {
    /// `value` as ``CompiledTemplates`` reads it, with the meaning ``plain(_:)`` gives it (nil is
    /// left out); throws ``CompiledTemplates/Unsupported`` for what only the library renders (a
    /// lambda, a set, an object of a class, …).
    static func value(_ value: Any) throws -> TemplateValue? {
        // The most frequent first: every cast that fails is a look-up in the runtime's tables.
        switch value {
        case let text as String: return .text(text)
        case let bool as Bool: return .bool(bool)
        case let view as any TemplateFields:
            let pairs = view.templateFields
            var fields: [String: TemplateValue] = [:]
            fields.reserveCapacity(pairs.count)   // growing the table as it fills was 0.5 % of a case-status page
            for (name, field) in pairs {
                if let field, let converted = try self.value(field) { fields[name] = converted }
            }
            return .object(fields)
        case let list as any TemplateList:
            // As a `Mirror` of the array lists its elements, without the mirror.
            return .list(try list.templateElements.compactMap { try self.value($0) })
        case let text as Substring: return .text(String(text))
        case is Int, is Int64, is Double: return .scalar(String(describing: value))
        case let dictionary as [String: Any]:
            var fields: [String: TemplateValue] = [:]
            fields.reserveCapacity(dictionary.count)
            for (name, field) in dictionary {
                if let converted = try self.value(field) { fields[name] = converted }
            }
            return .object(fields)
        case is any MustacheParent, is any MustacheCustomRenderable, is MustacheLambda, is MustacheTemplate:
            throw CompiledTemplates.Unsupported(description: "a value of type \(type(of: value))")
        default: break
        }
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .optional:
            return try mirror.children.first.flatMap { try self.value($0.value) }
        case .collection:
            return .list(try mirror.children.compactMap { try self.value($0.value) })
        case .struct where !(value is any CustomStringConvertible):
            var fields: [String: TemplateValue] = [:]
            for child in mirror.children {
                if let label = child.label, let field = try self.value(child.value) { fields[label] = field }
            }
            return .object(fields)
        case .struct, .enum:
            return .scalar(String(describing: value))
        default:
            throw CompiledTemplates.Unsupported(description: "a value of type \(type(of: value))")
        }
    }
}

/// A view that gives the template its fields itself, each under its property's name (a nil is left
/// out, as from a `Mirror`). For the views of the busiest pages: a `Mirror` decodes every field's
/// type from its mangled name at each look, and that was a tenth of a case-status page. A test
/// beside each such view checks that it lists exactly its properties.
public protocol TemplateFields {
    var templateFields: KeyValuePairs<String, Any?> { get }
}

/// An array's elements for ``TemplateValues/value(_:)``.
protocol TemplateList {
    var templateElements: [Any] { get }
}

extension Array: TemplateList {
    var templateElements: [Any] { map { $0 } }
}
