/// One way in which a payload breaks its OCPP JSON schema, with where (a JSON pointer).
///
/// A violation never carries the offending value: error descriptions built from it cannot
/// echo a station's invalid input back (design invariant 3).
public struct Violation: Sendable, Equatable, CustomStringConvertible {
    /// What rule was broken.
    public enum Kind: Sendable, Equatable {
        /// A required property is absent (`required`).
        case missingRequired
        /// The value has another JSON type than the schema's `type`.
        case wrongType(expected: String)
        /// The whole payload is not a JSON object.
        case payloadNotObject
        /// A property that the schema does not define (`additionalProperties: false`).
        case unknownProperty
        /// A string not among the schema's `enum` values.
        case notInEnum
        /// A string longer than `maxLength` characters.
        case tooLong(maxLength: Int)
        /// A string shorter than `minLength` characters.
        case tooShort(minLength: Int)
        /// A number below `minimum`.
        case belowMinimum(Double)
        /// A number above `maximum`.
        case aboveMaximum(Double)
        /// A number that is not a multiple of `multipleOf`.
        case notMultipleOf(Double)
        /// An array with fewer than `minItems` elements.
        case tooFewItems(minItems: Int)
        /// An array with more than `maxItems` elements.
        case tooManyItems(maxItems: Int)
        /// A string that is not an RFC 3339 `date-time`.
        case invalidDateTime
    }

    /// JSON pointer (RFC 6901) to the offending value; `""` is the payload itself.
    public let path: String
    /// The rule that was broken.
    public let kind: Kind

    /// A violation at `path`.
    public init(path: String, kind: Kind) {
        self.path = path
        self.kind = kind
    }

    /// A short English description naming the rule and the path, never the value.
    public var description: String {
        let at = path.isEmpty ? "payload" : path
        switch kind {
        case .missingRequired: return "\(at): required property missing"
        case .wrongType(let expected): return "\(at): expected \(expected)"
        case .payloadNotObject: return "payload is not a JSON object"
        case .unknownProperty: return "\(at): property not allowed"
        case .notInEnum: return "\(at): value not in enumeration"
        case .tooLong(let n): return "\(at): longer than \(n) characters"
        case .tooShort(let n): return "\(at): shorter than \(n) characters"
        case .belowMinimum(let m): return "\(at): below minimum \(JSONNumber(m))"
        case .aboveMaximum(let m): return "\(at): above maximum \(JSONNumber(m))"
        case .notMultipleOf(let m): return "\(at): not a multiple of \(JSONNumber(m))"
        case .tooFewItems(let n): return "\(at): fewer than \(n) items"
        case .tooManyItems(let n): return "\(at): more than \(n) items"
        case .invalidDateTime: return "\(at): not an RFC 3339 date-time"
        }
    }

    /// The class of OCPP error this violation belongs to, before version spelling.
    public var errorClass: ErrorClass {
        switch kind {
        case .payloadNotObject, .unknownProperty: .formation
        case .wrongType: .type
        case .missingRequired, .tooFewItems, .tooManyItems: .occurrence
        case .notInEnum, .tooLong, .tooShort, .belowMinimum, .aboveMaximum, .notMultipleOf, .invalidDateTime:
            .property
        }
    }

    /// The four OCPP error classes a schema violation can fall into, ordered by precedence:
    /// when a payload has several violations, the first class present decides the error code.
    public enum ErrorClass: Int, Sendable, Comparable, CaseIterable {
        /// Not an object, or a property the schema forbids: FormationViolation (1.6) /
        /// FormatViolation (2.x).
        case formation
        /// A value of the wrong JSON type: TypeConstraintViolation.
        case type
        /// A missing required property or a wrong number of array items:
        /// OccurenceConstraintViolation (1.6) / OccurrenceConstraintViolation (2.x).
        case occurrence
        /// A value outside its enum, length, range, multiple or format:
        /// PropertyConstraintViolation.
        case property

        /// Orders by precedence.
        public static func < (a: ErrorClass, b: ErrorClass) -> Bool { a.rawValue < b.rawValue }
    }
}

/// A payload that failed validation, with every violation found.
public struct ValidationFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// All violations, in document order. Never empty.
    public let violations: [Violation]

    /// A failure holding `violations` (must not be empty).
    public init(_ violations: [Violation]) {
        precondition(!violations.isEmpty, "a validation failure needs at least one violation")
        self.violations = violations
    }

    /// The error class that decides the OCPP error code (the highest-precedence one present).
    public var errorClass: Violation.ErrorClass {
        violations.map(\.errorClass).min() ?? .formation
    }

    /// The OCPP error code for this failure in `version`'s spelling.
    public func errorCode(for version: OCPPVersion) -> OCPPErrorCode {
        OCPPErrorCode.forValidation(errorClass, version: version)
    }

    /// A description of up to 255 characters listing the violations (never their values).
    public var description: String {
        var text = violations.prefix(5).map(\.description).joined(separator: "; ")
        if violations.count > 5 { text += "; and \(violations.count - 5) more" }
        return OCPPErrorCode.truncatedDescription(text)
    }
}
