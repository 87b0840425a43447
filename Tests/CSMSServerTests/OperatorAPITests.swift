import CSMSCore
import CSMSServer
import Foundation
import Testing

@Suite("Operator API and health endpoints (live server)")
struct OperatorAPITests {
    private func errorCode(_ response: RawHTTP.Response) throws -> String? {
        (try response.json()["error"] as? [String: Any])?["code"] as? String
    }

    @Test("the API needs the bearer token; health and the OpenAPI document do not")
    func authentication() async throws {
        try await LiveServer.with { server in
            let missing = try await server.api("GET", "/api/v1/charge-points", token: "")
            #expect(missing.status == 401)
            #expect(try errorCode(missing) == "unauthorized")
            #expect(missing.headers["www-authenticate"] == "Bearer")
            #expect(try await server.api("GET", "/api/v1/charge-points", token: "wrong").status == 401)
            let ok = try await server.api("GET", "/api/v1/charge-points")
            #expect(ok.status == 200)
            #expect((try ok.json()["items"] as? [Any])?.isEmpty == true)
            #expect(try await server.api("GET", "/health/live", token: "").status == 200)
            #expect(try await server.api("GET", "/health/ready", token: "").status == 200)
            #expect(try await server.api("GET", "/api/v1/openapi.json", token: "").status == 200)
        }
    }

    @Test("without a configured token every API request is refused")
    func noTokenConfigured() async throws {
        var configuration = LiveServer.configuration()
        configuration.apiToken = nil
        try await LiveServer.with(configuration) { server in
            let response = try await server.api("GET", "/api/v1/charge-points", token: "anything")
            #expect(response.status == 401)
        }
    }

    @Test("unknown charge points, unknown routes and invalid ids")
    func notFound() async throws {
        try await LiveServer.with { server in
            let unknown = try await server.api("GET", "/api/v1/charge-points/NOPE")
            #expect(unknown.status == 404)
            #expect(try errorCode(unknown) == "not_found")
            #expect(try await server.api("GET", "/api/v1/charge-points/NOPE/shadow").status == 404)
            let route = try await server.api("GET", "/api/v1/nothing-here")
            #expect(route.status == 404)
            #expect(try errorCode(route) == "not_found")
            let invalid = try await server.api("GET", "/api/v1/charge-points/bad%20id")
            #expect(invalid.status == 400)
            #expect(try errorCode(invalid) == "invalid_request")
        }
    }

