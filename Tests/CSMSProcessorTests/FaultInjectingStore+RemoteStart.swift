import CSMSCore
import Foundation

// Remote start reads forwarded to the in-memory store (reads fail while reads are failing).
extension FaultInjectingStore {
    func reserveRemoteStartId() async throws(StoreError) -> Int {
        try checkRead()
        return try await base.reserveRemoteStartId()
    }

    func transaction(chargePointId: ChargePointID, remoteStartId: Int) async throws(StoreError) -> Transaction? {
        try checkRead()
        return try await base.transaction(chargePointId: chargePointId, remoteStartId: remoteStartId)
    }

    func firstTransaction16(
        chargePointId: ChargePointID, connectorId: Int?, idTag: String, storedFrom: Date
    ) async throws(StoreError) -> Transaction? {
        try checkRead()
        return try await base.firstTransaction16(
            chargePointId: chargePointId, connectorId: connectorId, idTag: idTag, storedFrom: storedFrom)
    }
}
