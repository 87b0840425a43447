public import CSMSCore
public import Foundation
import GRDB

extension SQLiteStore {
    /// Reserves a `remoteStartId` from the `remote_start` row of `transaction_id_sequence` in
    /// its own group-commit transaction: durable when it returns, never handed out again.
    public func reserveRemoteStartId() async throws(StoreError) -> Int {
        try await writer.submit { db in
            let next = try Int.fetchOne(
                db,
                sql: """
                    UPDATE transaction_id_sequence SET next_id = next_id + 1 WHERE name = 'remote_start'
                    RETURNING next_id
                    """)
            guard let next else { throw StoreError(.internalError, "the remote start id sequence is missing") }
            return next - 1
        }.get()
    }

    /// The station's most recently stored transaction carrying `remoteStartId`.
    public func transaction(chargePointId: ChargePointID, remoteStartId: Int) async throws(StoreError)
        -> Transaction?
    {
        try await read { db in
            try Transaction.fetch(
                db, where: "charge_point_id = ? AND remote_start_id = ? ORDER BY sequence DESC LIMIT 1",
                [chargePointId.rawValue, remoteStartId]
            ).first
        }
    }

    /// The first 1.6 transaction on the connector with `idTag` stored at or after `storedFrom`.
    public func firstTransaction16(
        chargePointId: ChargePointID, connectorId: Int?, idTag: String, storedFrom: Date
    ) async throws(StoreError) -> Transaction? {
        try await read { db in
            try Transaction.fetch(
                db,
                where: """
                    charge_point_id = ? AND id_token = ? AND ocpp16_id IS NOT NULL
                    AND (? IS NULL OR connector_id = ?) AND created_at >= ?
                    ORDER BY sequence LIMIT 1
                    """,
                [chargePointId.rawValue, idTag, connectorId, connectorId, storedFrom.unixMilliseconds]
            ).first
        }
    }
}
