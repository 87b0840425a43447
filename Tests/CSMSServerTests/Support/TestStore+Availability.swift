import CSMSCore
import Foundation

// Availability reads forwarded to the in-memory store (they fail while it is switched off).
extension TestStore {
    func availabilityHistory(chargePointId: ChargePointID, after: Int64?, limit: Int)
        async throws(StoreError) -> [AvailabilityEvent]
    {
        try check()
        return try await store.availabilityHistory(chargePointId: chargePointId, after: after, limit: limit)
    }
}
