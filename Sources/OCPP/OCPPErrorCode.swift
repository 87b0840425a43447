/// An OCPP-J CALLERROR error code.
///
/// A struct, not an enum, so that codes a station sends that this version does not define
/// are kept as received. The static members are the codes of OCPP-J 1.6 §4.2.3 and
/// OCPP 2.0.1 / 2.1 Part 4 §4.3.
public struct OCPPErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The code as it appears on the wire.
    public let rawValue: String

    /// A code from its wire spelling.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// The wire spelling.
    public var description: String { rawValue }

    /// Requested action is not known by the receiver.
    public static let notImplemented = OCPPErrorCode(rawValue: "NotImplemented")
    /// Requested action is recognized but not supported by the receiver.
    public static let notSupported = OCPPErrorCode(rawValue: "NotSupported")
    /// An internal error occurred and the receiver was not able to process the action.
    public static let internalError = OCPPErrorCode(rawValue: "InternalError")
    /// Payload for the action is incomplete (or, in 2.x, the message is not valid OCPP-J).
    public static let protocolError = OCPPErrorCode(rawValue: "ProtocolError")
    /// A security issue prevented the receiver from completing the action.
    public static let securityError = OCPPErrorCode(rawValue: "SecurityError")
    /// 1.6: payload is syntactically incorrect or does not conform to the PDU structure.
    public static let formationViolation = OCPPErrorCode(rawValue: "FormationViolation")
    /// 2.x: payload is syntactically incorrect or does not conform to the PDU structure.
    public static let formatViolation = OCPPErrorCode(rawValue: "FormatViolation")
    /// A field contains a value that is not allowed by its constraints.
    public static let propertyConstraintViolation = OCPPErrorCode(rawValue: "PropertyConstraintViolation")
    /// 1.6 spelling (sic, as in the OCPP-J 1.6 specification) of an occurrence violation.
    public static let occurenceConstraintViolation = OCPPErrorCode(rawValue: "OccurenceConstraintViolation")
    /// 2.x spelling of an occurrence violation.
    public static let occurrenceConstraintViolation = OCPPErrorCode(rawValue: "OccurrenceConstraintViolation")
    /// A field has a value of the wrong data type.
    public static let typeConstraintViolation = OCPPErrorCode(rawValue: "TypeConstraintViolation")
    /// Any other error.
    public static let genericError = OCPPErrorCode(rawValue: "GenericError")
    /// 2.x: the content of the message is not a valid OCPP-J RPC frame.
    public static let rpcFrameworkError = OCPPErrorCode(rawValue: "RpcFrameworkError")
    /// 2.0.1: a message with an unknown MessageTypeId was received.
    public static let messageTypeNotSupported = OCPPErrorCode(rawValue: "MessageTypeNotSupported")

    /// The codes `family` defines, in the order its specification lists them.
    public static func defined(in family: OCPPVersion.Family) -> [OCPPErrorCode] {
        switch family {
        case .v16:
            [
                .notImplemented, .notSupported, .internalError, .protocolError, .securityError,
                .formationViolation, .propertyConstraintViolation, .occurenceConstraintViolation,
                .typeConstraintViolation, .genericError,
            ]
        case .v201, .v21:
            [
                .formatViolation, .genericError, .internalError, .messageTypeNotSupported, .notImplemented,
                .notSupported, .occurrenceConstraintViolation, .propertyConstraintViolation, .protocolError,
                .rpcFrameworkError, .securityError, .typeConstraintViolation,
            ]
        }
    }

    /// Whether `family` defines this code.
    public func isDefined(in family: OCPPVersion.Family) -> Bool {
        OCPPErrorCode.defined(in: family).contains(self)
    }

    /// The code for a schema validation failure of class `errorClass` in `version`'s spelling
    /// (table in docs/protocol.md).
    public static func forValidation(_ errorClass: Violation.ErrorClass, version: OCPPVersion) -> OCPPErrorCode {
        let v16 = version.family == .v16
        switch errorClass {
        case .formation: return v16 ? .formationViolation : .formatViolation
        case .type: return .typeConstraintViolation
        case .occurrence: return v16 ? .occurenceConstraintViolation : .occurrenceConstraintViolation
        case .property: return .propertyConstraintViolation
        }
    }

    /// The longest errorDescription this implementation sends.
    public static let maxDescriptionLength = 255

    /// `text` cut to at most 255 characters (on a character boundary; an ellipsis marks the cut).
    public static func truncatedDescription(_ text: String) -> String {
        guard text.count > maxDescriptionLength else { return text }
        return String(text.prefix(maxDescriptionLength - 1)) + "…"
    }
}
