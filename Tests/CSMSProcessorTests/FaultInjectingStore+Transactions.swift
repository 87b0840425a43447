import CSMSCore
import Foundation

// Transaction reads forwarded to the in-memory store (reads fail while reads are failing).
extension FaultInjectingStore {
    func reserveTransactionIds(count: Int) async throws(StoreError) -> ClosedRange<Int> {
        try checkRead()
        return try await base.reserveTransactionIds(count: count)
    }

    func transaction(chargePointId: ChargePointID, transactionId: String) async throws(StoreError) -> Transaction? {
        try checkRead()
        return try await base.transaction(chargePointId: chargePointId, transactionId: transactionId)
    }

    func startedTransaction16(
        chargePointId: ChargePointID, connectorId: Int, idTag: String, timestamp: Date, meterStart: Double
    ) async throws(StoreError) -> Transaction? {
        try checkRead()
        return try await base.startedTransaction16(
            chargePointId: chargePointId, connectorId: connectorId, idTag: idTag, timestamp: timestamp,
            meterStart: meterStart)
    }

    func transactions(withId transactionId: String) async throws(StoreError) -> [Transaction] {
        try checkRead()
        return try await base.transactions(withId: transactionId)
    }

    func transactions(matching query: TransactionQuery) async throws(StoreError) -> [Transaction] {
        try checkRead()
        return try await base.transactions(matching: query)
    }

    func meterSamples(chargePointId: ChargePointID, transactionId: String?, limit: Int) async throws(StoreError)
        -> [MeterSample]
    {
        try checkRead()
        return try await base.meterSamples(chargePointId: chargePointId, transactionId: transactionId, limit: limit)
    }

    func transactionAnomalies(chargePointId: ChargePointID, transactionId: String) async throws(StoreError)
        -> [TransactionAnomaly]
    {
        try checkRead()
        return try await base.transactionAnomalies(chargePointId: chargePointId, transactionId: transactionId)
    }

    func transactionAnomalies(chargePointId: ChargePointID?, after: Int64?, limit: Int) async throws(StoreError)
        -> [TransactionAnomaly]
    {
        try checkRead()
        return try await base.transactionAnomalies(chargePointId: chargePointId, after: after, limit: limit)
    }

    func activeTransactionCount(token: AuthorizationToken, excludingTransactionId: String?) async throws(StoreError)
        -> Int
    {
        try checkRead()
        return try await base.activeTransactionCount(token: token, excludingTransactionId: excludingTransactionId)
    }
}
