/// An error from the Kafka client: what failed, whether trying again can help, and whether the
/// client is now unusable.
///
/// `isRetriable` errors (broker unreachable, timed out, queue full, leader moving) go away on
/// their own; callers retry with backoff. `isFatal` errors (an idempotent producer fenced or out
/// of sequence) mean the client must be closed and rebuilt. Neither exposes librdkafka's numbers
/// except as ``Code/rawValue`` in logs.
public struct KafkaError: Error, Sendable, CustomStringConvertible {
    /// A stable code for the kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's name, stable across versions (e.g. `message-timed-out`).
        public let name: String
        /// librdkafka's error number when the error came from it, for logs only.
        public let rawValue: Int32?

        init(_ name: String, rawValue: Int32? = nil) {
            self.name = name
            self.rawValue = rawValue
        }

        public var description: String { name }

        public static func == (lhs: Code, rhs: Code) -> Bool { lhs.name == rhs.name }
        public func hash(into hasher: inout Hasher) { hasher.combine(name) }

        /// The configuration was refused (unknown key, bad value).
        public static let configuration = Code("configuration")
        /// The loaded librdkafka is too old for the broker protocol we need.
        public static let unsupportedLibrary = Code("unsupported-library")
        /// A message was not delivered within the message timeout.
        public static let messageTimedOut = Code("message-timed-out")
        /// The local produce queue is full; wait for delivery reports and retry.
        public static let queueFull = Code("queue-full")
        /// No broker could be reached.
        public static let brokersDown = Code("all-brokers-down")
        /// The topic does not exist.
        public static let unknownTopic = Code("unknown-topic")
        /// A request timed out.
        public static let timedOut = Code("timed-out")
        /// The client was closed.
        public static let closed = Code("closed")
        /// The idempotent producer hit a fatal condition; the client must be recreated.
        public static let fatal = Code("fatal")
        /// An admin operation failed.
        public static let admin = Code("admin")
        /// Any other broker or client error; see the message.
        public static let other = Code("other")
    }

    /// What failed.
    public var code: Code
    /// Human-readable detail, safe to log.
    public var message: String
    /// Whether retrying the same operation later can succeed.
    public var isRetriable: Bool
    /// Whether the client is unusable from now on.
    public var isFatal: Bool
    /// Where the error was raised.
    public var file: String
    /// Where the error was raised.
    public var line: UInt

    /// Creates an error.
    public init(
        _ code: Code, _ message: String, isRetriable: Bool = false, isFatal: Bool = false,
        file: String = #fileID, line: UInt = #line
    ) {
        self.code = code
        self.message = message
        self.isRetriable = isRetriable
        self.isFatal = isFatal
        self.file = file
        self.line = line
    }

    public var description: String {
        var text = "KafkaError(\(code)"
        if let raw = code.rawValue { text += " #\(raw)" }
        text += "): \(message)"
        if isFatal { text += " [fatal]" } else if isRetriable { text += " [retriable]" }
        return text
    }
}
