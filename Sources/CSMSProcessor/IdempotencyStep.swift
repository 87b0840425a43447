import CSMSCore
import Crypto
import Foundation
import Logging
import OCPP

/// Pipeline step: a CALL whose message id already has a stored answer with the same request
/// digest, stored within the window, gets that answer's exact bytes and the handler does not
/// run again (invariant 6). A new answer is encoded here and stored with the handler's writes
/// (the commit step outside commits both at once).
///
/// For a handler whose only effects are its writes (`OCPPHandler.hasEffectsBeyondWrites`),
/// the lookup moves into the commit: the answer is stored with `storeResponseUnlessAnswered`,
/// and when that finds the retry's stored answer the commit step answers with it and nothing
/// of the retry is applied. The handler ran once more, but nothing tells that apart from not
/// running it, and the common case (a new message) saves a read.
///
/// Only CALLRESULTs are stored: a CALLERROR may go away on retry (a store outage, a handler
/// bug fixed) and a validation error is recomputed identically anyway. SENDs have no answer
/// to store and pass through, and so do `rerunActions` (Heartbeat, BootNotification by
/// default; see `ProcessorConfiguration.rerunActions`).
struct IdempotencyStep: CallStep {
    let store: any CSMSStore
    let window: Duration
    let rerunActions: Set<String>
    /// Decides, per message set and action, whether the handler's only effects are its
    /// writes: then the stored answer is looked up inside the commit instead of before.
    var checksAtCommit: @Sendable (OCPPVersion.Family, String) -> Bool = { _, _ in false }

    func enter(_ call: inout InboundCall) async -> CallOutcome? {
        guard call.expectsReply, !rerunActions.contains(call.call.action) else { return nil }
        let digest = RequestDigest.hex(action: call.call.action, payload: call.call.payload)
        let atCommit = call.replayOf == nil && checksAtCommit(call.session.version.family, call.call.action)
        if !atCommit, let answered = await storedOutcome(call, digest: digest) { return answered }
        call.requestDigest = digest
        call.answerCheckedAtCommit = atCommit
        return nil
    }

    func leave(_ call: InboundCall, _ outcome: CallOutcome) async -> CallOutcome {
        guard let digest = call.requestDigest else { return outcome }
        return storing(outcome, of: call, digest: digest, atCommit: call.answerCheckedAtCommit)
    }

    /// `outcome` with its result encoded once and stored as the answer to the message
    /// (checked at commit when `atCommit`).
    private func storing(_ outcome: CallOutcome, of call: InboundCall, digest: String, atCommit: Bool) -> CallOutcome {
        var outcome = outcome
        if case .result(let payload) = outcome.answer {
            let bytes = RPCFrame.callResult(RPCCallResult(messageId: call.call.messageId, payload: payload)).encoded()
            outcome.answer = .encoded(bytes)
            let response = StoredResponse(
                chargePointId: call.session.chargePointId, messageId: call.call.messageId, requestDigest: digest,
                response: bytes, storedAt: call.receivedAt)
            outcome.writes.append(
                atCommit
                    ? .storeResponseUnlessAnswered(
                        response, notBefore: call.receivedAt.addingTimeInterval(-window.timeInterval))
                    : .storeResponse(response))
        }
        return outcome
    }

    /// The outcome when the message was answered before (the stored answer) or the stored
    /// answer cannot be read (InternalError); `nil` to process it. Not inlined into `enter`:
    /// its locals would enlarge the async frame every message allocates.
    @inline(never)
    private func storedOutcome(_ call: InboundCall, digest: String) async -> CallOutcome? {
        let stored: StoredResponse?
        do {
            stored = try await store.storedResponse(
                chargePointId: call.session.chargePointId, messageId: call.call.messageId)
        } catch {
            call.logger.error("stored response could not be read", metadata: ["error": "\(error)"])
            return .internalFailure(call, reason: "store_error", error: "\(error)")
        }
        guard let stored else { return nil }
        let age = call.receivedAt.timeIntervalSince(stored.storedAt)
        if stored.requestDigest == digest, age <= window.timeInterval {
            return CallOutcome(answer: .replayed(stored.response), writes: [])
        }
        call.logger.info(
            "message id reused with other content or after the idempotency window; processed as new",
            metadata: ["same_digest": "\(stored.requestDigest == digest)"])
        return nil
    }
}

/// The digest that tells a retry from a new message reusing an id.
enum RequestDigest {
    /// Lowercase hex SHA-256 of the action's UTF-8 bytes, a NUL byte, and the payload's
    /// canonical JSON (`JSONValue.canonicalSerialized()`: members sorted by name, so that
    /// member order does not change the digest; numbers keep their literal text).
    static func hex(action: String, payload: JSONValue) -> String {
        var hasher = SHA256()
        hasher.update(data: Array(action.utf8))
        hasher.update(data: [0])
        hasher.update(data: payload.canonicalSerialized())
        return hasher.finalize().withUnsafeBytes { $0.lowercaseHex }
    }
}
