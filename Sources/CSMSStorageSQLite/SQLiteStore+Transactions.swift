public import CSMSCore
public import Foundation
import GRDB

extension SQLiteStore {
    /// Reserves `count` 1.6 ids from `transaction_id_sequence` in its own group-commit
    /// transaction: durable when it returns, never handed out again.
    public func reserveTransactionIds(count: Int) async throws(StoreError) -> ClosedRange<Int> {
        let n = max(1, count)
        let first = try await writer.submit { db in
            let next = try Int.fetchOne(
                db,
                sql: "UPDATE transaction_id_sequence SET next_id = next_id + ? WHERE name = 'ocpp16' RETURNING next_id",
                arguments: [n])
            guard let next else { throw StoreError(.internalError, "the transaction id sequence is missing") }
            return next - n
        }.get()
        return first...(first + n - 1)
    }

    /// The transaction `transactionId` of the station.
    public func transaction(chargePointId: ChargePointID, transactionId: String) async throws(StoreError)
        -> Transaction?
    {
        try await readStatement { db in
            try Transaction.fetch(
                db, where: "charge_point_id = ? AND transaction_id = ?", [chargePointId.rawValue, transactionId]
            ).first
        }
    }

    /// The 1.6 transaction started with this dedupe key, if any.
    public func startedTransaction16(
        chargePointId: ChargePointID, connectorId: Int, idTag: String, timestamp: Date, meterStart: Double
    ) async throws(StoreError) -> Transaction? {
        let at = timestamp.unixMilliseconds
        return try await readStatement { db in
            try Transaction.fetch(
                db,
                where: """
                    ocpp16_id IS NOT NULL AND charge_point_id = ? AND connector_id = ? AND id_token = ?
                    AND started_at = ? AND meter_start = ?
                    """, [chargePointId.rawValue, connectorId, idTag, at, meterStart]
            ).first
        }
    }

    /// Transactions with this id, of any station, in creation order.
    public func transactions(withId transactionId: String) async throws(StoreError) -> [Transaction] {
        try await readStatement { db in
            try Transaction.fetch(db, where: "transaction_id = ? ORDER BY sequence", [transactionId])
        }
    }

    /// Transactions matching `query`, newest first.
    public func transactions(matching query: TransactionQuery) async throws(StoreError) -> [Transaction] {
        guard query.limit > 0 else { return [] }
        return try await read { db in
            let active: Int? = query.active.map { $0 ? 1 : 0 }
            let arguments: StatementArguments = [
                query.chargePointId?.rawValue, query.chargePointId?.rawValue, active, active,
                query.startedFrom?.unixMilliseconds, query.startedFrom?.unixMilliseconds,
                query.startedBefore?.unixMilliseconds, query.startedBefore?.unixMilliseconds, query.beforeSequence,
                query.beforeSequence, query.limit,
            ]
            return try Transaction.fetch(
                db,
                where: """
                    (? IS NULL OR charge_point_id = ?)
                    AND (? IS NULL OR (state <> 'Ended') = ?)
                    AND (? IS NULL OR started_at >= ?)
                    AND (? IS NULL OR started_at < ?)
                    AND (? IS NULL OR sequence < ?)
                    ORDER BY sequence DESC LIMIT ?
                    """, arguments)
        }
    }

    /// Meter samples of a transaction by station timestamp (ties: stored first).
    public func meterSamples(chargePointId: ChargePointID, transactionId: String?, limit: Int) async throws(StoreError)
        -> [MeterSample]
    {
        guard limit > 0 else { return [] }
        return try await read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM meter_values
                    WHERE charge_point_id = ? AND coalesce(transaction_id, '') = ? AND transaction_id IS ?
                    ORDER BY timestamp, id LIMIT ?
                    """,
                arguments: [chargePointId.rawValue, transactionId ?? "", transactionId, limit]
            ).map(MeterSample.init(row:))
        }
    }

    /// Anomalies of a transaction, oldest first.
    public func transactionAnomalies(chargePointId: ChargePointID, transactionId: String) async throws(StoreError)
        -> [TransactionAnomaly]
    {
        try await read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM transaction_anomalies WHERE charge_point_id = ? AND transaction_id = ? ORDER BY id
                    """,
                arguments: [chargePointId.rawValue, transactionId]
            ).map(TransactionAnomaly.init(row:))
        }
    }

    /// Anomalies, optionally of one station, by id after `after`, at most `limit`.
    public func transactionAnomalies(chargePointId: ChargePointID?, after: Int64?, limit: Int) async throws(StoreError)
        -> [TransactionAnomaly]
    {
        guard limit > 0 else { return [] }
        return try await read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM transaction_anomalies
                    WHERE (? IS NULL OR charge_point_id = ?) AND id > coalesce(?, 0) ORDER BY id LIMIT ?
                    """,
                arguments: [chargePointId?.rawValue, chargePointId?.rawValue, after, limit]
            ).map(TransactionAnomaly.init(row:))
        }
    }

    /// Active transactions started with `token` (by id), not counting `excludingTransactionId`.
    public func activeTransactionCount(token: AuthorizationToken, excludingTransactionId: String?)
        async throws(StoreError) -> Int
    {
        try await read { db in
            try Int.fetchOne(
                db,
                sql: """
                    SELECT count(*) FROM transactions
                    WHERE id_token = ? AND state <> 'Ended' AND (? IS NULL OR transaction_id <> ?)
                    """,
                arguments: [token.id, excludingTransactionId, excludingTransactionId]) ?? 0
        }
    }
}

extension MeterSample {
    /// A sample from a `meter_values` row.
    init(row: Row) throws {
        guard let id = ChargePointID(try row.decode(String.self, forColumn: "charge_point_id")) else {
            throw StoreError(.internalError, "invalid meter value row in the database")
        }
        self.init(
            chargePointId: id, transactionId: try row.decode(forColumn: "transaction_id"),
            evseId: try row.decode(forColumn: "evse_id"), connectorId: try row.decode(forColumn: "connector_id"),
            timestamp: Date(unixMilliseconds: try row.decode(forColumn: "timestamp")),
            value: try row.decode(forColumn: "value"), measurand: try row.decode(forColumn: "measurand"),
            phase: try row.decode(forColumn: "phase"), location: try row.decode(forColumn: "location"),
            unit: try row.decode(forColumn: "unit"), multiplier: try row.decode(forColumn: "multiplier"),
            context: try row.decode(forColumn: "context"), format: try row.decode(forColumn: "format"),
            signedData: try row.decode(forColumn: "signed_data"),
            receivedAt: Date(unixMilliseconds: try row.decode(forColumn: "received_at")))
    }
}

extension TransactionAnomaly {
    /// An anomaly from a `transaction_anomalies` row.
    init(row: Row) throws {
        guard let id = ChargePointID(try row.decode(String.self, forColumn: "charge_point_id")) else {
            throw StoreError(.internalError, "invalid anomaly row in the database")
        }
        self.init(
            id: try row.decode(forColumn: "id"), chargePointId: id,
            transactionId: try row.decode(forColumn: "transaction_id"), kind: try row.decode(forColumn: "kind"),
            detail: try row.decode(forColumn: "detail"), fromState: try row.decode(forColumn: "from_state"),
            toState: try row.decode(forColumn: "to_state"), messageId: try row.decode(forColumn: "message_id"),
            at: Date(unixMilliseconds: try row.decode(forColumn: "at")))
    }
}
