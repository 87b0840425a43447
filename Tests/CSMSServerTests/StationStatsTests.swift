import CSMSCore
import CSMSServer
import Foundation
import OCPP
import Testing

@Suite("Per-station stats from the message log")
struct StationStatsTests {
    private static let station = ChargePointID("CP-STATS")!

    private static func entry(
        _ direction: MessageLogEntry.Direction, _ type: Int, _ action: String, _ id: String, at: Date,
        micros: Int? = nil, code: String? = nil
    ) -> MessageLogEntry {
        MessageLogEntry(
            chargePointId: station, at: at, direction: direction, messageType: type, action: action, messageId: id,
            size: 10, processingMicros: micros, errorCode: code)
    }

    @Test("messages by action, CALLERRORs by code and action, the last error, processing time; window and 404")
    func stats() async throws {
        let store = TestStore()
        let now = Date()
        try await store.commit([.upsertChargePoint(ChargePointUpdate(id: Self.station, at: now))])
        try await store.appendMessageLog([
            Self.entry(.inbound, 2, "Heartbeat", "old", at: now.addingTimeInterval(-100_000)),
            Self.entry(.inbound, 2, "Heartbeat", "h1", at: now.addingTimeInterval(-60)),
            Self.entry(.outbound, 3, "Heartbeat", "h1", at: now.addingTimeInterval(-60), micros: 100),
            Self.entry(.inbound, 2, "StatusNotification", "s1", at: now.addingTimeInterval(-50)),
            Self.entry(
                .outbound, 4, "StatusNotification", "s1", at: now.addingTimeInterval(-50), micros: 300,
                code: "FormationViolation"),
            Self.entry(.inbound, 3, "", "r1", at: now.addingTimeInterval(-40)),
        ])
        try await LiveServer.with(store: store) { server in
            let response = try await server.api("GET", "/api/v1/charge-points/CP-STATS/stats")
            #expect(response.status == 200)
            let body = try response.json()
            #expect(body["messages"] as? [String: Int] == ["Heartbeat": 1, "StatusNotification": 1])
            let errors = try #require(body["errors"] as? [String: Any])
            #expect(errors["total"] as? Int == 1)
            #expect(errors["byCode"] as? [String: Int] == ["FormationViolation": 1])
            #expect(errors["byAction"] as? [String: Int] == ["StatusNotification": 1])
            let last = try #require(body["lastError"] as? [String: Any])
            #expect(last["messageId"] as? String == "s1" && last["code"] as? String == "FormationViolation")
            let handler = try #require(body["handlerTime"] as? [String: Any])
            #expect(handler["count"] as? Int == 2 && handler["averageMicros"] as? Int == 200)
            #expect(handler["p99Micros"] as? Int == 300)

            let week = try await server.api("GET", "/api/v1/charge-points/CP-STATS/stats?window=604800").json()
            #expect((week["messages"] as? [String: Int])?["Heartbeat"] == 2)
            #expect(try await server.api("GET", "/api/v1/charge-points/CP-STATS/stats?window=0").status == 400)
            #expect(try await server.api("GET", "/api/v1/charge-points/NOPE/stats").status == 404)
        }
    }
}
