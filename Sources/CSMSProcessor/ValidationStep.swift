import OCPP

/// Pipeline step: checks that the action is one a charging station may send in this version,
/// with the right message type, and decodes the payload into the generated request type.
///
/// - action unknown to the version: `NotImplemented`;
/// - action only the CSMS sends (e.g. `Reset`): `NotSupported`;
/// - a CALL of an action that is only sent with SEND (2.1), or a SEND of a CALL action:
///   `NotSupported`;
/// - payload breaks the schema: the version's code for the failure
///   (`ValidationFailure.errorCode(for:)`) and its description, which never holds input.
struct ValidationStep: CallStep {
    func process(_ call: InboundCall, next: CallChain) async -> CallOutcome {
        let version = call.session.version
        let id = call.call.messageId
        guard let descriptor = call.descriptor else {
            return .error(
                .notImplemented, "the action is not defined in OCPP \(version.family.rawValue)", messageId: id)
        }
        guard descriptor.direction.chargePointMaySend else {
            return .error(.notSupported, "the action is sent by the CSMS, not by a charging station", messageId: id)
        }
        let isSendAction = descriptor.response == nil
        if isSendAction && call.messageType == .call {
            return .error(.notSupported, "the action is sent with SEND and has no response", messageId: id)
        }
        if !isSendAction && call.messageType == .send {
            return .error(.notSupported, "the action must be sent as a CALL", messageId: id)
        }
        var call = call
        do {
            call.request = try descriptor.request.decode(call.call.payload)
        } catch {
            return .error(error.errorCode(for: version), error.description, messageId: id)
        }
        return await next(call)
    }
}
