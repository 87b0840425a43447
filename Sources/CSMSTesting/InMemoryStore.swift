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
    private let state = Mutex(MemoryState())

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

    /// Always `true`.
    public func isReachable() async -> Bool { true }

    /// Reads the security feature's state (InMemoryStore+Security.swift).
    func withSecurityState<T>(_ body: (MemorySecurityState) -> T) -> T { state.withLock { body($0.security) } }
}

/// Key of a current connector status within one station: 1.6 connectors (`evseId` nil) and
/// 2.x connectors are kept apart.
private struct ConnectorKey: Hashable {
    var evseId: Int?
    var connectorId: Int
}

private struct ResponseKey: Hashable {
    var chargePointId: ChargePointID
    var messageId: String
}

private struct HistoryEntry {
    var sequence: Int64
    var status: ConnectorStatus
}

/// The whole store as one value, so that a commit can work on a copy.
private struct MemoryState {
    var chargePoints: [ChargePointID: ChargePoint] = [:]
    var current: [ChargePointID: [ConnectorKey: ConnectorStatus]] = [:]
    var history: [ChargePointID: [HistoryEntry]] = [:]
    var nextHistorySequence: Int64 = 1
    var responses: [ResponseKey: StoredResponse] = [:]
    var deadLetters: [DeadLetter] = []
    var nextDeadLetterId: Int64 = 1
    var security = MemorySecurityState()

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

        case .addDeadLetter(var letter):
            letter.id = nextDeadLetterId
            letter.receivedAt = letter.receivedAt.roundedToMilliseconds
            nextDeadLetterId += 1
            deadLetters.append(letter)
        case .setSecurityProfile, .addSecurityEvent, .recordStationCertificate, .putAPIToken, .deleteAPIToken:
            security.apply(write)
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
