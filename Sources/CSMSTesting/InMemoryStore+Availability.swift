public import CSMSCore
import Foundation

extension InMemoryStore {
    /// Transitions of a station, oldest first, after `after`, at most `limit`.
    public func availabilityHistory(chargePointId: ChargePointID, after: Int64?, limit: Int)
        async throws(StoreError) -> [AvailabilityEvent]
    {
        guard limit > 0 else { return [] }
        return state.withLock { s in
            Array(
                s.availability.lazy.filter { event in
                    event.chargePointId == chargePointId && (event.id ?? 0) > (after ?? 0)
                }.prefix(limit))
        }
    }
}

extension MemoryState {
    /// Appends a transition with the next id (kept to the millisecond, like every date).
    mutating func recordAvailability(_ event: AvailabilityEvent) {
        var event = event
        event.id = (availability.last?.id ?? 0) + 1
        event.at = event.at.roundedToMilliseconds
        availability.append(event)
    }
}
