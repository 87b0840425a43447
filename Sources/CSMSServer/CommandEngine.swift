public import CSMSCore
public import CSMSProcessor
import Foundation
public import Logging
public import OCPP
import Synchronization

/// Operator commands to connected stations: validates and records each command, keeps one
/// CALL in flight per connection with a bounded queue behind it (`OutboundCallStateMachine`,
/// invariant 4), correlates the station's replies, and fails calls on timeout or disconnect
/// (docs/commands.md).
///
/// It is the server's `OutboundCallTracking`: the connection hands it every CALLRESULT,
/// CALLERROR and CALLRESULTERROR, and tells it when the session ends. Timeouts are checked by
/// `CommandTimeoutService`, which calls `expireTimeouts(now:)`.
public final class CommandEngine: OutboundCallTracking {
    /// Queue size and timeouts.
    public struct Settings: Sendable, Equatable {
        /// How long a CALL waits for its answer unless its action has an override.
        public var callTimeout: Duration
        /// Per-action timeouts (e.g. `GetDiagnostics` longer than the default).
        public var actionTimeouts: [String: Duration]
        /// The most commands that may wait behind the one in flight, per connection.
        public var queueCapacity: Int

        /// Settings; defaults 30 s, no overrides, 100 waiting commands.
        public init(
            callTimeout: Duration = .seconds(30), actionTimeouts: [String: Duration] = [:], queueCapacity: Int = 100
        ) {
            self.callTimeout = callTimeout
            self.actionTimeouts = actionTimeouts
            self.queueCapacity = queueCapacity
        }

        /// The timeout of `action`.
        public func timeout(for action: String) -> Duration { actionTimeouts[action] ?? callTimeout }
    }

    /// Why a command was not taken.
    public enum SubmitError: Error, Sendable, Equatable {
        /// The station has no open connection on this node.
        case notConnected
        /// The negotiated version has no such action, or the CSMS may not send it.
        case unknownAction(String)
        /// The payload breaks the request schema.
        case invalidPayload([Violation])
        /// The connection's queue is full.
        case queueFull(capacity: Int)
        /// The record could not be stored.
        case store(StoreError)
    }

    struct Station {
        var connection: StationConnection
        var machine: OutboundCallStateMachine
        var records: [String: CommandRecord] = [:]
        var deadline: (messageId: String, at: ContinuousClock.Instant)?
    }

    struct State {
        var stations: [ChargePointID: Station] = [:]
        var waiters: [String: CommandCompletion] = [:]
        var unknownReplies = 0
    }

    let store: any CSMSStore
    /// The settings, live (configuration reload): each CALL takes the timeout current when it is sent.
    let liveSettings: LiveValue<Settings>
    let clock: any WallClock
    let logger: Logger
    let registries: [OCPPVersion.Family: ActionRegistry]
    let state = Mutex(State())

    /// An engine recording to `store`.
    public convenience init(
        store: any CSMSStore, settings: Settings, clock: any WallClock = SystemWallClock(), logger: Logger
    ) {
        self.init(store: store, liveSettings: LiveValue(settings), clock: clock, logger: logger)
    }

    /// An engine recording to `store` whose settings follow `liveSettings`.
    public init(
        store: any CSMSStore, liveSettings: LiveValue<Settings>, clock: any WallClock = SystemWallClock(),
        logger: Logger
    ) {
        self.store = store
        self.liveSettings = liveSettings
        self.clock = clock
        self.logger = logger
        var registries: [OCPPVersion.Family: ActionRegistry] = [:]
        for registry in MessageProcessor.standardRegistries { registries[registry.family] = registry }
        self.registries = registries
    }

    /// The settings now in force.
    var settings: Settings { liveSettings.current }

    /// Replies that matched no CALL of ours (and CALLRESULTERRORs), since start.
    public var unknownReplies: Int { state.withLock { $0.unknownReplies } }

