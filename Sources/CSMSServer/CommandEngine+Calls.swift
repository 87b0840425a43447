public import CSMSCore
import CSMSProcessor
import Foundation
import Logging
import OCPP
import Synchronization

/// The final record of one command, awaited by the API request that made it (if it waits).
public final class CommandCompletion: Sendable {
    private struct State {
        var record: CommandRecord?
        var waiters: [CheckedContinuation<CommandRecord, Never>] = []
    }

    private let state = Mutex(State())

    /// A completion not yet completed.
    public init() {}

    /// Completes with `record` (only the first completion counts) and resumes every waiter.
    public func complete(_ record: CommandRecord) {
        let waiters = state.withLock { s -> [CheckedContinuation<CommandRecord, Never>] in
            guard s.record == nil else { return [] }
            s.record = record
            defer { s.waiters = [] }
            return s.waiters
        }
        for waiter in waiters { waiter.resume(returning: record) }
    }

    /// The final record, once there is one. Every command reaches a final state: answered,
    /// failed, timed out (the engine's timeout), failed on disconnect, or cancelled.
    public func record() async -> CommandRecord {
        await withCheckedContinuation { continuation in
            let done = state.withLock { s -> CommandRecord? in
                if let record = s.record { return record }
                s.waiters.append(continuation)
                return nil
            }
            if let done { continuation.resume(returning: done) }
        }
    }
}

extension CommandEngine {
    /// A command taken out of a closed machine, to be failed.
    struct FailedCall {
        var record: CommandRecord?
        var completion: CommandCompletion?
    }

    /// Closes and removes the station's machine; returns its calls (in flight first).
    static func close(_ s: inout State, _ id: ChargePointID) -> [FailedCall] {
        guard var station = s.stations.removeValue(forKey: id) else { return [] }
        return station.machine.close().map { call in
            FailedCall(
                record: station.records.removeValue(forKey: call.commandId),
                completion: s.waiters.removeValue(forKey: call.commandId))
        }
    }

    /// Marks the calls failed with `code`, in one commit, and completes them.
    func fail(_ calls: [FailedCall], code: String, message: String) async {
        guard !calls.isEmpty else { return }
        let now = clock.now()
        var records: [CommandRecord] = []
        for call in calls {
            guard var record = call.record else { continue }
            record.state = .failed
            record.completedAt = now
            let detail = record.sentAt == nil ? " (the command was still queued)" : ""
            record.error = CommandRecord.errorValue(code: code, message: message + detail)
            records.append(record)
        }
        await commit(records)
        for (call, record) in zip(calls.filter { $0.record != nil }, records) { call.completion?.complete(record) }
    }

    /// Gives up `call` (it could not be recorded or written) and sends the next one.
    func abandon(_ call: OutboundCall, station id: ChargePointID, code: String, message: String) async {
        let (action, record, completion) = state.withLock {
            s -> (OutboundCallStateMachine.AbandonAction, CommandRecord?, CommandCompletion?) in
            guard var station = s.stations[id] else { return (.notFound, nil, nil) }
            let action = station.machine.abandon(commandId: call.commandId)
            if case .releasedSlot(_, let next) = action {
                station.deadline = next.map { ($0.messageId, .now + settings.timeout(for: $0.action)) }
            }
            let record = station.records.removeValue(forKey: call.commandId)
            s.stations[id] = station
            return (action, record, s.waiters.removeValue(forKey: call.commandId))
        }
        if var record {
            record.state = .failed
            record.completedAt = clock.now()
            record.error = CommandRecord.errorValue(code: code, message: message)
            await finish(record, completion)
        }
        if case .releasedSlot(_, let next?) = action { await transmit(next, station: id) }
    }

