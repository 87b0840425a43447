import CSMSCore
import Foundation
import Logging
import OCPP

// The small pipeline steps: context/logging, commit, schema validation.
// (Metrics: Observability.swift; registration gate and idempotency have their own files.)

/// Pipeline step: gives the call its correlation id (in its log lines' metadata), logs the outcome,
/// and puts the correlation id into every CALLERROR's `errorDetails`.
struct ContextStep: CallStep {
    func enter(_ call: inout InboundCall) async -> CallOutcome? {
        call.correlationId = CorrelationID.next()
        if call.logs(.debug) {
            call.logger.debug("message received", metadata: ["frame_type": .string(call.messageType.metricLabel)])
        }
        return nil
    }

    func leave(_ call: InboundCall, _ outcome: CallOutcome) async -> CallOutcome { Self.finish(outcome, of: call) }

    /// Puts the correlation id into a CALLERROR and logs the outcome. Synchronous, so that its
    /// locals and log calls stay out of the async frame every message allocates.
    private static func finish(_ outcome: CallOutcome, of call: InboundCall) -> CallOutcome {
        var outcome = outcome
        switch outcome.answer {
        case .error(var error):
            var details = error.details.objectValue ?? JSONObject()
            details["correlationId"] = .string(call.correlationId)
            error.details = .object(details)
            outcome.answer = .error(error)
            call.logger.log(
                level: outcome.errorLogLevel, call.expectsReply ? "answered with CALLERROR" : "SEND not processed",
                metadata: ["error_code": .string(error.code.rawValue), "error_description": .string(error.description)])
        case .replayed:
            if call.logs(.info) { call.logger.info("retry answered with the stored response") }
        case .result, .encoded, .none:
            if call.logs(.debug) { call.logger.debug("message handled") }
        }
        return outcome
    }
}

/// Pipeline step: commits the writes the inner steps produced (the handler's writes, the
/// stored answer, dead letters) in one `commit`, and lets the answer out only after it
/// returned (invariant 1: acknowledged means durable).
///
/// A failed commit turns the answer into `InternalError`; the message is then kept as a dead
/// letter (`commit_failed`) in a second commit, and if even that fails it is logged
/// (invariant 7). A SEND that was refused cannot be answered, so it is kept as a dead letter
/// (`send_rejected`) instead.
///
/// When the call replays a dead letter, a failure counts an attempt on that letter, and a
/// success removes the letter in the same commit as the replayed state change.
struct CommitStep: CallStep {
    let store: any CSMSStore
    /// Retries for commits that fail with `.unavailable`.
    var retry: RetryPolicy = .none
    /// Where transaction messages go when the database cannot take them.
    var spill: SpillFile? = nil
    /// The actions that are spilled.
    var spillActions: Set<String> = []
    /// Where dead letters are counted.
    var metrics: ProcessorMetrics? = nil

    func leave(_ call: InboundCall, _ outcome: CallOutcome) async -> CallOutcome {
        let outcome = Self.withDeadLetterWrites(outcome, of: call)
        guard !outcome.writes.isEmpty else { return outcome }
        // The usual path is one commit that succeeds; everything else is in a function of its
        // own (not inlined), so that its locals and log calls do not enlarge this step's async
        // frame, which every message allocates.
        let start = ContinuousClock.now
        do {
            try await store.commit(outcome.writes)
        } catch {
            return await commitFailed(error, outcome, call, startedAt: start)
        }
        metrics?.deadLettersStored(outcome.writes)
        return outcome
    }

    /// `outcome` with the dead-letter write it needs: a refused SEND or a failed replay is
    /// kept (or counted) as a dead letter, a successful replay removes its letter.
    private static func withDeadLetterWrites(_ outcome: CallOutcome, of call: InboundCall) -> CallOutcome {
        var outcome = outcome
        if case .error(let error) = outcome.answer, !outcome.writes.contains(where: \.isDeadLetter),
            !call.expectsReply || call.replayOf != nil
        {
            outcome.writes.append(
                call.deadLetterWrite(
                    reason: call.expectsReply ? "replay_failed" : "send_rejected",
                    error: "\(error.code.rawValue): \(error.description)"))
        } else if let letter = call.replayOf, !outcome.writes.contains(where: \.isDeadLetter) {
            outcome.writes.append(.deleteDeadLetter(id: letter))
        }
        return outcome
    }