    /// The action's descriptor in `version`, if the CSMS may send it.
    public func descriptor(_ action: String, version: OCPPVersion) -> ActionDescriptor? {
        guard let descriptor = registries[version.family]?[action], descriptor.direction.csmsMaySend,
            descriptor.response != nil
        else { return nil }
        return descriptor
    }

    /// Validates `payload`, queues the CALL on `connection` and records the command as
    /// `Queued`, or as `Sent` when nothing was in flight and the CALL goes out at once (the
    /// record is stored before the frame is written). Returns the record and the completion
    /// to await for the final record.
    public func submit(
        action: String, payload: JSONValue, on connection: StationConnection
    ) async throws(SubmitError) -> (record: CommandRecord, completion: CommandCompletion) {
        let session = connection.session
        guard let descriptor = descriptor(action, version: session.version) else { throw .unknownAction(action) }
        let violations = descriptor.request.violations(of: payload)
        guard violations.isEmpty else { throw .invalidPayload(violations) }
        var record = CommandRecord(
            chargePointId: session.chargePointId, action: action, protocolVersion: session.version.subprotocol,
            payload: payload, createdAt: clock.now())
        let call = OutboundCall(
            commandId: record.id, messageId: record.messageId, action: action, payload: payload)
        let completion = CommandCompletion()

        let (decision, replaced) = state.withLock { s -> (OutboundCallStateMachine.EnqueueAction, [FailedCall]) in
            var replaced: [FailedCall] = []
            if let station = s.stations[session.chargePointId], station.connection !== connection {
                replaced = Self.close(&s, session.chargePointId)
            }
            var station =
                s.stations[session.chargePointId]
                ?? Station(
                    connection: connection, machine: OutboundCallStateMachine(queueCapacity: settings.queueCapacity))
            let decision = station.machine.enqueue(call)
            switch decision {
            case .send, .queued:
                if case .send = decision {
                    // Sent at once: recorded as Sent in one write (saves a commit per command).
                    record.state = .sent
                    record.sentAt = record.createdAt
                }
                station.records[call.commandId] = record
                s.waiters[call.commandId] = completion
                if case .send = decision { station.deadline = (call.messageId, .now + settings.timeout(for: action)) }
            case .queueFull, .closed:
                break
            }
            s.stations[session.chargePointId] = station
            return (decision, replaced)
        }
        await fail(replaced, code: "station_disconnected", message: "the station reconnected before answering")
        switch decision {
        case .queueFull: throw .queueFull(capacity: settings.queueCapacity)
        case .closed: throw .notConnected
        case .send, .queued: break
        }
        do {
            try await store.commit([.saveCommand(record)])
        } catch {
            logger.error("command could not be recorded", metadata: [LogKey.chargePointId: "\(session.chargePointId)"])
            await abandon(call, station: session.chargePointId, code: "storage_failure", message: "not recorded")
            throw .store(error)
        }
        if case .send(let first) = decision {
            await transmit(first, station: session.chargePointId, recorded: true)
        }
        return (record, completion)
    }

