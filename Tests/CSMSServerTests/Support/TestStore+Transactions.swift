import CSMSCore
import Foundation

// Transaction reads forwarded to the in-memory store (they fail while it is switched off).
extension TestStore {
    func reserveTransactionIds(count: Int) async throws(StoreError) -> ClosedRange<Int> {
        try check()
        return try await store.reserveTransactionIds(count: count)
    }

    func transaction(chargePointId: ChargePointID, transactionId: String) async throws(StoreError) -> Transaction? {
        try check()
        return try await store.transaction(chargePointId: chargePointId, transactionId: transactionId)
    }

    func startedTransaction16(
        chargePointId: ChargePointID, connectorId: Int, idTag: String, timestamp: Date, meterStart: Double
    ) async throws(StoreError) -> Transaction? {
        try check()
        return try await store.startedTransaction16(
            chargePointId: chargePointId, connectorId: connectorId, idTag: idTag, timestamp: timestamp,
            meterStart: meterStart)
    }

    func transactions(withId transactionId: String) async throws(StoreError) -> [Transaction] {
        try check()
        return try await store.transactions(withId: transactionId)
    }

    func transactions(matching query: TransactionQuery) async throws(StoreError) -> [Transaction] {
        try check()
        return try await store.transactions(matching: query)
    }

    func meterSamples(chargePointId: ChargePointID, transactionId: String?, limit: Int) async throws(StoreError)
        -> [MeterSample]
    {
        try check()
        return try await store.meterSamples(chargePointId: chargePointId, transactionId: transactionId, limit: limit)
    }

    func transactionAnomalies(chargePointId: ChargePointID, transactionId: String) async throws(StoreError)
        -> [TransactionAnomaly]
    {
        try check()
        return try await store.transactionAnomalies(chargePointId: chargePointId, transactionId: transactionId)
    }

    func transactionAnomalies(chargePointId: ChargePointID?, after: Int64?, limit: Int) async throws(StoreError)
        -> [TransactionAnomaly]
    {
        try check()
        return try await store.transactionAnomalies(chargePointId: chargePointId, after: after, limit: limit)
    }

    func activeTransactionCount(token: AuthorizationToken, excludingTransactionId: String?) async throws(StoreError)
        -> Int
    {
        try check()
        return try await store.activeTransactionCount(token: token, excludingTransactionId: excludingTransactionId)
    }
}
