public import CSMSCore
import Foundation
import Testing

extension StoreConformance {
    /// Availability transitions get increasing ids, need no registered charge point, come back
    /// unchanged per station (oldest first, after a cursor), and fail nothing around them.
    public static func availabilityHistoryAppendsAndPages(_ makeStore: Factory) async throws {
        let store = try await makeStore()
        let a = cp("CP-AV-A")
        let b = cp("CP-AV-B")
        let session = UUID()
        try await store.commit([
            .recordAvailability(
                AvailabilityEvent(chargePointId: a, at: t(1.0004), state: .connected, sessionId: session)),
            .recordAvailability(AvailabilityEvent(chargePointId: b, at: t(2), state: .connected)),
        ])
        try await store.commit([
            .recordAvailability(
                AvailabilityEvent(
                    chargePointId: a, at: t(3), state: .offline, reason: "half_open", sessionId: session))
        ])
        let all = try await store.availabilityHistory(chargePointId: a, after: nil, limit: 10)
        #expect(all.map(\.state) == [.connected, .offline])
        let ids = all.compactMap(\.id)
        #expect(ids.count == 2 && ids[0] < ids[1])
        #expect(
            all[0]
                == AvailabilityEvent(id: ids[0], chargePointId: a, at: t(1), state: .connected, sessionId: session),
            "every field round-trips, the date to the millisecond")
        #expect(all[1].reason == "half_open" && all[1].at == t(3))
        #expect(try await store.availabilityHistory(chargePointId: a, after: ids[0], limit: 10).map(\.id) == [ids[1]])
        #expect(try await store.availabilityHistory(chargePointId: a, after: nil, limit: 1).map(\.id) == [ids[0]])
        #expect(try await store.availabilityHistory(chargePointId: a, after: nil, limit: 0).isEmpty)
        #expect(
            try await store.availabilityHistory(chargePointId: b, after: nil, limit: 10).map(\.state) == [.connected])
        #expect(try await store.availabilityHistory(chargePointId: cp("CP-AV-NONE"), after: nil, limit: 10).isEmpty)
    }
}