    /// The rest of `leave` after the first commit of `outcome.writes`, begun at `start`,
    /// failed with `error`:
    /// retries, the stored answer of a retried message, the spill file, the dead letter.
    @inline(never)
    private func commitFailed(
        _ error: StoreError, _ outcome: CallOutcome, _ call: InboundCall, startedAt start: ContinuousClock.Instant
    ) async -> CallOutcome {
        let failure: StoreError
        switch await commitRetrying(outcome.writes, call, after: error, startedAt: start) {
        case nil:
            metrics?.deadLettersStored(outcome.writes)
            return outcome
        case let error? where error.code == .alreadyAnswered:
            return await storedAnswer(call, otherwise: outcome.answer)
        case let error?:
            failure = error
        }
        call.logger.error("commit failed", metadata: ["error": "\(failure)"])
        if spilled(call, outcome) { return CallOutcome(answer: outcome.answer, writes: []) }
        let internalFailure = CallOutcome.internalFailure(call, reason: "commit_failed", error: "\(failure)")
        if call.fromSpill, failure.code == .unavailable {
            // Still in the spill file, moved on a later try: not a dead letter for this.
            var kept = CallOutcome(answer: internalFailure.answer, writes: [])
            kept.nothingStored = true
            return kept
        }
        do {
            try await store.commit(internalFailure.writes)
            metrics?.deadLettersStored(internalFailure.writes)
        } catch {
            call.logger.critical(
                call.maySpill
                    ? "dead letter could not be stored; the message is lost"
                    : "dead letter could not be stored; the message stays where it came from",
                metadata: ["error": "\(error)", "raw_frame_bytes": "\(call.rawFrame.count)"])
            var outcome = CallOutcome(answer: internalFailure.answer, writes: [])
            outcome.nothingStored = true
            return outcome
        }
        return CallOutcome(answer: internalFailure.answer, writes: [])
    }

    /// The answer to a retried message whose stored answer the commit found
    /// (`storeResponseUnlessAnswered`): nothing was applied, the stored bytes go out again.
    /// Should they be unreadable (or pruned in between), the handler's own new answer goes out:
    /// only handlers whose only effects are their writes are checked at commit, and the state
    /// their answer confirms is already stored.
    private func storedAnswer(_ call: InboundCall, otherwise answer: CallOutcome.Answer) async -> CallOutcome {
        do {
            if let stored = try await store.storedResponse(
                chargePointId: call.session.chargePointId, messageId: call.call.messageId)
            {
                return CallOutcome(answer: .replayed(stored.response), writes: [])
            }
        } catch {
            call.logger.error("stored response could not be read", metadata: ["error": "\(error)"])
        }
        return CallOutcome(answer: answer, writes: [])
    }

    /// Retries `writes` after their first commit, begun at `start`, failed with `error`, while
    /// the store is unavailable and the policy allows; returns the last error, or `nil` once
    /// committed.
    private func commitRetrying(
        _ writes: [StoreWrite], _ call: InboundCall, after error: StoreError, startedAt start: ContinuousClock.Instant
    ) async -> StoreError? {
        var error = error
        var attempt = 1
        while true {
            guard error.code == .unavailable,
                let delay = retry.delay(
                    afterAttempt: attempt, elapsed: ContinuousClock.now - start, random: Double.random(in: 0..<1))
            else { return error }
            call.logger.warning("commit failed; retrying", metadata: ["attempt": "\(attempt)", "error": "\(error)"])
            try? await Task.sleep(for: delay)
            attempt += 1
            do {
                try await store.commit(writes)
                return nil
            } catch let failure {
                error = failure
            }
        }
    }

    /// Keeps a processed transaction message in the spill file so that it can be
    /// acknowledged (docs/reliability.md); returns whether it was kept.
    private func spilled(_ call: InboundCall, _ outcome: CallOutcome) -> Bool {
        guard let spill, call.maySpill, spillActions.contains(call.call.action) else { return false }
        switch outcome.answer {
        case .result, .encoded, .none: break
        case .error, .replayed: return false
        }
        do {
            try spill.append(
                SpillFile.Entry(
                    chargePointId: call.session.chargePointId, protocolVersion: call.session.version.subprotocol,
                    receivedAt: call.receivedAt, rawFrame: String(decoding: call.rawFrame, as: UTF8.self)))
            call.logger.warning("database unavailable; transaction message kept in the spill file and acknowledged")
            return true
        } catch {
            call.logger.critical("spill file write failed", metadata: ["error": "\(error)"])
            return false
        }
    }
}

extension StoreWrite {
    /// Whether this write adds a dead letter or counts a failed attempt on one.
    var isDeadLetter: Bool {
        switch self {
        case .addDeadLetter, .recordDeadLetterAttempt: true
        default: false
        }
    }
}

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
    func enter(_ call: inout InboundCall) async -> CallOutcome? {
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
        do {
            call.request = try descriptor.request.decode(call.call.payload)
        } catch {
            return .error(error.errorCode(for: version), error.description, messageId: id)
        }
        return nil
    }
}
