public import CSMSCore
public import Foundation
import Synchronization

/// A `CSMSStore` held in memory, for tests and for the in-process pipeline tier.
///
/// It follows the same rules as the SQLite store (docs/storage.md), which `StoreConformance`
/// checks for both: dates are kept to the millisecond, a connector status needs a registered
/// charge point (else the commit fails with `.conflict`), a failing commit leaves nothing of
/// its writes, and every commit is applied at once under one lock.
public final class InMemoryStore: CSMSStore {
    let state = Mutex(MemoryState())

    /// An empty store.
    public init() {}

    /// Applies `writes` in order to a copy of the state and keeps the copy only when all
    /// succeed.
    public func commit(_ writes: [StoreWrite]) async throws(StoreError) {
        guard !writes.isEmpty else { return }
        try state.withLock { (current: inout MemoryState) throws(StoreError) in
            var next = current
            for write in writes { try next.apply(write) }
            current = next
        }
    }

    /// The charge point, if registered.
    public func chargePoint(_ id: ChargePointID) async throws(StoreError) -> ChargePoint? {
        state.withLock { $0.chargePoints[id] }
    }

    /// Charge points ordered by id, starting after `after`, at most `limit`.
    public func chargePoints(after: ChargePointID?, limit: Int) async throws(StoreError) -> [ChargePoint] {
        guard limit > 0 else { return [] }
        return state.withLock { s in
            let ids = s.chargePoints.keys.filter { id in after.map { id > $0 } ?? true }.sorted()
            return ids.prefix(limit).compactMap { s.chargePoints[$0] }
        }
    }

    /// The current status of each connector of the station, ordered by EVSE (1.6 first)
    /// then connector.
    public func connectorStatuses(of id: ChargePointID) async throws(StoreError) -> [ConnectorStatus] {
        state.withLock { s in
            (s.current[id] ?? [:]).values.sorted { a, b in
                (a.evseId ?? Int.min, a.connectorId) < (b.evseId ?? Int.min, b.connectorId)
            }
        }
    }

    /// The status history of the station, newest received first (ties: newest stored
    /// first), at most `limit`.
    public func statusHistory(of id: ChargePointID, limit: Int) async throws(StoreError) -> [ConnectorStatus] {
        guard limit > 0 else { return [] }
        return state.withLock { s in
            let entries = (s.history[id] ?? []).sorted { a, b in
                (a.status.receivedAt, a.sequence) > (b.status.receivedAt, b.sequence)
            }
            return entries.prefix(limit).map(\.status)
        }
    }

    /// The stored answer to message `messageId` of the station, if any.
    public func storedResponse(chargePointId: ChargePointID, messageId: String) async throws(StoreError)
        -> StoredResponse?
    {
        state.withLock { $0.responses[ResponseKey(chargePointId: chargePointId, messageId: messageId)] }
    }

    /// Deletes stored answers stored strictly before `date`; returns how many were deleted.
    public func pruneStoredResponses(olderThan date: Date) async throws(StoreError) -> Int {
        let cutoff = date.roundedToMilliseconds
        return state.withLock { s in
            let before = s.responses.count
            s.responses = s.responses.filter { $0.value.storedAt >= cutoff }
            return before - s.responses.count
        }
    }

    /// Dead letters, optionally of one station, ordered by id, after `after`, at most `limit`.
    public func deadLetters(chargePointId: ChargePointID?, after: Int64?, limit: Int) async throws(StoreError)
        -> [DeadLetter]
    {
        guard limit > 0 else { return [] }
        return state.withLock { s in
            let matching = s.deadLetters.lazy.filter { letter in
                (chargePointId.map { letter.chargePointId == $0 } ?? true)
                    && (after.map { (letter.id ?? 0) > $0 } ?? true)
            }
            return Array(matching.prefix(limit))
        }
    }

    /// The dead letter with `id`, if it exists.
    public func deadLetter(id: Int64) async throws(StoreError) -> DeadLetter? {
        state.withLock { s in s.deadLetters.first { $0.id == id } }
    }

