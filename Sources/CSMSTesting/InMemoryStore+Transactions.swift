public import CSMSCore
public import Foundation

/// The transaction part of the in-memory state (docs/transactions.md).
struct TransactionMemory {
    struct Key: Hashable {
        var chargePointId: ChargePointID
        var transactionId: String
    }

    struct EventKey: Hashable {
        var key: Key
        var seqNo: Int
    }

    struct SampleKey: Hashable {
        var chargePointId: ChargePointID
        var transactionId: String?
        var evseId: Int?
        var connectorId: Int?
        var timestamp: Date
        var measurand: String?
        var phase: String?
        var location: String?
        var context: String?
        var value: String
    }

    var transactions: [Key: Transaction] = [:]
    var nextSequence: Int64 = 1
    var events: Set<EventKey> = []
    var samples: [MeterSample] = []
    var sampleKeys: Set<SampleKey> = []
    var anomalies: [TransactionAnomaly] = []
    var nextAnomalyId: Int64 = 1
    var nextOCPP16Id = 1

    func owner(ofOCPP16Id id: Int?, other than: ChargePointID) -> ChargePointID? {
        guard let id else { return nil }
        return transactions.values.first { $0.ocpp16Id == id && $0.chargePointId != than }?.chargePointId
    }

    mutating func persist(_ outcome: TransactionLedger.Outcome, seqNo: Int?) {
        if var t = outcome.transaction {
            if t.sequence == 0 {
                t.sequence = nextSequence
                nextSequence += 1
            }
            let key = Key(chargePointId: t.chargePointId, transactionId: t.transactionId)
            transactions[key] = t
            if outcome.recordsEvent, let seqNo { events.insert(EventKey(key: key, seqNo: seqNo)) }
        }
        for t in outcome.closed {
            transactions[Key(chargePointId: t.chargePointId, transactionId: t.transactionId)] = t
        }
        for var s in outcome.samples {
            s.timestamp = s.timestamp.roundedToMilliseconds
            s.receivedAt = s.receivedAt.roundedToMilliseconds
            let key = SampleKey(
                chargePointId: s.chargePointId, transactionId: s.transactionId, evseId: s.evseId,
                connectorId: s.connectorId, timestamp: s.timestamp, measurand: s.measurand, phase: s.phase,
                location: s.location, context: s.context, value: s.value)
            guard sampleKeys.insert(key).inserted else { continue }
            samples.append(s)
        }
        for var a in outcome.anomalies {
            a.id = nextAnomalyId
            a.at = a.at.roundedToMilliseconds
            nextAnomalyId += 1
            anomalies.append(a)
        }
    }
}

extension MemoryState {
    /// Applies a transaction write with `TransactionLedger`, as the SQLite store does.
    mutating func applyTransaction(_ write: TransactionWrite) throws(StoreError) {
        switch write {
        case .event(let u):
            let key = TransactionMemory.Key(chargePointId: u.chargePointId, transactionId: u.transactionId)
            if let seq = u.seqNo, transactions.events.contains(.init(key: key, seqNo: seq)) { return }
            if let id = u.ocpp16Id, u.kind == .started, let meterStart = u.meterStart, let connector = u.connectorId,
                let tag = u.idToken?.id
            {
                let timestamp = u.timestamp.roundedToMilliseconds
                let same = transactions.transactions.values.first {
                    $0.ocpp16Id != nil && $0.chargePointId == u.chargePointId && $0.connectorId == connector
                        && $0.idToken?.id == tag && $0.startedAt == timestamp && $0.meterStart == meterStart
                }
                if let same {
                    if same.ocpp16Id == id { return }
                    throw StoreError(.conflict, "the same StartTransaction is stored with another transaction id")
                }
            }
            let existing = transactions.transactions[key]
            var active: [Transaction] = []
            if existing == nil, u.kind == .started, u.evseId != nil || u.connectorId != nil {
                active = transactions.transactions.values.filter {
                    $0.chargePointId == u.chargePointId && $0.state.isActive && $0.evseId == u.evseId
                        && $0.connectorId == u.connectorId
                }.sorted { $0.sequence < $1.sequence }
            }
            let owner = existing == nil ? transactions.owner(ofOCPP16Id: u.ocpp16Id, other: u.chargePointId) : nil
            let outcome = TransactionLedger.apply(u, existing: existing, activeOnConnector: active, foreignOwner: owner)
            transactions.persist(outcome, seqNo: u.seqNo)
            if let at = outcome.stationChangedAt, var point = chargePoints[u.chargePointId] {
                point.stateVersion += 1
                point.updatedAt = at
                chargePoints[u.chargePointId] = point
            }

        case .meterValues(let m):
            let existing = m.transactionId.flatMap {
                transactions.transactions[.init(chargePointId: m.chargePointId, transactionId: $0)]
            }
            let owner =
                existing == nil
                ? transactions.owner(ofOCPP16Id: m.transactionId.flatMap { Int($0) }, other: m.chargePointId) : nil
            transactions.persist(TransactionLedger.apply(m, transaction: existing, foreignOwner: owner), seqNo: nil)
        }
    }
}

