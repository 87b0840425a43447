public import CSMSCore
import Foundation
import Logging
import OCPP

/// What replaying a dead letter did.
public enum DeadLetterReplayOutcome: Sendable, Equatable {
    /// The message went through the pipeline: its state change is committed and the letter is
    /// removed in the same commit. `answer` is the CALLRESULT the station would have got (nil
    /// for a 2.1 SEND); it is not sent anywhere.
    case processed(answer: [UInt8]?)
    /// Processing failed again: one more attempt is counted on the letter and its error
    /// replaced by `error`.
    case failed(error: String)
}

extension MessageProcessor {
    /// Re-runs a dead letter through the pipeline against the current state, as if its
    /// station sent the frame now on a session of the letter's version (docs/processor.md,
    /// "Dead letters"). The registration gate, idempotency (a message answered meanwhile gets
    /// its stored answer) and validation apply as for a live message. Nothing is sent to the
    /// station.
    ///
    /// A letter without an id, of a version this processor does not serve, or whose frame is
    /// not a CALL or SEND (still malformed, or a reply to an outbound call) fails.
    public func replay(_ letter: DeadLetter) async -> DeadLetterReplayOutcome {
        guard let id = letter.id else { return .failed(error: "the dead letter has no id (not stored)") }
        guard let version = OCPPVersion(subprotocol: letter.protocolVersion) else {
            return await failReplay(id, "unknown protocol version \(letter.protocolVersion)")
        }
        let session = StationSession(chargePointId: letter.chargePointId, version: version, remoteAddress: "replay")
        let frame = Array(letter.rawFrame.utf8)
        let decoded: RPCFrame
        do {
            decoded = try RPCFrame.decode(frame, version: version)
        } catch {
            return await failReplay(id, "frame_ignored: \(error.reason)")
        }
        let call: RPCCall
        switch decoded {
        case .call(let c), .send(let c): call = c
        case .callResult, .callError, .callResultError:
            return await failReplay(id, "a reply to an outbound call cannot be replayed")
        }
        var inbound = InboundCall(
            session: session, messageType: decoded.messageType, call: call, rawFrame: frame,
            descriptor: registries[version.family]?[call.action], receivedAt: clock.now(),
            logger: logger.withSession(session))
        inbound.replayOf = id
        inbound.logger[metadataKey: "dead_letter_id"] = .stringConvertible(id)
        let outcome = await chain(inbound)
        switch outcome.answer {
        case .error(let error):
            return .failed(error: "\(error.code.rawValue): \(error.description)")
        case .result(let payload):
            return .processed(
                answer: RPCFrame.callResult(RPCCallResult(messageId: call.messageId, payload: payload)).encoded())
        case .encoded(let bytes), .replayed(let bytes):
            return .processed(answer: bytes)
        case .none:
            return .processed(answer: nil)
        }
    }

    /// Counts a failed attempt on letter `id` (logging if even that cannot be stored).
    private func failReplay(_ id: Int64, _ error: String) async -> DeadLetterReplayOutcome {
        do {
            try await store.commit([.recordDeadLetterAttempt(id: id, error: error)])
        } catch {
            logger.error("dead letter attempt could not be counted", metadata: ["error": "\(error)"])
        }
        return .failed(error: error)
    }
}