    /// Appends the entries with the next ids (times rounded to milliseconds, as SQLite stores them).
    public func appendMessageLog(_ entries: [MessageLogEntry]) async throws(StoreError) {
        state.withLock { s in
            for var entry in entries {
                entry.id = s.nextMessageLogId
                entry.at = entry.at.roundedToMilliseconds
                s.nextMessageLogId += 1
                s.messageLog.append(entry)
            }
        }
    }

    /// Message log entries of a station, oldest first, after `after`, optionally of one action.
    public func messageLog(chargePointId: ChargePointID, action: String?, after: Int64?, limit: Int)
        async throws(StoreError) -> [MessageLogEntry]
    {
        guard limit > 0 else { return [] }
        return state.withLock { s in
            Array(
                s.messageLog.lazy.filter { entry in
                    entry.chargePointId == chargePointId && (action.map { entry.action == $0 } ?? true)
                        && (entry.id ?? 0) > (after ?? 0)
                }.prefix(limit))
        }
    }

    /// Deletes entries older than `date` and all but each station's newest `maxPerStation`.
    public func pruneMessageLog(olderThan date: Date, maxPerStation: Int) async throws(StoreError) -> Int {
        state.withLock { s in
            let before = s.messageLog.count
            var kept: [MessageLogEntry] = []
            var perStation: [ChargePointID: Int] = [:]
            for entry in s.messageLog.reversed() where entry.at >= date {
                let count = perStation[entry.chargePointId, default: 0]
                guard count < maxPerStation else { continue }
                perStation[entry.chargePointId] = count + 1
                kept.append(entry)
            }
            s.messageLog = kept.reversed()
            return before - s.messageLog.count
        }
    }

    /// Always `true`.
    public func isReachable() async -> Bool { true }

    /// Reads the operator-command part of the state under the lock (InMemoryStore+Commands.swift).
    func withCommandState<T>(_ body: (CommandMemoryState) -> T) -> T { state.withLock { body($0.commandState) } }
    /// Reads the id token registry state (InMemoryStore+IdTokens.swift).
    func withIdTokenState<T>(_ body: (IdTokenMemoryState) -> T) -> T { state.withLock { body($0.idTokenState) } }
    /// Reads the security feature's state (InMemoryStore+Security.swift).
    func withSecurityState<T>(_ body: (MemorySecurityState) -> T) -> T { state.withLock { body($0.security) } }
}

/// Key of a current connector status within one station: 1.6 connectors (`evseId` nil) and
/// 2.x connectors are kept apart.
struct ConnectorKey: Hashable {
    var evseId: Int?
    var connectorId: Int
}

struct ResponseKey: Hashable {
    var chargePointId: ChargePointID
    var messageId: String
}

struct HistoryEntry {
    var sequence: Int64
    var status: ConnectorStatus
}

/// The whole store as one value, so that a commit can work on a copy.
struct MemoryState {
    var chargePoints: [ChargePointID: ChargePoint] = [:]
    var current: [ChargePointID: [ConnectorKey: ConnectorStatus]] = [:]
    var history: [ChargePointID: [HistoryEntry]] = [:]
    var nextHistorySequence: Int64 = 1
    var responses: [ResponseKey: StoredResponse] = [:]
    var deadLetters: [DeadLetter] = []
    var nextDeadLetterId: Int64 = 1
    var messageLog: [MessageLogEntry] = []
    var nextMessageLogId: Int64 = 1
    var commandState = CommandMemoryState()
    var transactions = TransactionMemory()
    var idTokenState = IdTokenMemoryState()
    var security = MemorySecurityState()
    var nextRemoteStartId = 1
    var availability: [AvailabilityEvent] = []
    var serialBindings: [ChargePointID: SerialBinding] = [:]

