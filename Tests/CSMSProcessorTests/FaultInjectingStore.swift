import CSMSCore
import CSMSTesting
import Foundation
import Synchronization

/// `CSMSTesting.InMemoryStore` with failure injection and a log of successful commits, for
/// the processor's failure-path tests. Every read and write goes to the in-memory store.
final class FaultInjectingStore: CSMSStore {
    private struct Faults {
        var failingCommits = 0
        var failingReads = false
        var commits: [[StoreWrite]] = []
    }

    let base = InMemoryStore()
    private let faults = Mutex(Faults())

    /// Makes the next `n` commits fail with `.unavailable`.
    func setFailingCommits(_ n: Int) { faults.withLock { $0.failingCommits = n } }
    /// Makes every read fail with `.unavailable` while `on`.
    func setFailingReads(_ on: Bool) { faults.withLock { $0.failingReads = on } }
    /// Every successful non-empty commit, in order.
    var commits: [[StoreWrite]] { faults.withLock { $0.commits } }

    func commit(_ writes: [StoreWrite]) async throws(StoreError) {
        let fails = faults.withLock { f in
            guard f.failingCommits > 0 else { return false }
            f.failingCommits -= 1
            return true
        }
        if fails { throw StoreError(.unavailable, "injected commit failure") }
        try await base.commit(writes)
        if !writes.isEmpty { faults.withLock { $0.commits.append(writes) } }
    }

    func checkRead() throws(StoreError) {
        if faults.withLock({ $0.failingReads }) { throw StoreError(.unavailable, "injected read failure") }
    }

    func chargePoint(_ id: ChargePointID) async throws(StoreError) -> ChargePoint? {
        try checkRead()
        return try await base.chargePoint(id)
    }

    func chargePoints(after: ChargePointID?, limit: Int) async throws(StoreError) -> [ChargePoint] {
        try checkRead()
        return try await base.chargePoints(after: after, limit: limit)
    }

    func connectorStatuses(of id: ChargePointID) async throws(StoreError) -> [ConnectorStatus] {
        try checkRead()
        return try await base.connectorStatuses(of: id)
    }

    func statusHistory(of id: ChargePointID, limit: Int) async throws(StoreError) -> [ConnectorStatus] {
        try checkRead()
        return try await base.statusHistory(of: id, limit: limit)
    }

    func storedResponse(chargePointId: ChargePointID, messageId: String) async throws(StoreError) -> StoredResponse? {
        try checkRead()
        return try await base.storedResponse(chargePointId: chargePointId, messageId: messageId)
    }

    func pruneStoredResponses(olderThan date: Date) async throws(StoreError) -> Int {
        try await base.pruneStoredResponses(olderThan: date)
    }

    func deadLetters(chargePointId: ChargePointID?, after: Int64?, limit: Int) async throws(StoreError) -> [DeadLetter]
    {
        try checkRead()
        return try await base.deadLetters(chargePointId: chargePointId, after: after, limit: limit)
    }

    func messageLog(chargePointId: ChargePointID, action: String?, after: Int64?, limit: Int)
        async throws(StoreError) -> [MessageLogEntry]
    {
        try checkRead()
        return try await base.messageLog(chargePointId: chargePointId, action: action, after: after, limit: limit)
    }

    func pruneMessageLog(olderThan date: Date, maxPerStation: Int) async throws(StoreError) -> Int {
        try await base.pruneMessageLog(olderThan: date, maxPerStation: maxPerStation)
    }

    func deadLetter(id: Int64) async throws(StoreError) -> DeadLetter? {
        try checkRead()
        return try await base.deadLetter(id: id)
    }

    /// Unreachable while reads fail.
    func isReachable() async -> Bool {
        if faults.withLock({ $0.failingReads }) { return false }
        return await base.isReachable()
    }

    func securityProfile(of id: ChargePointID) async throws(StoreError) -> Int? {
        try checkRead()
        return try await base.securityProfile(of: id)
    }

    func securityEvents(chargePointId: ChargePointID?, after: Int64?, limit: Int) async throws(StoreError)
        -> [SecurityEvent]
    {
        try checkRead()
        return try await base.securityEvents(chargePointId: chargePointId, after: after, limit: limit)
    }

    func stationCertificates(of id: ChargePointID?) async throws(StoreError) -> [StationCertificate] {
        try checkRead()
        return try await base.stationCertificates(of: id)
    }

    func apiTokens() async throws(StoreError) -> [APITokenRecord] {
        try checkRead()
        return try await base.apiTokens()
    }

    // MARK: Test conveniences (bypass the injected faults)

    /// The charge point as stored.
    func stored(_ id: ChargePointID) async -> ChargePoint? { try? await base.chargePoint(id) }

    /// Every dead letter, oldest first.
    func letters() async -> [DeadLetter] {
        (try? await base.deadLetters(chargePointId: nil, after: nil, limit: 1000)) ?? []
    }

    /// The stored answer to `messageId` of `id`.
    func response(_ id: ChargePointID, _ messageId: String) async -> StoredResponse? {
        try? await base.storedResponse(chargePointId: id, messageId: messageId)
    }

    /// Sets the operator's registration setting, creating the charge point.
    func register(_ id: ChargePointID, status: RegistrationStatus? = nil, at: Date = Date(timeIntervalSince1970: 0))
        async
    {
        try? await base.commit([.upsertChargePoint(ChargePointUpdate(id: id, registrationStatus: status, at: at))])
    }
}