extension InMemoryStore {
    /// Hands out the next `count` ids of the store's counter (starting at 1).
    public func reserveTransactionIds(count: Int) async throws(StoreError) -> ClosedRange<Int> {
        let n = max(1, count)
        return state.withLock { s in
            let first = s.transactions.nextOCPP16Id
            s.transactions.nextOCPP16Id += n
            return first...(first + n - 1)
        }
    }

    /// The transaction `transactionId` of the station.
    public func transaction(chargePointId: ChargePointID, transactionId: String) async throws(StoreError)
        -> Transaction?
    {
        state.withLock {
            $0.transactions.transactions[.init(chargePointId: chargePointId, transactionId: transactionId)]
        }
    }

    /// The 1.6 transaction started with this dedupe key, if any.
    public func startedTransaction16(
        chargePointId: ChargePointID, connectorId: Int, idTag: String, timestamp: Date, meterStart: Double
    ) async throws(StoreError) -> Transaction? {
        let at = timestamp.roundedToMilliseconds
        return state.withLock { s in
            s.transactions.transactions.values.first {
                $0.ocpp16Id != nil && $0.chargePointId == chargePointId && $0.connectorId == connectorId
                    && $0.idToken?.id == idTag && $0.startedAt == at && $0.meterStart == meterStart
            }
        }
    }

    /// Transactions with this id, of any station, in creation order.
    public func transactions(withId transactionId: String) async throws(StoreError) -> [Transaction] {
        state.withLock { s in
            s.transactions.transactions.values.filter { $0.transactionId == transactionId }.sorted {
                $0.sequence < $1.sequence
            }
        }
    }

    /// Transactions matching `query`, newest first.
    public func transactions(matching query: TransactionQuery) async throws(StoreError) -> [Transaction] {
        guard query.limit > 0 else { return [] }
        return state.withLock { s in
            let matching = s.transactions.transactions.values.filter { t in
                (query.chargePointId.map { t.chargePointId == $0 } ?? true)
                    && (query.active.map { t.state.isActive == $0 } ?? true)
                    && (query.startedFrom.map { t.startedAt >= $0.roundedToMilliseconds } ?? true)
                    && (query.startedBefore.map { t.startedAt < $0.roundedToMilliseconds } ?? true)
                    && (query.beforeSequence.map { t.sequence < $0 } ?? true)
            }
            return Array(matching.sorted { $0.sequence > $1.sequence }.prefix(query.limit))
        }
    }

    /// Meter samples of a transaction by station timestamp (ties: stored first).
    public func meterSamples(chargePointId: ChargePointID, transactionId: String?, limit: Int) async throws(StoreError)
        -> [MeterSample]
    {
        guard limit > 0 else { return [] }
        return state.withLock { s in
            let matching = s.transactions.samples.enumerated().filter {
                $0.element.chargePointId == chargePointId && $0.element.transactionId == transactionId
            }
            let sorted = matching.sorted { ($0.element.timestamp, $0.offset) < ($1.element.timestamp, $1.offset) }
            return sorted.prefix(limit).map(\.element)
        }
    }

    /// Anomalies of a transaction, oldest first.
    public func transactionAnomalies(chargePointId: ChargePointID, transactionId: String) async throws(StoreError)
        -> [TransactionAnomaly]
    {
        state.withLock { s in
            s.transactions.anomalies.filter { $0.chargePointId == chargePointId && $0.transactionId == transactionId }
        }
    }

    /// Anomalies, optionally of one station, by id after `after`, at most `limit`.
    public func transactionAnomalies(chargePointId: ChargePointID?, after: Int64?, limit: Int) async throws(StoreError)
        -> [TransactionAnomaly]
    {
        guard limit > 0 else { return [] }
        return state.withLock { s in
            let matching = s.transactions.anomalies.lazy.filter { a in
                (chargePointId.map { a.chargePointId == $0 } ?? true) && (after.map { (a.id ?? 0) > $0 } ?? true)
            }
            return Array(matching.prefix(limit))
        }
    }

    /// Active transactions started with `token` (by id), not counting `excludingTransactionId`.
    public func activeTransactionCount(token: AuthorizationToken, excludingTransactionId: String?)
        async throws(StoreError) -> Int
    {
        state.withLock { s in
            s.transactions.transactions.values.count {
                $0.state.isActive && $0.idToken?.id == token.id && $0.transactionId != excludingTransactionId
            }
        }
    }
}
