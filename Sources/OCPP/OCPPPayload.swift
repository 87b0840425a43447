/// A typed OCPP payload (a request, a response, or an object nested in one), generated from
/// an official OCA JSON schema.
///
/// Decoding and validation are one pass: `decode(_:_:)` checks every constraint of the
/// schema while it builds the value, records each violation in the context, and returns
/// `nil` when there was any.
public protocol OCPPPayload: Sendable, Equatable {
    /// Decodes `value`, recording every schema violation in `context`; `nil` when any was found.
    static func decode(_ value: JSONValue, _ context: inout DecodingContext) -> Self?

    /// The JSON form of this value; schema-valid when the value was decoded or built
    /// within the schema's constraints.
    func encode() -> JSONValue
}

extension OCPPPayload {
    /// Decodes and validates `json`; throws every violation found.
    public init(json: JSONValue) throws(ValidationFailure) {
        var context = DecodingContext()
        guard let value = Self.decode(json, &context), context.violations.isEmpty else {
            throw ValidationFailure(context.violations)
        }
        self = value
    }

    /// The schema violations of `json` (empty when valid).
    public static func violations(of json: JSONValue) -> [Violation] {
        var context = DecodingContext()
        _ = decode(json, &context)
        return context.violations
    }
}

/// A string enumeration from a schema's `enum`.
public protocol OCPPEnum: RawRepresentable<String>, CaseIterable, Sendable, Hashable {}

/// The action (an OCPP message exchange) a request/response pair belongs to.
public protocol OCPPAction: Sendable {
    /// The request payload type.
    associatedtype Request: OCPPPayload
    /// The response payload type.
    associatedtype Response: OCPPPayload
    /// The action name as on the wire, e.g. `BootNotification`.
    static var name: String { get }
    /// Who may send the request.
    static var direction: ActionDirection { get }
}

/// Who may initiate an action.
public enum ActionDirection: String, Sendable, CaseIterable {
    /// Only the charge point sends the request (e.g. BootNotification).
    case chargePointToCSMS
    /// Only the CSMS sends the request (e.g. Reset).
    case csmsToChargePoint
    /// Either side (DataTransfer).
    case both

    /// Whether a charge point may send this action's request.
    public var chargePointMaySend: Bool { self != .csmsToChargePoint }
    /// Whether the CSMS may send this action's request.
    public var csmsMaySend: Bool { self != .chargePointToCSMS }
}
