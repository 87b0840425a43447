import Foundation
import Logging
import OCPP

/// Pipeline step: gives the call its correlation id and logger metadata, logs the outcome,
/// and puts the correlation id into every CALLERROR's `errorDetails`.
struct ContextStep: CallStep {
    func process(_ call: InboundCall, next: CallChain) async -> CallOutcome {
        var call = call
        call.correlationId = UUID().uuidString.lowercased()
        call.logger[metadataKey: LogKey.messageId] = .string(call.call.messageId)
        call.logger[metadataKey: LogKey.action] = .string(call.descriptor?.name ?? logSafe(call.call.action))
        call.logger[metadataKey: LogKey.correlationId] = .string(call.correlationId)
        call.logger.debug("message received", metadata: ["frame_type": .string(call.messageType.metricLabel)])

        var outcome = await next(call)
        switch outcome.answer {
        case .error(var error):
            var details = error.details.objectValue ?? JSONObject()
            details["correlationId"] = .string(call.correlationId)
            error.details = .object(details)
            outcome.answer = .error(error)
            call.logger.notice(
                call.expectsReply ? "answered with CALLERROR" : "SEND not processed",
                metadata: ["error_code": .string(error.code.rawValue), "error_description": .string(error.description)])
        case .replayed:
            call.logger.info("retry answered with the stored response")
        case .result, .encoded, .none:
            call.logger.debug("message handled")
        }
        return outcome
    }
}