    mutating func apply(_ write: StoreWrite) throws(StoreError) {
        switch write {
        case .upsertChargePoint(let update):
            let at = update.at.roundedToMilliseconds
            var point =
                chargePoints[update.id] ?? ChargePoint(id: update.id, createdAt: at, updatedAt: at)
            if let hash = update.passwordHash { point.passwordHash = hash }
            if let status = update.registrationStatus { point.registrationStatus = status }
            point.markChanged(at: at)
            chargePoints[update.id] = point

        case .recordBoot(let id, let info, let status, let protocolVersion, let at, let register):
            let at = at.roundedToMilliseconds
            guard var point = chargePoints[id] ?? (register ? ChargePoint(id: id, createdAt: at, updatedAt: at) : nil)
            else { return }
            point.boot = info
            point.bootStatus = status
            point.protocolVersion = protocolVersion
            point.lastBootAt = at
            point.lastSeen = at
            point.markChanged(at: at)
            chargePoints[id] = point

        case .recordSeen(let id, let at):
            let at = at.roundedToMilliseconds
            guard var point = chargePoints[id] else { return }
            point.lastSeen = at
            point.markChanged(at: at)
            chargePoints[id] = point

        case .recordConnectorStatus(var status):
            status.timestamp = status.timestamp.roundedToMilliseconds
            status.receivedAt = status.receivedAt.roundedToMilliseconds
            let id = status.chargePointId
            guard var point = chargePoints[id] else {
                throw StoreError(.conflict, "connector status for a charge point that is not registered")
            }
            history[id, default: []].append(HistoryEntry(sequence: nextHistorySequence, status: status))
            nextHistorySequence += 1
            let key = ConnectorKey(evseId: status.evseId, connectorId: status.connectorId)
            if let stored = current[id]?[key], stored.timestamp > status.timestamp { return }
            current[id, default: [:]][key] = status
            point.markChanged(at: status.receivedAt)
            chargePoints[id] = point

        case .storeResponse(var response):
            response.storedAt = response.storedAt.roundedToMilliseconds
            responses[ResponseKey(chargePointId: response.chargePointId, messageId: response.messageId)] = response

        case .storeResponseUnlessAnswered(let response, let notBefore):
            let key = ResponseKey(chargePointId: response.chargePointId, messageId: response.messageId)
            if let stored = responses[key], stored.requestDigest == response.requestDigest,
                stored.storedAt >= notBefore.roundedToMilliseconds
            {
                throw StoreError(.alreadyAnswered, "message \(response.messageId) was answered before")
            }
            try apply(.storeResponse(response))

        case .addDeadLetter(var letter):
            letter.id = nextDeadLetterId
            letter.receivedAt = letter.receivedAt.roundedToMilliseconds
            nextDeadLetterId += 1
            deadLetters.append(letter)

        case .recordDeadLetterAttempt(let id, let error):
            guard let index = deadLetters.firstIndex(where: { $0.id == id }) else { return }
            deadLetters[index].attempts += 1
            deadLetters[index].error = error

        case .deleteDeadLetter(let id):
            deadLetters.removeAll { $0.id == id }

        case .saveCommand(let record): commandState.save(record)
        case .addStationReport(let report): commandState.add(report)
        case .saveConfigurationValues(let values): commandState.save(values)
        case .transaction(let write):
            try applyTransaction(write)
        case .recordLocalList(let list):
            try idTokenState.apply(write, isRegistered: chargePoints[list.chargePointId] != nil)
        case .upsertIdToken, .deleteIdToken:
            try idTokenState.apply(write, isRegistered: true)
        case .setSecurityProfile, .addSecurityEvent, .recordStationCertificate, .putAPIToken, .deleteAPIToken:
            security.apply(write)
        case .recordAvailability(let event): recordAvailability(event)
        case .bindSerialNumber, .clearSerialBinding: applySerialBinding(write)
        }
    }
}

extension ChargePoint {
    /// One stored change: the version goes up by one and `updatedAt` becomes the write's time.
    fileprivate mutating func markChanged(at date: Date) {
        stateVersion += 1
        updatedAt = date
    }
}

extension Date {
    /// The date rounded to the nearest millisecond, as every store keeps it.
    var roundedToMilliseconds: Date {
        Date(timeIntervalSince1970: (timeIntervalSince1970 * 1000).rounded() / 1000)
    }
}
