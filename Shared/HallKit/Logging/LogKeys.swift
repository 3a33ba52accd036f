/// Logging metadata keys, dotted and lowercase, in one place.
public enum LogKey {
    public static let serviceName = "service.name"
    public static let caseId = "case.id"
    public static let bundleId = "bundle.id"
    public static let departmentId = "department.id"
    public static let eventId = "event.id"
    public static let eventType = "event.type"
    public static let correlationId = "correlation.id"
    public static let requestId = "request.id"
    public static let kafkaTopic = "kafka.topic"
    public static let kafkaPartition = "kafka.partition"
    public static let kafkaOffset = "kafka.offset"
    public static let consumerGroup = "kafka.group"
    public static let error = "error"
}
