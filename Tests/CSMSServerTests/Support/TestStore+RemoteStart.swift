import CSMSCore
import Foundation

// Remote start reads forwarded to the in-memory store (they fail while it is switched off).
extension TestStore {
    func reserveRemoteStartId() async throws(StoreError) -> Int {
        try check()
        return try await store.reserveRemoteStartId()
    }

    func transaction(chargePointId: ChargePointID, remoteStartId: Int) async throws(StoreError) -> Transaction? {
        try check()
        return try await store.transaction(chargePointId: chargePointId, remoteStartId: remoteStartId)
    }

    func firstTransaction16(
        chargePointId: ChargePointID, connectorId: Int?, idTag: String, storedFrom: Date
    ) async throws(StoreError) -> Transaction? {
        try check()
        return try await store.firstTransaction16(
            chargePointId: chargePointId, connectorId: connectorId, idTag: idTag, storedFrom: storedFrom)
    }
}
