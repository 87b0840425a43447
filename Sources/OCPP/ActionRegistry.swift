/// A payload type seen without its static type: decode, validate and re-encode by name.
public struct PayloadType: Sendable {
    /// The Swift type name, e.g. `BootNotificationRequest`.
    public let name: String
    private let decodeBody: @Sendable (JSONValue, inout DecodingContext) -> (any OCPPPayload)?

    /// Wraps the generated type `type`.
    public init<T: OCPPPayload>(_ type: T.Type) {
        name = String(describing: type)
        decodeBody = { value, context in T.decode(value, &context) }
    }

    /// Decodes and validates `json` into the typed value.
    public func decode(_ json: JSONValue) throws(ValidationFailure) -> any OCPPPayload {
        var context = DecodingContext()
        guard let value = decodeBody(json, &context), context.violations.isEmpty else {
            throw ValidationFailure(context.violations)
        }
        return value
    }

    /// The schema violations of `json` (empty when valid).
    public func violations(of json: JSONValue) -> [Violation] {
        var context = DecodingContext()
        _ = decodeBody(json, &context)
        return context.violations
    }
}

/// What the registry knows about one action.
public struct ActionDescriptor: Sendable {
    /// The action name as on the wire.
    public let name: String
    /// Who may send the request.
    public let direction: ActionDirection
    /// The request payload type.
    public let request: PayloadType
    /// The response payload type; `nil` for actions sent with SEND (2.1), which have no answer.
    public let response: PayloadType?

    /// A descriptor (used by generated registries).
    public init(name: String, direction: ActionDirection, request: PayloadType, response: PayloadType?) {
        self.name = name
        self.direction = direction
        self.request = request
        self.response = response
    }

    /// A descriptor for a generated action type.
    public init<A: OCPPAction>(_ action: A.Type) {
        self.init(
            name: A.name, direction: A.direction, request: PayloadType(A.Request.self),
            response: PayloadType(A.Response.self))
    }
}

/// Every action of one OCPP message set, by name. Each version module provides one
/// (`ActionRegistry.ocpp16`, `.ocpp201`, `.ocpp21`).
public struct ActionRegistry: Sendable {
    /// The message set.
    public let family: OCPPVersion.Family
    /// The actions by wire name.
    public let actions: [String: ActionDescriptor]

    /// A registry of `descriptors` (names must be unique).
    public init(family: OCPPVersion.Family, descriptors: [ActionDescriptor]) {
        self.family = family
        var byName: [String: ActionDescriptor] = [:]
        for d in descriptors {
            precondition(byName[d.name] == nil, "duplicate action \(d.name)")
            byName[d.name] = d
        }
        actions = byName
    }

    /// The descriptor of `action`, if this message set defines it.
    public subscript(action: String) -> ActionDescriptor? { actions[action] }

    /// All action names, sorted.
    public var names: [String] { actions.keys.sorted() }
}
