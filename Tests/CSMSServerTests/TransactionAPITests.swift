import CSMSCore
import Foundation
import Testing

@Suite("Transaction API (live server)")
struct TransactionAPITests {
    static let t0 = Date(timeIntervalSince1970: 1_750_000_000)
    static let a = ChargePointID("CP-TA")!
    static let b = ChargePointID("CP-TB")!

    static func event(
        _ cp: ChargePointID, _ tx: String, _ kind: TransactionEventKind, seq: Int, at seconds: Double,
        value: String? = nil, evse: Int = 1
    ) -> StoreWrite {
        let at = t0.addingTimeInterval(seconds)
        let samples = value.map {
            [
                MeterSample(
                    chargePointId: cp, evseId: evse, timestamp: at, value: $0,
                    measurand: "Energy.Active.Import.Register",
                    unit: "Wh", context: "Sample.Periodic", receivedAt: at)
            ]
        }
        return .transaction(
            .event(
                TransactionUpdate(
                    chargePointId: cp, transactionId: tx, kind: kind, seqNo: seq, timestamp: at, evseId: evse,
                    connectorId: 1, idToken: AuthorizationToken(id: "TOK", type: "ISO14443"),
                    authorizationStatus: .accepted, samples: samples ?? [], messageId: "m\(seq)", receivedAt: at)))
    }

    /// A(T1 completed), A(T2 active), B(T1 active): ids shared between stations.
    static func seed(_ store: TestStore) async throws {
        try await store.commit([
            .upsertChargePoint(ChargePointUpdate(id: a, at: t0)),
            event(a, "T1", .started, seq: 0, at: 0, value: "100"),
            event(a, "T1", .updated, seq: 1, at: 10, value: "=1+2"),
            event(a, "T1", .ended, seq: 2, at: 20, value: "400"), event(a, "T2", .started, seq: 0, at: 30, value: "0"),
            event(b, "T1", .started, seq: 0, at: 40),
            .recordConnectorStatus(
                ConnectorStatus(
                    chargePointId: a, evseId: 1, connectorId: 1, status: "Occupied",
                    timestamp: t0.addingTimeInterval(30),
                    receivedAt: t0.addingTimeInterval(30))),
        ])
    }

    private func ids(_ body: [String: Any]) -> [String] {
        ((body["items"] as? [[String: Any]]) ?? []).compactMap { $0["transactionId"] as? String }
    }

    @Test("list: newest first, filters, cursor pages, invalid parameters")
    func list() async throws {
        let store = TestStore()
        try await Self.seed(store)
        try await LiveServer.with(store: store) { server in
            let all = try await server.api("GET", "/api/v1/transactions").json()
            #expect(ids(all) == ["T1", "T2", "T1"])
            #expect(all["nextCursor"] is NSNull)
            let first = try #require((all["items"] as? [[String: Any]])?.last)
            #expect(first["chargePointId"] as? String == "CP-TA" && first["status"] as? String == "Completed")
            #expect(first["energyWh"] as? Double == 300 && first["meterStart"] as? Double == 100)
            #expect(first["evseId"] as? Int == 1 && first["idToken"] as? String == "TOK")
            #expect((first["anomalies"] as? [Any])?.isEmpty == true)

            let active = try await server.api("GET", "/api/v1/transactions?status=Active&chargePointId=CP-TA").json()
            #expect(ids(active) == ["T2"])
            let window = try await server.api(
                "GET", "/api/v1/transactions?from=2025-06-15T15:07:00Z&to=2025-06-15T15:07:20Z"
            ).json()
            #expect(ids(window) == ["T2"])

            let page1 = try await server.api("GET", "/api/v1/transactions?limit=2").json()
            #expect(ids(page1) == ["T1", "T2"])
            let cursor = try #require(page1["nextCursor"] as? String)
            let page2 = try await server.api("GET", "/api/v1/transactions?limit=2&cursor=\(cursor)").json()
            #expect(ids(page2) == ["T1"] && page2["nextCursor"] is NSNull)

            for bad in ["status=Open", "limit=0", "from=yesterday", "cursor=x", "chargePointId=bad%20id"] {
                #expect(try await server.api("GET", "/api/v1/transactions?\(bad)").status == 400, "\(bad)")
            }
        }
    }

    @Test("detail with meter values; an id shared by two stations needs chargePointId; CSV export")
    func detailAndCSV() async throws {
        let store = TestStore()
        try await Self.seed(store)
        try await LiveServer.with(store: store) { server in
            let ambiguous = try await server.api("GET", "/api/v1/transactions/T1")
            #expect(ambiguous.status == 409)
            #expect(try await server.api("GET", "/api/v1/transactions/NOPE").status == 404)
            #expect(try await server.api("GET", "/api/v1/transactions/T1?chargePointId=CP-NONE").status == 404)

            let detail = try await server.api("GET", "/api/v1/transactions/T1?chargePointId=CP-TA").json()
            #expect(
                detail["state"] as? String == "Ended" && detail["stoppedAt"] as? String == "2025-06-15T15:07:00.000Z")
            let values = try #require(detail["meterValues"] as? [[String: Any]])
            #expect(values.compactMap { $0["value"] as? String } == ["100", "=1+2", "400"])
            #expect(values.first?["context"] as? String == "Sample.Periodic" && values.first?["evseId"] as? Int == 1)
            #expect(try await server.api("GET", "/api/v1/transactions/T2").status == 200)

            let csv = try await server.api("GET", "/api/v1/transactions/T1?chargePointId=CP-TA&format=csv")
            #expect(csv.status == 200)
            #expect(csv.headers["content-type"]?.hasPrefix("text/csv") == true)
            let lines = String(decoding: csv.body, as: UTF8.self).components(separatedBy: "\r\n")
            #expect(lines.first == "timestamp,measurand,phase,location,unit,multiplier,context,format,value,signedData")
            #expect(lines[1] == "2025-06-15T15:06:40.000Z,Energy.Active.Import.Register,,,Wh,,Sample.Periodic,,100,")
            #expect(lines[2].hasSuffix(",'=1+2,"))
            #expect(lines.count == 5 && lines[4].isEmpty)
            #expect(try await server.api("GET", "/api/v1/transactions/T2?format=xml").status == 400)
        }
    }

    @Test("the charge point detail and shadow show the active transaction")
    func shadowReflectsActiveTransaction() async throws {
        let store = TestStore()
        try await Self.seed(store)
        try await LiveServer.with(store: store) { server in
            let detail = try await server.api("GET", "/api/v1/charge-points/CP-TA").json()
            let connector = try #require((detail["connectors"] as? [[String: Any]])?.first)
            #expect(connector["transactionId"] as? String == "T2")
            let shadow = try await server.api("GET", "/api/v1/charge-points/CP-TA/shadow").json()
            let reported = try #require(shadow["reported"] as? [String: Any])
            let transactions = try #require(reported["transactions"] as? [[String: Any]])
            #expect(transactions.count == 1 && transactions.first?["transactionId"] as? String == "T2")
            #expect(transactions.first?["state"] as? String == "Started")
            #expect((shadow["timestamps"] as? [String: Any])?["transactions"] != nil)
        }
    }
}
