import CSMSCore
import CSMSServer
import Foundation
import Testing

@Suite("Named operator API tokens with scopes (live server)", .timeLimit(.minutes(2)))
struct APITokenTests {
    @Test("tokens are csms_ + 43 characters, stored as a SHA-256 digest with an 8-character lookup id")
    func format() {
        let (token, record) = APIToken.generate(name: "grafana", scope: .readOnly)
        #expect(token.hasPrefix("csms_") && token.count == 48)
        #expect(record.hash.hasPrefix("sha256:") && !record.hash.contains(token))
        #expect(record.lookupId == String(token.dropFirst(5).prefix(8)))
        #expect(APIToken.generate(name: "x", scope: .admin).token != token)
        #expect(APIToken.isValidName("ops-1.team_a") && !APIToken.isValidName("") && !APIToken.isValidName("a b"))
    }

    @Test("read-only tokens GET but get 403 on changes; admin tokens and the configured token change; others 401")
    func scopes() async throws {
        let (readOnly, readRecord) = APIToken.generate(name: "reader", scope: .readOnly)
        let (admin, adminRecord) = APIToken.generate(name: "ops", scope: .admin)
        try await SecureLiveServer.with(LiveServer.configuration()) { server in
            try await server.store.commit([.putAPIToken(readRecord), .putAPIToken(adminRecord)])
            func call(_ method: String, _ token: String) async throws -> Int {
                try await RawHTTP.request(
                    port: server.port, method: method, path: "/api/v1/charge-points/CP-T/security-profile",
                    headers: ["Authorization": "Bearer \(token)"],
                    body: method == "PUT" ? #"{"securityProfile":1}"# : nil
                ).status
            }
            #expect(try await call("GET", readOnly) == 200)
            #expect(try await call("PUT", readOnly) == 403)
            #expect(try await call("PUT", admin) == 200)
            #expect(try await call("PUT", LiveServer.apiToken) == 200)
            #expect(try await call("GET", "csms_" + String(repeating: "A", count: 43)) == 401)
            #expect(try await call("GET", String(admin.dropLast()) + "x") == 401)
            try await server.store.commit([.deleteAPIToken(name: "reader")])
            #expect(try await call("GET", readOnly) == 401)
            let log = server.logLines.all.joined(separator: "\n")
            #expect(!log.contains(readOnly) && !log.contains(admin) && !log.contains(LiveServer.apiToken))
        }
    }

    @Test("without a configured token, stored tokens alone open the API; with none it is disabled")
    func storedTokensOnly() async throws {
        var configuration = LiveServer.configuration()
        configuration.apiToken = nil
        let (token, record) = APIToken.generate(name: "only", scope: .admin)
        try await SecureLiveServer.with(configuration) { server in
            let disabled = try await RawHTTP.request(port: server.port, path: "/api/v1/certificates")
            #expect(disabled.status == 401 && disabled.bodyText.contains("disabled"))
            try await server.store.commit([.putAPIToken(record)])
            let ok = try await RawHTTP.request(
                port: server.port, path: "/api/v1/certificates", headers: ["Authorization": "Bearer \(token)"])
            #expect(ok.status == 200)
            let missing = try await RawHTTP.request(port: server.port, path: "/api/v1/certificates")
            #expect(missing.status == 401 && missing.bodyText.contains("missing bearer token"))
        }
    }
}