    @Test("PUT registers (201) then updates (200); the password is stored hashed and never shown")
    func putCreatesThenUpdates() async throws {
        try await LiveServer.with { server in
            let created = try await server.api(
                "PUT", "/api/v1/charge-points/CP-NEW", body: #"{"password":"pa55word-pa55word"}"#)
            #expect(created.status == 201)
            #expect(created.headers["location"] == "/api/v1/charge-points/CP-NEW")
            let body = try created.json()
            #expect(body["id"] as? String == "CP-NEW")
            #expect(body["hasPassword"] as? Bool == true)
            #expect(body["connected"] as? Bool == false)
            #expect(body["registrationStatus"] is NSNull)
            #expect(!created.bodyText.contains("pa55word"))
            let stored = try await server.store.chargePoint(ChargePointID("CP-NEW")!)
            #expect(stored?.passwordHash?.hasPrefix("pbkdf2-sha256$") == true)

            let updated = try await server.api(
                "PUT", "/api/v1/charge-points/CP-NEW", body: #"{"registrationStatus":"Accepted"}"#)
            #expect(updated.status == 200)
            #expect(try updated.json()["registrationStatus"] as? String == "Accepted")
            #expect(try await server.store.chargePoint(ChargePointID("CP-NEW")!)?.passwordHash == stored?.passwordHash)
            let leaks = server.logLines.all.filter { $0.contains("pa55word") || $0.contains(LiveServer.apiToken) }
            #expect(leaks.isEmpty, "\(leaks)")
        }
    }

    @Test(
        "PUT bodies are read strictly",
        arguments: [
            "not json", "[]", #"{"password": 5}"#, #"{"password": ""}"#, #"{"password": "fifteen-chars15"}"#,
            #"{"password": "forty-one-characters-are-one-too-many-xyz"}"#, #"{"registrationStatus": "Maybe"}"#,
            #"{"passw0rd": "x"}"#, #"{"password": "a", "password": "b"}"#,
        ])
    func invalidBodies(body: String) async throws {
        try await LiveServer.with { server in
            let response = try await server.api("PUT", "/api/v1/charge-points/CP-X", body: body)
            #expect(response.status == 400)
            #expect(try errorCode(response) == "invalid_request")
            #expect(try await server.store.chargePoint(ChargePointID("CP-X")!) == nil)
        }
    }

    @Test("detail with connectors, list with paging, and the shadow")
    func readViews() async throws {
        let store = TestStore()
        let at = Date(timeIntervalSince1970: 1_800_000_000)
        try await store.commit([
            .upsertChargePoint(ChargePointUpdate(id: ChargePointID("CP-A")!, at: at)),
            .upsertChargePoint(ChargePointUpdate(id: ChargePointID("CP-B")!, at: at)),
            .recordConnectorStatus(
                ConnectorStatus(
                    chargePointId: ChargePointID("CP-A")!, connectorId: 1, status: "Available", errorCode: "NoError",
                    timestamp: at, receivedAt: at)),
        ])
        try await LiveServer.with(store: store) { server in
            let detail = try await server.api("GET", "/api/v1/charge-points/CP-A").json()
            for key in [
                "id", "connected", "protocol", "registrationStatus", "vendor", "model", "serialNumber",
                "firmwareVersion", "lastSeen", "connectors",
            ] {
                #expect(detail[key] != nil, "\(key)")
            }
            let connectors = detail["connectors"] as? [[String: Any]]
            #expect(connectors?.count == 1)
            #expect(connectors?.first?["connectorId"] as? Int == 1)
            #expect(connectors?.first?["status"] as? String == "Available")
            #expect(connectors?.first?["errorCode"] as? String == "NoError")
            #expect(connectors?.first?["evseId"] == nil)
            #expect(connectors?.first?["updatedAt"] as? String == "2027-01-15T08:00:00.000Z")

            let page = try await server.api("GET", "/api/v1/charge-points?limit=1").json()
            #expect((page["items"] as? [[String: Any]])?.map { $0["id"] as? String } == ["CP-A"])
            #expect(page["next"] as? String == "CP-A")
            let rest = try await server.api("GET", "/api/v1/charge-points?limit=1&after=CP-A").json()
            #expect((rest["items"] as? [[String: Any]])?.map { $0["id"] as? String } == ["CP-B"])
            #expect(rest["next"] == nil)
            #expect(try await server.api("GET", "/api/v1/charge-points?limit=0").status == 400)

            let shadow = try await server.api("GET", "/api/v1/charge-points/CP-A/shadow").json()
            #expect(shadow["chargePointId"] as? String == "CP-A")
            #expect((shadow["reported"] as? [String: Any])?["connectors"] != nil)
            let stored = try await server.store.chargePoint(ChargePointID("CP-A")!)
            #expect(shadow["version"] as? Int == stored.map { Int($0.stateVersion) })
        }
    }

    @Test("readiness follows the database")
    func readiness() async throws {
        let store = TestStore()
        try await LiveServer.with(store: store) { server in
            #expect(try await server.api("GET", "/health/ready", token: "").status == 200)
            store.setReachable(false)
            let down = try await server.api("GET", "/health/ready", token: "")
            #expect(down.status == 503)
            #expect(try await server.api("GET", "/health/live", token: "").status == 200)
            let failing = try await server.api("GET", "/api/v1/charge-points")
            #expect(failing.status == 503)
            #expect(try errorCode(failing) == "unavailable")
        }
    }

    @Test("the OpenAPI document describes every route")
    func openAPIDocument() async throws {
        try await LiveServer.with { server in
            let document = try await server.api("GET", "/api/v1/openapi.json", token: "").json()
            #expect(document["openapi"] as? String == "3.1.0")
            let paths = document["paths"] as? [String: Any]
            for path in [
                "/health/live", "/health/ready", "/api/v1/charge-points", "/api/v1/charge-points/{id}",
                "/api/v1/charge-points/{id}/shadow", "/api/v1/openapi.json", "/api/v1/dead-letters",
                "/api/v1/dead-letters/{id}", "/api/v1/dead-letters/{id}/replay", "/api/v1/transactions",
                "/api/v1/transactions/{id}", "/api/v1/charge-points/{id}/security-profile", "/api/v1/security-events",
                "/api/v1/certificates",
            ] {
                #expect(paths?[path] != nil, "\(path)")
            }
        }
    }
}
