import CSMSCore
import CSMSServer
import Foundation
import HummingbirdWSClient
import NIOSSL
import NIOWebSocket
import Testing

/// Security profiles 1-3 against a live server with real TLS (certificates made in the test).
@Suite("Station security profiles (live server, real TLS)", .timeLimit(.minutes(2)))
struct StationSecurityTests {
    static let password = SecureLiveServer.password

    /// A PKI, a configuration with both listeners, and stations CP-P2 (profile 2, password)
    /// and CP-P3 (profile 3).
    static func withServer(
        operatorName: String? = "Test Operator", reloadInterval: Duration? = nil,
        _ body: (SecureLiveServer, TestPKI) async throws -> Void
    ) async throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        let server = try pki.server()
        var configuration = LiveServer.configuration()
        configuration.tls = TLSSettings(
            port: 0, certificatePath: server.certificatePath, privateKeyPath: server.keyPath,
            clientCAPath: pki.caPath, reloadInterval: reloadInterval)
        configuration.security.operatorName = operatorName
        let store = TestStore()
        let now = Date()
        try await store.commit([
            .upsertChargePoint(
                ChargePointUpdate(
                    id: ChargePointID("CP-P2")!, passwordHash: SecureLiveServer.passwordHash, at: now)),
            .setSecurityProfile(id: ChargePointID("CP-P2")!, profile: 2, at: now),
            .setSecurityProfile(id: ChargePointID("CP-P3")!, profile: 3, at: now),
        ])
        try await SecureLiveServer.with(configuration, store: store) { live in try await body(live, pki) }
    }

    @Test("profile 2: TLS + correct Basic auth connects; no auth, wrong password, other user are refused")
    func profile2() async throws {
        try await Self.withServer { server, pki in
            let tls = try SecureLiveServer.clientTLS(caPath: pki.caPath)
            let basic = SecureLiveServer.basic
            #expect(await server.connect("CP-P2", tls: tls, authorization: basic("CP-P2", Self.password)).isConnected)
            #expect(!(await server.connect("CP-P2", tls: tls).isConnected))
            #expect(
                !(await server.connect("CP-P2", tls: tls, authorization: basic("CP-P2", "wrong-password-123")))
                    .isConnected)
            #expect(
                !(await server.connect("CP-P2", tls: tls, authorization: basic("CP-P3", Self.password))).isConnected)
            let events = try await server.store.securityEvents(
                chargePointId: ChargePointID("CP-P2")!, after: nil, limit: 10)
            #expect(
                events.map(\.type) == [
                    "csms.connection_refused.missing_credentials", "csms.connection_refused.wrong_password",
                    "csms.connection_refused.wrong_user",
                ])
        }
    }

    @Test("downgrade: a profile 2 station is refused on plain ws:// even with the right password (403)")
    func downgradeRefused() async throws {
        try await Self.withServer { server, _ in
            let response = try await RawHTTP.webSocketHandshake(
                port: server.port, path: "/ocpp/CP-P2", subprotocols: ["ocpp1.6"],
                authorization: SecureLiveServer.basic("CP-P2", Self.password))
            #expect(response.status == 403)
            let plain = try await RawHTTP.webSocketHandshake(
                port: server.port, path: "/ocpp/CP-P3", subprotocols: ["ocpp1.6"])
            #expect(plain.status == 403)
            let events = try await server.store.securityEvents(chargePointId: nil, after: nil, limit: 10)
            #expect(events.map(\.type) == Array(repeating: "csms.connection_refused.profile_too_low", count: 2))
            #expect(events.first?.techInfo == "over plain ws")
        }
    }

    @Test("TLS 1.0 and 1.1 are refused; TLS 1.2 and 1.3 connect")
    func tlsVersions() async throws {
        try await Self.withServer { server, pki in
            // A client certificate (profile 3): no password hash to check, which keeps the
            // shared PBKDF2 threads free for the tests running in parallel.
            let leaf = try pki.station(file: "versions", commonName: "CP-P3")
            for version in [TLSVersion.tlsv1, .tlsv11] {
                let tls = try SecureLiveServer.clientTLS(caPath: pki.caPath, leaf: leaf, maximumVersion: version)
                #expect(!(await server.connect("CP-P3", tls: tls)).isConnected, "\(version)")
            }
            for version in [TLSVersion.tlsv12, .tlsv13] {
                let tls = try SecureLiveServer.clientTLS(
                    caPath: pki.caPath, leaf: leaf, maximumVersion: version, minimumVersion: version)
                #expect(await server.connect("CP-P3", tls: tls).isConnected, "\(version)")
            }
        }
    }

    @Test(
        "profile 3: the right certificate connects without Basic auth; none, expired, wrong CN, wrong O, foreign CA are refused"
    )
    func profile3() async throws {
        try await Self.withServer { server, pki in
            let good = try pki.station(file: "good", commonName: "CP-P3")
            #expect(
                await server.connect("CP-P3", tls: try SecureLiveServer.clientTLS(caPath: pki.caPath, leaf: good))
                    .isConnected)

            #expect(
                !(await server.connect("CP-P3", tls: try SecureLiveServer.clientTLS(caPath: pki.caPath))).isConnected)
            let expired = try pki.station(
                file: "expired", commonName: "CP-P3", notBefore: Date().addingTimeInterval(-7200),
                notAfter: Date().addingTimeInterval(-3600))
            #expect(
                !(await server.connect("CP-P3", tls: try SecureLiveServer.clientTLS(caPath: pki.caPath, leaf: expired)))
                    .isConnected)
            let wrongCN = try pki.station(file: "wrong-cn", commonName: "CP-OTHER")
            #expect(
                !(await server.connect("CP-P3", tls: try SecureLiveServer.clientTLS(caPath: pki.caPath, leaf: wrongCN)))
                    .isConnected)
            let wrongO = try pki.station(file: "wrong-o", commonName: "CP-P3", organization: "Somebody Else")
            #expect(
                !(await server.connect("CP-P3", tls: try SecureLiveServer.clientTLS(caPath: pki.caPath, leaf: wrongO)))
                    .isConnected)
            let foreignPKI = try TestPKI(caName: "Foreign CA")
            defer { foreignPKI.remove() }
            let foreign = try foreignPKI.station(file: "foreign", commonName: "CP-P3")
            #expect(
                !(await server.connect("CP-P3", tls: try SecureLiveServer.clientTLS(caPath: pki.caPath, leaf: foreign)))
                    .isConnected)

            // A certificate also lifts a profile 2 station to profile 3 (no password needed).
            let p2 = try pki.station(file: "p2", commonName: "CP-P2")
            #expect(
                await server.connect("CP-P2", tls: try SecureLiveServer.clientTLS(caPath: pki.caPath, leaf: p2))
                    .isConnected)

            let events = try await server.store.securityEvents(
                chargePointId: ChargePointID("CP-P3")!, after: nil, limit: 10)
            #expect(
                events.map(\.type) == [
                    "csms.connection_refused.profile_too_low",  // no certificate
                    "csms.connection_refused.certificate_mismatch",  // CN
                    "csms.connection_refused.certificate_mismatch",  // O
                ])
            try #require(events.count == 3)
            #expect(events[1].techInfo?.contains("CN 'CP-OTHER'") == true)
            #expect(events[2].techInfo?.contains("O 'Somebody Else'") == true)
        }
    }

    @Test("profile 3, 2.0.1: a BootNotification serial number not in the certificate CN closes the connection")
    func bootSerialBinding() async throws {
        try await Self.withServer { server, pki in
            let leaf = try pki.station(file: "serial", commonName: "CP-P3 SN-123")
            let tls = try SecureLiveServer.clientTLS(caPath: pki.caPath, leaf: leaf)
            @Sendable func boot(_ serial: String) -> String {
                #"[2,"b1","BootNotification",{"reason":"PowerUp","chargingStation":{"model":"M","vendorName":"V","serialNumber":"\#(serial)"}}]"#
            }
            let matching = await server.connect("CP-P3", tls: tls) { inbound, outbound in
                try await outbound.write(.text(boot("SN-123")))
                for try await message in inbound.messages(maxSize: 1 << 16) {
                    if case .text(let text) = message { #expect(text.hasPrefix(#"[3,"b1""#)) }
                    break
                }
            }
            #expect(matching.isConnected)
            let mismatching = await server.connect("CP-P3", tls: tls) { inbound, outbound in
                try await outbound.write(.text(boot("SN-999")))
                for try await _ in inbound.messages(maxSize: 1 << 16) { Issue.record("answered a mismatching boot") }
            }
            #expect(mismatching == .connected(closeCode: "\(WebSocketErrorCode.policyViolation)"))
            let events = try await server.store.securityEvents(
                chargePointId: ChargePointID("CP-P3")!, after: nil, limit: 10)
            #expect(events.map(\.type) == ["csms.boot_serial_mismatch"])
        }
    }

    @Test("changed certificate files are loaded for new connections; a live connection stays up")
    func reloadKeepsLiveConnections() async throws {
        try await Self.withServer(reloadInterval: .seconds(1)) { server, pki in
            // Client certificates (profile 3) rather than passwords: no PBKDF2 per attempt.
            let live = try pki.station(file: "live", commonName: "CP-P3")
            let probe = try pki.station(file: "probe", commonName: "CP-PROBE")
            let newPKI = try TestPKI(caName: "New Root CA")
            defer { newPKI.remove() }
            let newTLS = try SecureLiveServer.clientTLS(caPath: newPKI.caPath, leaf: probe)
            #expect(!(await server.connect("CP-PROBE", tls: newTLS)).isConnected)

            let outcome = await server.connect(
                "CP-P3", tls: try SecureLiveServer.clientTLS(caPath: pki.caPath, leaf: live)
            ) { inbound, outbound in
                // Replace the server certificate and key with ones from the new CA.
                let replacement = try newPKI.server(file: "replacement")
                try pki.write(try String(contentsOfFile: replacement.keyPath, encoding: .utf8), to: "server-key.pem")
                try pki.write(
                    try String(contentsOfFile: replacement.certificatePath, encoding: .utf8), to: "server.pem")
                var reloaded = false
                for _ in 0..<100 where !reloaded {
                    try await Task.sleep(for: .milliseconds(100))
                    reloaded = await server.connect("CP-PROBE", tls: newTLS).isConnected
                }
                #expect(reloaded)
                // The connection opened before the reload still works.
                try await outbound.write(.text(#"[2,"h1","Heartbeat",{}]"#))
                for try await message in inbound.messages(maxSize: 1 << 16) {
                    if case .text(let text) = message { #expect(text.hasPrefix(#"[3,"h1""#)) }
                    break
                }
            }
            #expect(outcome.isConnected)
        }
    }

    @Test("secrets never reach the log: passwords, Basic credentials, the API token")
    func secretsAbsentFromLogs() async throws {
        try await Self.withServer { server, pki in
            let tls = try SecureLiveServer.clientTLS(caPath: pki.caPath)
            _ = await server.connect("CP-P2", tls: tls, authorization: SecureLiveServer.basic("CP-P2", Self.password))
            _ = await server.connect(
                "CP-P2", tls: tls, authorization: SecureLiveServer.basic("CP-P2", "guess-guess-guess-1"))
            let api = try await RawHTTP.request(
                port: server.port, path: "/api/v1/security-events",
                headers: ["Authorization": "Bearer \(LiveServer.apiToken)"])
            #expect(api.status == 200)
            let log = server.logLines.all.joined(separator: "\n")
            #expect(!log.isEmpty)
            for secret in [
                Self.password, "guess-guess-guess-1", LiveServer.apiToken,
                Data("CP-P2:\(Self.password)".utf8).base64EncodedString(),
            ] {
                #expect(!log.contains(secret), "secret in log")
            }
        }
    }
}
