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
        let answer = await rerun(
            Array(letter.rawFrame.utf8), of: letter.chargePointId, version: version, receivedAt: clock.now(),
            replayOf: id)
        switch answer {
        case .undecodable(let reason):
            return await failReplay(id, "frame_ignored: \(reason)")
        case .reply:
            return await failReplay(id, "a reply to an outbound call cannot be replayed")
        case .failed(let error), .notStored(let error):
            return .failed(error: error)
        case .processed(let answer):
            return .processed(answer: answer)
        }
    }

    /// What running a stored frame through the pipeline again gave.
    enum RerunResult {
        case undecodable(String)
        case reply
        case failed(String)
        /// Failed, and not even a dead letter could be stored (the database takes no writes).
        case notStored(String)
        case processed([UInt8]?)
    }

    /// Runs `frame` of `station` through the pipeline on a session of `version` without a
    /// connection, never spilling it again; `replayOf` marks a dead letter being replayed.
    func rerun(
        _ frame: [UInt8], of station: ChargePointID, version: OCPPVersion, receivedAt: Date, replayOf: Int64?
    ) async -> RerunResult {
        let session = StationSession(chargePointId: station, version: version, remoteAddress: "replay")
        let decoded: RPCFrame
        do {
            decoded = try RPCFrame.decode(frame, version: version)
        } catch {
            return .undecodable(error.reason)
        }
        let call: RPCCall
        switch decoded {
        case .call(let c), .send(let c): call = c
        case .callResult, .callError, .callResultError: return .reply
        }
        var sessionLogger = logger.withSession(session)
        if let replayOf { sessionLogger[metadataKey: "dead_letter_id"] = .stringConvertible(replayOf) }
        var inbound = InboundCall(
            .init(
                session: session, messageType: decoded.messageType, call: call, rawFrame: frame,
                descriptor: registries[version.family]?[call.action], receivedAt: receivedAt,
                sessionLogger: sessionLogger))
        inbound.replayOf = replayOf
        inbound.maySpill = false
        inbound.fromSpill = replayOf == nil
        let outcome = await chain(inbound)
        switch outcome.answer {
        case .error(let error) where outcome.nothingStored:
            return .notStored("\(error.code.rawValue): \(error.description)")
        case .error(let error):
            return .failed("\(error.code.rawValue): \(error.description)")
        case .result(let payload):
            return .processed(
                RPCFrame.callResult(RPCCallResult(messageId: call.messageId, payload: payload)).encoded())
        case .encoded(let bytes), .replayed(let bytes):
            return .processed(bytes)
        case .none:
            return .processed(nil)
        }
    }

    /// Moves the messages of the spill file into the database (docs/reliability.md): each is
    /// run through the pipeline as it was received (its original receive time), in order.
    /// Stops, keeping the file, as soon as the database is unreachable; a message that fails
    /// for another reason is kept as a dead letter by the pipeline. Returns how many entries
    /// were taken out of the file.
    public func replaySpilled() async -> Int {
        guard let spill, !spill.isEmpty, await store.isReachable() else { return 0 }
        do {
            let moved = try await spill.drain(
                { entry in
                    guard let version = OCPPVersion(subprotocol: entry.protocolVersion) else {
                        return await keep(entry, reason: "spill_unreadable", error: "unknown protocol version")
                    }
                    let result = await rerun(
                        Array(entry.rawFrame.utf8), of: entry.chargePointId, version: version,
                        receivedAt: entry.receivedAt, replayOf: nil)
                    switch result {
                    case .processed:
                        return true
                    case .failed:
                        // The pipeline kept it as a dead letter, unless the database went away again.
                        return await store.isReachable()
                    case .notStored:
                        // Reads work but writes do not (locked, read-only, full): keep it.
                        return false
                    case .undecodable(let reason):
                        return await keep(entry, reason: "spill_unreadable", error: reason)
                    case .reply:
                        return await keep(entry, reason: "spill_unreadable", error: "not a CALL")
                    }
                },
                corrupt: { line in
                    logger.critical(
                        "spill file line is not an entry; skipped", metadata: ["line_bytes": "\(line.utf8.count)"])
                })
            if moved > 0 { logger.notice("spilled messages moved into the database", metadata: ["count": "\(moved)"]) }
            return moved
        } catch {
            logger.error("spill file could not be replayed", metadata: ["error": "\(error)"])
            return 0
        }
    }

    /// Keeps a spilled entry that cannot be processed as a dead letter; whether that worked.
    private func keep(_ entry: SpillFile.Entry, reason: String, error: String) async -> Bool {
        let letter = DeadLetter(
            chargePointId: entry.chargePointId, protocolVersion: entry.protocolVersion, rawFrame: entry.rawFrame,
            reason: reason, error: error, receivedAt: entry.receivedAt)
        do {
            try await store.commit([.addDeadLetter(letter)])
            return true
        } catch {
            return false
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
