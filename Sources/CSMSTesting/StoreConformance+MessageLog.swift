public import CSMSCore
import Foundation
import Testing

extension StoreConformance {
    static func logEntry(_ id: ChargePointID, _ n: Int, action: String = "Heartbeat", at: Date) -> MessageLogEntry {
        MessageLogEntry(
            chargePointId: id, at: at, direction: n.isMultiple(of: 2) ? .outbound : .inbound, messageType: 2,
            action: action, messageId: "m\(n)", size: 10 + n, processingMicros: n.isMultiple(of: 2) ? n : nil,
            payload: n == 3 ? "[2,\"m3\",\"Heartbeat\",{}]" : nil, errorCode: n == 3 ? "FormationViolation" : nil)
    }

    /// Message log entries get increasing ids, come back unchanged per station (oldest first,
    /// by action, after a cursor), and are pruned by age and by count per station.
    public static func messageLogAppendsListsAndPrunes(_ makeStore: Factory) async throws {
        let store = try await makeStore()
        let a = cp("CP-LOG-A")
        let b = cp("CP-LOG-B")
        try await store.appendMessageLog([logEntry(a, 1, at: t(1)), logEntry(b, 2, at: t(2)), logEntry(a, 3, at: t(3))])
        try await store.appendMessageLog([
            logEntry(a, 4, action: "StatusNotification", at: t(4)), logEntry(a, 5, at: t(50)),
        ])
        try await store.appendMessageLog([])
        let all = try await store.messageLog(chargePointId: a, action: nil, after: nil, limit: 10)
        #expect(all.map(\.messageId) == ["m1", "m3", "m4", "m5"])
        let ids = all.compactMap(\.id)
        #expect(ids == ids.sorted() && Set(ids).count == 4)
        var expected = logEntry(a, 3, at: t(3))
        expected.id = all[1].id
        #expect(all[1] == expected, "every field round-trips")
        #expect(
            try await store.messageLog(chargePointId: a, action: "StatusNotification", after: nil, limit: 10).map(
                \.messageId) == ["m4"])
        #expect(
            try await store.messageLog(chargePointId: a, action: nil, after: ids[1], limit: 1).map(\.messageId) == [
                "m4"
            ])
        #expect(try await store.messageLog(chargePointId: a, action: nil, after: nil, limit: 0).isEmpty)

        #expect(try await store.pruneMessageLog(olderThan: t(2), maxPerStation: 100) == 1, "m1 is too old")
        #expect(try await store.pruneMessageLog(olderThan: t(0), maxPerStation: 2) == 1, "a keeps its newest two")
        #expect(
            try await store.messageLog(chargePointId: a, action: nil, after: nil, limit: 10).map(\.messageId) == [
                "m4", "m5",
            ])
        #expect(
            try await store.messageLog(chargePointId: b, action: nil, after: nil, limit: 10).map(\.messageId) == ["m2"])
    }
}