    /// Receives a reply from `session` (see `OutboundCallTracking`).
    public func received(_ reply: RPCFrame, on session: StationSession) async {
        let id = session.chargePointId
        let outcome = state.withLock {
            s -> (OutboundCallStateMachine.ReplyAction, CommandRecord?, CommandCompletion?) in
            guard case .callResultError = reply else {
                guard var station = s.stations[id], station.connection.session.sessionId == session.sessionId else {
                    s.unknownReplies += 1
                    return (.unknown, nil, nil)
                }
                let action = station.machine.replyReceived(messageId: reply.messageId)
                var record: CommandRecord?
                var completion: CommandCompletion?
                switch action {
                case .answered(let call, let next):
                    record = station.records.removeValue(forKey: call.commandId)
                    completion = s.waiters.removeValue(forKey: call.commandId)
                    station.deadline = next.map { ($0.messageId, .now + settings.timeout(for: $0.action)) }
                case .unknown:
                    s.unknownReplies += 1
                case .late:
                    break
                }
                s.stations[id] = station
                return (action, record, completion)
            }
            s.unknownReplies += 1
            return (.unknown, nil, nil)
        }
        switch outcome.0 {
        case .unknown:
            logger.notice(
                "reply matching no outstanding CALL ignored",
                metadata: [
                    LogKey.chargePointId: .string(id.rawValue), LogKey.messageId: .string(reply.messageId),
                    "message_type": "\(reply.messageType)",
                ])
        case .late(let commandId):
            await recordLate(commandId, reply: reply, session: session)
        case .answered(_, let next):
            if var record = outcome.1 {
                apply(reply, to: &record, session: session)
                if record.state == .failed, session.version.family == .v21, case .callResult = reply {
                    // OCPP 2.1 Part 4: a CALLRESULT that cannot be processed is answered with a CALLRESULTERROR.
                    let error = RPCCallError(
                        messageId: reply.messageId, code: .formatViolation,
                        description: "CALLRESULT payload breaks the \(record.action)Response schema")
                    await send(RPCFrame.callResultError(error), to: id)
                }
                await finish(record, outcome.2)
            }
            if let next { await transmit(next, station: id) }
        }
    }

    /// Fails every call of the ended session (see `OutboundCallTracking`).
    public func sessionEnded(_ session: StationSession) async {
        let failed = state.withLock { s -> [FailedCall] in
            guard let station = s.stations[session.chargePointId],
                station.connection.session.sessionId == session.sessionId
            else { return [] }
            return Self.close(&s, session.chargePointId)
        }
        await fail(failed, code: "station_disconnected", message: "the station disconnected before answering")
    }

    /// Times out every CALL whose deadline is at or before `now` and sends the next ones.
    public func expireTimeouts(now: ContinuousClock.Instant = .now) async {
        let expired = state.withLock { s -> [(CommandRecord?, CommandCompletion?, OutboundCall?, ChargePointID)] in
            var result: [(CommandRecord?, CommandCompletion?, OutboundCall?, ChargePointID)] = []
            for (id, var station) in s.stations {
                guard let deadline = station.deadline, deadline.at <= now else { continue }
                station.deadline = nil
                if case .timedOut(let call, let next) = station.machine.timeoutFired(messageId: deadline.messageId) {
                    station.deadline = next.map { ($0.messageId, now + settings.timeout(for: $0.action)) }
                    result.append(
                        (
                            station.records.removeValue(forKey: call.commandId),
                            s.waiters.removeValue(forKey: call.commandId), next, id
                        ))
                }
                s.stations[id] = station
            }
            return result
        }
        guard !expired.isEmpty else { return }
        await withTaskGroup(of: Void.self) { group in
            for (record, completion, next, id) in expired {
                group.addTask {
                    if var record {
                        let seconds = self.settings.timeout(for: record.action).wholeSeconds
                        record.state = .timedOut
                        record.completedAt = self.clock.now()
                        record.error = CommandRecord.errorValue(
                            code: "timeout", message: "the station did not answer within \(seconds) s")
                        await self.finish(record, completion)
                    }
                    if let next { await self.transmit(next, station: id) }
                }
            }
        }
    }

    /// Cancels a queued command (a command already sent cannot be cancelled); returns the
    /// final record, or `nil` when the command is not queued on this node.
    public func cancel(commandId: String, chargePointId: ChargePointID) async -> CommandRecord? {
        let removed = state.withLock { s -> (CommandRecord, CommandCompletion?)? in
            guard var station = s.stations[chargePointId],
                case .removedFromQueue(let call) = station.machine.abandon(commandId: commandId),
                let record = station.records.removeValue(forKey: call.commandId)
            else { return nil }
            s.stations[chargePointId] = station
            return (record, s.waiters.removeValue(forKey: commandId))
        }
        guard let removed else { return nil }
        var record = removed.0
        record.state = .cancelled
        record.completedAt = clock.now()
        record.error = CommandRecord.errorValue(code: "cancelled", message: "cancelled by the operator before sending")
        await finish(record, removed.1)
        return record
    }
}
