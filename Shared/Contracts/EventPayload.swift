/// The typed `data` of one event type at one schema version.
///
/// Conforming types are plain `Codable` structs whose property names are the JSON member names
/// (camelCase). `Date` properties are written as RFC 3339 UTC with milliseconds
/// (``RFC3339Timestamp``). Each conforming type has a descriptor in ``EventCatalogue/all``, a
/// JSON Schema `schemas/<eventType>.v<eventVersion>.schema.json` and a golden fixture.
///
/// A breaking change to a payload is a new type with `eventVersion + 1`; the old one stays as long
/// as any consumer may still read it.
public protocol EventPayload: Codable, Sendable {
    /// The envelope `type`, dotted lowercase `<service>.<entity>.<past-tense verb>`,
    /// e.g. `intake.application.accepted`.
    static var eventType: String { get }
    /// The envelope `version`: schema version of this payload, ≥ 1.
    static var eventVersion: Int { get }
}
