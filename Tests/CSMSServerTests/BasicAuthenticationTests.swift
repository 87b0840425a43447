import CSMSCore
import CSMSServer
import Foundation
import NIOWebSocket
import Testing

/// Profile 1 on the plain listener: 401 answers, the failed-attempt limit, plain ws:// off,
/// and the security API (live server, raw HTTP handshakes).
@Suite("Basic authentication and security API (live server)", .timeLimit(.minutes(2)))
struct BasicAuthenticationTests {
    static let password = SecureLiveServer.password

    static func register(_ server: SecureLiveServer, _ id: String) async throws {
        try await server.store.commit([
            .upsertChargePoint(
                ChargePointUpdate(
                    id: ChargePointID(id)!, passwordHash: SecureLiveServer.passwordHash, at: Date()))
        ])
    }

    static func handshake(_ server: SecureLiveServer, _ id: String, _ authorization: String?) async throws
        -> RawHTTP.Response
    {
        try await RawHTTP.webSocketHandshake(
            port: server.port, path: "/ocpp/\(id)", subprotocols: ["ocpp1.6"], authorization: authorization)
    }

    @Test("a refused Basic authentication is answered 401 with WWW-Authenticate: Basic, before the upgrade")
    func unauthorizedChallenge() async throws {
        try await SecureLiveServer.with(LiveServer.configuration()) { server in
            try await Self.register(server, "CP-401")
            let response = try await Self.handshake(server, "CP-401", nil)
            #expect(response.status == 401)
            #expect(response.headers["www-authenticate"]?.hasPrefix("Basic realm=\"OCPP\"") == true)
            #expect(response.headers["sec-websocket-accept"] == nil)
            // The right password (checked with PBKDF2, which is slow in a debug build on a busy
            // machine: our client waits longer than the raw one).
            let good = await server.connect(
                "CP-401", tls: nil, authorization: SecureLiveServer.basic("CP-401", Self.password))
            #expect(good.isConnected)
        }
    }

    @Test("after the burst of failures, attempts are answered 429 with Retry-After, even with the right password")
    func rateLimited() async throws {
        var configuration = LiveServer.configuration()
        configuration.security.authFailureBurst = 2
        configuration.security.authFailureRefillSeconds = 600
        try await SecureLiveServer.with(configuration) { server in
            try await Self.register(server, "CP-RL")
            // Wrong user names: failures that need no password hash (fast on a busy machine).
            let wrong = SecureLiveServer.basic("CP-SOMEONE", Self.password)
            #expect(try await Self.handshake(server, "CP-RL", wrong).status == 401)
            #expect(try await Self.handshake(server, "CP-RL", wrong).status == 401)
            let limited = try await Self.handshake(server, "CP-RL", SecureLiveServer.basic("CP-RL", Self.password))
            #expect(limited.status == 429)
            #expect(Int(limited.headers["retry-after"] ?? "") ?? 0 >= 1)
            // The address is limited too: another id from the same address waits as well.
            #expect(try await Self.handshake(server, "CP-OTHER", nil).status == 429)
            let events = try await server.store.securityEvents(chargePointId: nil, after: nil, limit: 10)
            #expect(events.count == 2)  // the limited attempts are counted in the metric, not stored
        }
    }

    @Test("with plain ws:// switched off, the plain listener refuses every station with 403")
    func plainSwitchedOff() async throws {
        var configuration = LiveServer.configuration()
        configuration.security.plainWebSocket = false
        try await SecureLiveServer.with(configuration) { server in
            try await Self.register(server, "CP-PLAIN")
            let response = try await Self.handshake(
                server, "CP-PLAIN", SecureLiveServer.basic("CP-PLAIN", Self.password))
            #expect(response.status == 403)
            // The API still answers on the plain listener.
            let api = try await RawHTTP.request(
                port: server.port, path: "/api/v1/security-events",
                headers: ["Authorization": "Bearer \(LiveServer.apiToken)"])
            #expect(api.status == 200)
        }
    }

    @Test("the API sets and clears a station's profile, refuses bad values, and lists security events")
    func securityAPI() async throws {
        try await SecureLiveServer.with(LiveServer.configuration()) { server in
            func api(_ method: String, _ path: String, _ body: String? = nil) async throws -> RawHTTP.Response {
                try await RawHTTP.request(
                    port: server.port, method: method, path: "/api/v1" + path,
                    headers: ["Authorization": "Bearer \(LiveServer.apiToken)"], body: body)
            }
            let initial = try await api("GET", "/charge-points/CP-API/security-profile").json()
            #expect(initial["securityProfile"] is NSNull && initial["effective"] as? Int == 1)
            let set = try await api("PUT", "/charge-points/CP-API/security-profile", #"{"securityProfile":3}"#)
            #expect(set.status == 200)
            #expect(try set.json()["effective"] as? Int == 3)
            #expect(try await server.store.securityProfile(of: ChargePointID("CP-API")!) == 3)
            for bad in [#"{"securityProfile":4}"#, #"{"securityProfile":"2"}"#, #"{}"#, "not json"] {
                #expect(try await api("PUT", "/charge-points/CP-API/security-profile", bad).status == 400, "\(bad)")
            }
            _ = try await api("PUT", "/charge-points/CP-API/security-profile", #"{"securityProfile":null}"#)
            #expect(try await server.store.securityProfile(of: ChargePointID("CP-API")!) == nil)

            try await Self.register(server, "CP-EV")
            for _ in 0..<3 { _ = try await Self.handshake(server, "CP-EV", nil) }
            let page = try await api("GET", "/security-events?chargePointId=CP-EV&limit=2").json()
            let items = try #require(page["items"] as? [[String: Any]])
            #expect(items.count == 2)
            #expect(items.first?["type"] as? String == "csms.connection_refused.missing_credentials")
            #expect(items.first?["source"] as? String == "csms")
            #expect(items.first?["remoteAddress"] as? String == "127.0.0.1")
            let next = try #require(page["next"] as? Int)
            let rest = try await api("GET", "/security-events?after=\(next)").json()
            #expect((rest["items"] as? [[String: Any]])?.count == 1)
            #expect(try await api("GET", "/security-events?limit=0").status == 400)
            #expect(try await api("GET", "/certificates").status == 200)
            let unauthenticated = try await RawHTTP.request(port: server.port, path: "/api/v1/security-events")
            #expect(unauthenticated.status == 401)
        }
    }

    @Test("a second connection of the same station is stored as a duplicate_connection security event")
    func duplicateConnection() async throws {
        try await SecureLiveServer.with(LiveServer.configuration()) { server in
            let first = await server.connect("CP-DUP", tls: nil) { inbound, _ in
                let second = await server.connect("CP-DUP", tls: nil)
                #expect(second.isConnected)
                for try await _ in inbound {}
            }
            #expect(first == .connected(closeCode: "\(WebSocketErrorCode.normalClosure)"))
            let events = try await server.store.securityEvents(
                chargePointId: ChargePointID("CP-DUP")!, after: nil, limit: 10)
            #expect(events.map(\.type) == ["csms.duplicate_connection"])
            #expect(events.first?.techInfo == "replaced the connection from 127.0.0.1")
        }
    }
}