    /// Records `call` as sent (unless `recorded` says that is done) and writes it to the
    /// station; when that fails the call is given up and the next one (if any) goes out.
    func transmit(_ call: OutboundCall, station id: ChargePointID, recorded: Bool = false) async {
        let now = clock.now()
        let target = state.withLock { s -> (StationConnection, CommandRecord)? in
            guard var station = s.stations[id], var record = station.records[call.commandId] else { return nil }
            if !recorded {
                record.state = .sent
                record.sentAt = now
                station.records[call.commandId] = record
                s.stations[id] = station
            }
            return (station.connection, record)
        }
        guard let (connection, record) = target else { return }
        do {
            if !recorded { try await store.commit([.saveCommand(record)]) }
        } catch {
            logger.error("command could not be recorded as sent", metadata: [LogKey.chargePointId: "\(id)"])
            await abandon(call, station: id, code: "storage_failure", message: "could not be recorded as sent")
            return
        }
        // The CALL may have timed out while its record was written (a very slow store): then
        // the slot belongs to the next CALL and this one must not go out (invariant 4).
        guard state.withLock({ $0.stations[id]?.machine.inFlight?.messageId == call.messageId }) else {
            connection.logger.warning(
                "command timed out before it could be sent", metadata: [LogKey.messageId: .string(call.messageId)])
            return
        }
        do {
            try await connection.send(call.frame.encoded())
            connection.logger.debug(
                "command sent",
                metadata: [LogKey.messageId: .string(call.messageId), LogKey.action: .string(call.action)])
        } catch {
            // The connection is broken: its end (sessionEnded) fails the queued calls.
            connection.logger.notice("command could not be written", metadata: ["error": "\(error)"])
            await abandon(call, station: id, code: "station_disconnected", message: "the CALL could not be written")
        }
    }

    /// Writes `frame` to the station's current connection (errors are logged).
    func send(_ frame: RPCFrame, to id: ChargePointID) async {
        guard let connection = state.withLock({ $0.stations[id]?.connection }) else { return }
        do {
            try await connection.send(frame.encoded())
        } catch {
            connection.logger.notice("frame could not be written", metadata: ["error": "\(error)"])
        }
    }

    /// Sets the record's final state from the reply: a schema-valid CALLRESULT is
    /// `Answered`; a CALLRESULT breaking the response schema or a CALLERROR is `Failed`.
    func apply(_ reply: RPCFrame, to record: inout CommandRecord, session: StationSession) {
        record.completedAt = clock.now()
        switch reply {
        case .callResult(let result):
            record.response = result.payload
            let violations =
                registries[session.version.family]?[record.action]?.response?.violations(of: result.payload) ?? []
            if violations.isEmpty {
                record.state = .answered
            } else {
                record.state = .failed
                record.error = CommandRecord.errorValue(
                    code: "invalid_response",
                    message: "the station's answer breaks the \(record.action)Response schema",
                    details: ["violations": .array(violations.prefix(20).map { .string($0.description) })])
            }
        case .callError(let error), .callResultError(let error):
            record.state = .failed
            record.error = CommandRecord.errorValue(
                code: error.code.rawValue, message: error.description, details: error.details)
        case .call, .send:
            break
        }
    }

    /// Stores the final record, then completes the command.
    func finish(_ record: CommandRecord, _ completion: CommandCompletion?) async {
        await commit([record])
        completion?.complete(record)
    }

    /// Marks a timed-out command late, with the answer that came.
    func recordLate(_ commandId: String, reply: RPCFrame, session: StationSession) async {
        let stored: CommandRecord?
        do {
            stored = try await store.command(commandId)
        } catch {
            logger.error("late answer could not be recorded", metadata: ["command_id": .string(commandId)])
            return
        }
        guard var record = stored else { return }
        let (final, error, completedAt) = (record.state, record.error, record.completedAt)
        apply(reply, to: &record, session: session)
        // The machine timed the CALL out; its TimedOut record may still be on its way to the store.
        record.state = final.isFinal ? final : .timedOut
        record.completedAt = completedAt ?? record.completedAt
        record.late = true
        if case .callResult = reply {
            record.error = error ?? CommandRecord.errorValue(code: "timeout", message: "the station answered late")
        }
        logger.notice(
            "late answer recorded",
            metadata: [LogKey.chargePointId: .string(session.chargePointId.rawValue), "command_id": .string(commandId)])
        await commit([record])
    }

    private func commit(_ records: [CommandRecord]) async {
        guard !records.isEmpty else { return }
        do {
            try await store.commit(records.map { .saveCommand($0) })
        } catch {
            logger.error("command records could not be stored", metadata: ["error": "\(error)"])
        }
    }
}
