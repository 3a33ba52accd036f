/// Why an event could not be read or written under the shared contracts.
///
/// Contract errors are never retriable: the same bytes fail the same way every time, so a
/// consumer should dead-letter the record (see ``DeadLetterHeader``) and move on.
public struct ContractError: Error, CustomStringConvertible, Sendable {
    /// The kind of failure. Extensible: compare against the static members, don't switch exhaustively.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// Stable kebab-case name of the code.
        public let rawValue: String

        private init(_ rawValue: String) { self.rawValue = rawValue }

        /// The bytes are not JSON, or not an envelope: a field is missing, has the wrong type or
        /// format, or the envelope has a member it does not define.
        public static let malformedEnvelope = Code("malformed-envelope")
        /// The envelope's `type` is not the one asked for, or not one this consumer knows.
        public static let unknownEventType = Code("unknown-event-type")
        /// The `type` is known but its `version` is not supported by this code.
        public static let unsupportedVersion = Code("unsupported-version")
        /// The envelope is fine but `data` does not match the event's schema (or a payload could not be encoded).
        public static let invalidPayload = Code("invalid-payload")

        /// The value to put in the ``DeadLetterHeader/errorCode`` header for a record failing with this code.
        public var deadLetterErrorCode: DeadLetterErrorCode {
            switch self {
            case .malformedEnvelope: .malformedEnvelope
            case .unknownEventType: .unknownEvent
            case .unsupportedVersion: .unsupportedVersion
            case .invalidPayload: .invalidPayload
            default: .handlerFailed
            }
        }

        /// The stable kebab-case name.
        public var description: String { rawValue }
    }

    /// The kind of failure.
    public let code: Code
    /// A human-readable explanation, safe to log and to put in a dead-letter `reason` header
    /// (it never contains payload values, only field names and expectations).
    public let message: String
    /// Dotted path of the offending JSON member when known, e.g. `occurredAt` or `data.rows`.
    public let fieldPath: String?
    /// Source file that raised the error.
    public let file: String
    /// Source line that raised the error.
    public let line: Int

    /// Always `false`: retrying a contract failure gives the same result.
    public var isRetriable: Bool { false }

    /// Creates an error; `file` and `line` default to the caller's location.
    public init(_ code: Code, _ message: String, fieldPath: String? = nil, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.fieldPath = fieldPath
        self.file = file
        self.line = line
    }

    /// `code: message (at fieldPath)`, e.g. `invalid-payload: expected an integer ≥ 0 (at data.rows)`.
    public var description: String {
        if let fieldPath {
            return "\(code): \(message) (at \(fieldPath))"
        }
        return "\(code): \(message)"
    }

    /// Builds a contract error from a Swift `DecodingError`, naming the failing field.
    ///
    /// `prefix` is prepended to the coding path (for example `data` when decoding a payload).
    static func from(_ error: any Error, code: Code, prefix: String?, file: String = #fileID, line: Int = #line) -> ContractError {
        if let error = error as? ContractError { return error }
        guard let error = error as? DecodingError else {
            return ContractError(code, String(describing: error), fieldPath: prefix, file: file, line: line)
        }
        let path: [any CodingKey]
        let message: String
        switch error {
        case .keyNotFound(let key, let context):
            path = context.codingPath + [key]
            message = "required member is missing"
        case .valueNotFound(_, let context):
            path = context.codingPath
            message = "value is null or missing: \(context.debugDescription)"
        case .typeMismatch(let type, let context):
            path = context.codingPath
            message = "expected \(type): \(context.debugDescription)"
        case .dataCorrupted(let context):
            path = context.codingPath
            message = context.debugDescription
        @unknown default:
            path = []
            message = String(describing: error)
        }
        let joined = Self.render(path: path, prefix: prefix)
        return ContractError(code, message, fieldPath: joined, file: file, line: line)
    }

    static func render(path: [any CodingKey], prefix: String?) -> String? {
        var result = prefix ?? ""
        for key in path {
            if let index = key.intValue {
                result += "[\(index)]"
            } else {
                result += result.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return result.isEmpty ? nil : result
    }
}
