import HallKit

/// The complaints service's own settings, read by HallKit's ``EnvironmentReader`` on top of the
/// shared ``ServiceConfiguration`` (it has no keys of its own yet: add each here, with its row in
/// this table, its default and its rule).
///
/// | key | meaning | default |
/// |---|---|---|
struct ComplaintsSettings: Sendable {
    /// Reads the settings; throws ``ConfigurationError`` naming the key.
    init(environment: EnvironmentReader = EnvironmentReader()) throws {}
}
