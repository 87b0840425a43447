public import CSMSCore
public import Foundation

extension InMemoryStore {
    /// Reserves a new `remoteStartId` (see `RemoteStartStoreReading`).
    public func reserveRemoteStartId() async throws(StoreError) -> Int {
        state.withLock { s in
            defer { s.nextRemoteStartId += 1 }
            return s.nextRemoteStartId
        }
    }

    /// The station's most recently stored transaction carrying `remoteStartId`.
    public func transaction(chargePointId: ChargePointID, remoteStartId: Int) async throws(StoreError)
        -> Transaction?
    {
        state.withLock { s in
            s.transactions.transactions.values
                .filter { $0.chargePointId == chargePointId && $0.remoteStartId == remoteStartId }
                .max { $0.sequence < $1.sequence }
        }
    }

    /// The first 1.6 transaction on the connector with `idTag` stored at or after `storedFrom`.
    public func firstTransaction16(
        chargePointId: ChargePointID, connectorId: Int?, idTag: String, storedFrom: Date
    ) async throws(StoreError) -> Transaction? {
        let from = storedFrom.roundedToMilliseconds
        return state.withLock { s in
            s.transactions.transactions.values
                .filter {
                    $0.ocpp16Id != nil && $0.chargePointId == chargePointId && $0.idToken?.id == idTag
                        && (connectorId == nil || $0.connectorId == connectorId) && $0.createdAt >= from
                }
                .min { $0.sequence < $1.sequence }
        }
    }
}
