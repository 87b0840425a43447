import CSMSCore
import Foundation

/// A minimal in-memory `CSMSStore` for the processor tests, with failure injection.
/// Replaced by `CSMSTesting.InMemoryStore` once that lands on main.
actor TestStore: CSMSStore {
    private(set) var chargePoints: [ChargePointID: ChargePoint] = [:]
    private(set) var current: [ChargePointID: [ConnectorStatus]] = [:]
    private(set) var history: [ChargePointID: [ConnectorStatus]] = [:]
    private(set) var responses: [String: StoredResponse] = [:]
    private(set) var letters: [DeadLetter] = []
    /// Every successful commit, in order.
    private(set) var commits: [[StoreWrite]] = []
    /// How many of the next commits fail.
    var failingCommits = 0
    /// Whether reads fail.
    var failingReads = false

    func setFailingCommits(_ n: Int) { failingCommits = n }
    func setFailingReads(_ on: Bool) { failingReads = on }

    func commit(_ writes: [StoreWrite]) async throws(StoreError) {
        if failingCommits > 0 {
            failingCommits -= 1
            throw StoreError(.unavailable, "injected commit failure")
        }
        for write in writes { apply(write) }
        commits.append(writes)
    }

    private func key(_ id: ChargePointID, _ messageId: String) -> String { id.rawValue + "\u{0}" + messageId }

    private func apply(_ write: StoreWrite) {
        switch write {
        case .upsertChargePoint(let u):
            var cp = chargePoints[u.id] ?? ChargePoint(id: u.id, createdAt: u.at, updatedAt: u.at)
            if let h = u.passwordHash { cp.passwordHash = h }
            if let s = u.registrationStatus { cp.registrationStatus = s }
            cp.updatedAt = u.at
            chargePoints[u.id] = cp
        case .recordBoot(let id, let info, let status, let version, let at, let register):
            guard var cp = chargePoints[id] ?? (register ? ChargePoint(id: id, createdAt: at, updatedAt: at) : nil)
            else { return }
            cp.boot = info
            cp.bootStatus = status
            cp.lastBootAt = at
            cp.lastSeen = at
            cp.protocolVersion = version
            cp.stateVersion += 1
            cp.updatedAt = at
            chargePoints[id] = cp
        case .recordSeen(let id, let at):
            chargePoints[id]?.lastSeen = at
        case .recordConnectorStatus(let s):
            history[s.chargePointId, default: []].append(s)
            var list = current[s.chargePointId, default: []]
            if let i = list.firstIndex(where: { $0.evseId == s.evseId && $0.connectorId == s.connectorId }) {
                if list[i].timestamp <= s.timestamp { list[i] = s }
            } else {
                list.append(s)
            }
            current[s.chargePointId] = list
        case .storeResponse(let r):
            responses[key(r.chargePointId, r.messageId)] = r
        case .addDeadLetter(var d):
            d.id = Int64(letters.count + 1)
            letters.append(d)
        }
    }

    private func checkRead() throws(StoreError) {
        if failingReads { throw StoreError(.unavailable, "injected read failure") }
    }

    func chargePoint(_ id: ChargePointID) async throws(StoreError) -> ChargePoint? {
        try checkRead()
        return chargePoints[id]
    }

    func chargePoints(after: ChargePointID?, limit: Int) async throws(StoreError) -> [ChargePoint] {
        try checkRead()
        return Array(
            chargePoints.values.filter { after == nil || $0.id > after! }.sorted { $0.id < $1.id }.prefix(limit))
    }

    func connectorStatuses(of id: ChargePointID) async throws(StoreError) -> [ConnectorStatus] {
        try checkRead()
        return (current[id] ?? []).sorted { ($0.evseId ?? 0, $0.connectorId) < ($1.evseId ?? 0, $1.connectorId) }
    }

    func statusHistory(of id: ChargePointID, limit: Int) async throws(StoreError) -> [ConnectorStatus] {
        try checkRead()
        return Array((history[id] ?? []).reversed().prefix(limit))
    }

    func storedResponse(chargePointId: ChargePointID, messageId: String) async throws(StoreError) -> StoredResponse? {
        try checkRead()
        return responses[key(chargePointId, messageId)]
    }

    func pruneStoredResponses(olderThan date: Date) async throws(StoreError) -> Int {
        let old = responses.filter { $0.value.storedAt < date }
        for k in old.keys { responses[k] = nil }
        return old.count
    }

    func deadLetters(chargePointId: ChargePointID?, after: Int64?, limit: Int) async throws(StoreError) -> [DeadLetter]
    {
        try checkRead()
        return Array(
            letters.filter {
                (chargePointId == nil || $0.chargePointId == chargePointId) && ($0.id ?? 0) > (after ?? 0)
            }
            .prefix(limit))
    }

    func isReachable() async -> Bool { !failingReads }

    /// Sets the operator's registration setting, creating the charge point.
    func register(_ id: ChargePointID, status: RegistrationStatus? = nil, at: Date = Date(timeIntervalSince1970: 0)) {
        apply(.upsertChargePoint(ChargePointUpdate(id: id, registrationStatus: status, at: at)))
    }
}
