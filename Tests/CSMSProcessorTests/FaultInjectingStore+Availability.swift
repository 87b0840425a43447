import CSMSCore
import Foundation

// Availability reads of the fault-injecting store: forwarded to the in-memory store.
extension FaultInjectingStore {
    func availabilityHistory(chargePointId: ChargePointID, after: Int64?, limit: Int)
        async throws(StoreError) -> [AvailabilityEvent]
    {
        try checkRead()
        return try await base.availabilityHistory(chargePointId: chargePointId, after: after, limit: limit)
    }
}
