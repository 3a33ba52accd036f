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
        case let dictionary as [String: Any]: return dictionary.compactMapValues(plain)
        case is MustacheParent, is MustacheCustomRenderable, is MustacheLambda, is MustacheTemplate: return value
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
