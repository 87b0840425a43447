import CSMSCore
import CSMSProcessor
import CSMSServer
import Foundation
import Testing

@Suite("Dead letter API (live server)")
struct DeadLetterAPITests {
    private static let station = ChargePointID("CP-DLQ")!
    private static let other = ChargePointID("CP-OTHER")!

    private func letter(_ station: ChargePointID, _ frame: String, reason: String = "commit_failed") -> StoreWrite {
        .addDeadLetter(
            DeadLetter(
                chargePointId: station, protocolVersion: "ocpp1.6", rawFrame: frame, reason: reason, error: "x",
                receivedAt: Date(timeIntervalSince1970: 1_800_000_000)))
    }

    /// A registered station whose boot was accepted, and three dead letters: a Heartbeat that
    /// replays, a frame that never decodes, and one of another station.
    private func seed(_ store: TestStore) async throws {
        let at = Date(timeIntervalSince1970: 1_800_000_000)
        try await store.commit([
            .upsertChargePoint(ChargePointUpdate(id: Self.station, at: at)),
            .recordBoot(
                id: Self.station, info: BootInfo(vendor: "V", model: "M"), status: .accepted,
                protocolVersion: "ocpp1.6", at: at, register: false),
            letter(Self.station, #"[2,"h1","Heartbeat",{}]"#),
            letter(Self.station, #"[2,"h2""#, reason: "frame_ignored"),
            letter(Self.other, #"[2,"h3","Heartbeat",{}]"#),
        ])
    }

    @Test("list with filter and cursor, show, replay, delete")
    func lifecycle() async throws {
        let store = TestStore()
        try await seed(store)
        try await LiveServer.with(store: store, realProcessor: ProcessorConfiguration()) { server in
            let first = try await server.api("GET", "/api/v1/dead-letters?limit=2")
            #expect(first.status == 200)
            let items = try #require(try first.json()["items"] as? [[String: Any]])
            #expect(items.count == 2)
            let cursor = try #require(try first.json()["nextCursor"] as? String)
            let second = try await server.api("GET", "/api/v1/dead-letters?limit=2&cursor=\(cursor)")
            #expect((try second.json()["items"] as? [[String: Any]])?.first?["chargePointId"] as? String == "CP-OTHER")
            #expect(try second.json()["nextCursor"] is NSNull)
            let filtered = try await server.api("GET", "/api/v1/dead-letters?chargePointId=CP-OTHER")
            #expect((try filtered.json()["items"] as? [Any])?.count == 1)

            let heartbeat = try #require(items.first?["id"] as? Int)
            let broken = try #require(items.last?["id"] as? Int)
            let shown = try await server.api("GET", "/api/v1/dead-letters/\(heartbeat)")
            #expect(try shown.json()["rawFrame"] as? String == #"[2,"h1","Heartbeat",{}]"#)
            #expect(try shown.json()["attempts"] as? Int == 1)

            let replayed = try await server.api("POST", "/api/v1/dead-letters/\(heartbeat)/replay")
            #expect(replayed.status == 200)
            #expect(try replayed.json()["outcome"] as? String == "processed")
            let answer = try #require(try replayed.json()["answer"] as? [Any])
            #expect(answer.first as? Int == 3)
            #expect((answer.last as? [String: Any])?["currentTime"] is String)
            #expect(try await server.api("GET", "/api/v1/dead-letters/\(heartbeat)").status == 404)

            let failed = try await server.api("POST", "/api/v1/dead-letters/\(broken)/replay")
            #expect(failed.status == 409)
            #expect((try failed.json()["error"] as? [String: Any])?["code"] as? String == "replay_failed")
            #expect(try await server.api("GET", "/api/v1/dead-letters/\(broken)").json()["attempts"] as? Int == 2)

            #expect(try await server.api("DELETE", "/api/v1/dead-letters/\(broken)").status == 204)
            #expect(try await server.api("DELETE", "/api/v1/dead-letters/\(broken)").status == 404)
            #expect(try await server.api("GET", "/api/v1/dead-letters/abc").status == 400)
            #expect(try await server.api("GET", "/api/v1/dead-letters?cursor=-4").status == 400)
            #expect(try await server.api("GET", "/api/v1/dead-letters", token: "").status == 401)
        }
    }
}
