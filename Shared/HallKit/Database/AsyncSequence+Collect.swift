extension AsyncSequence where Self: Sendable {
    /// All elements, in order (for small result sets).
    public func collectAll() async throws -> [Element] {
        var elements: [Element] = []
        for try await element in self { elements.append(element) }
        return elements
    }
}
