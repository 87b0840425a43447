import CSMSCore
import CSMSProcessor
import CSMSTesting
import Foundation
import MetricsTestKit
import OCPP
import Testing

@testable import CSMSServer

@Suite("Station authenticator and certificate binding (in process)", .timeLimit(.minutes(2)))
struct StationAuthenticatorTests {
    static let password = SecureLiveServer.password

    struct Fixture {
        let store = InMemoryStore()
        let metrics = TestMetrics()
        let authenticator: StationAuthenticator

        init(_ configure: (inout ServerConfiguration) -> Void = { _ in }) {
            var configuration = ServerConfiguration()
            configure(&configuration)
            authenticator = StationAuthenticator(
                configuration: configuration, store: store, metrics: SecurityMetrics(factory: metrics))
        }

        func register(_ id: String, password: String? = StationAuthenticatorTests.password, profile: Int? = nil)
            async throws
        {
            var writes: [StoreWrite] = [
                .upsertChargePoint(
                    ChargePointUpdate(
                        id: ChargePointID(id)!, passwordHash: password.map { _ in SecureLiveServer.passwordHash },
                        at: Date()))
            ]
            if let profile { writes.append(.setSecurityProfile(id: ChargePointID(id)!, profile: profile, at: Date())) }
            try await store.commit(writes)
        }

        func check(
            _ id: String, authorization: String? = nil, transport: TransportSecurity = .plain
        ) async -> Result<AuthenticatedStation, AuthenticationFailure> {
            let request = UpgradeRequest(
                path: "/ocpp/\(id)", offeredSubprotocols: ["ocpp1.6"], authorization: authorization)
            do {
                return .success(
                    try await authenticator.authenticate(
                        request, id: ChargePointID(id)!, address: "192.0.2.9", transport: transport))
            } catch {
                return .failure(error.failure)
            }
        }

        func failures(_ reason: AuthenticationFailure) -> Int64 {
            metrics.counters(label: SecurityMetrics.authenticationFailures, dimensions: [("reason", reason.rawValue)])
                .map(\.totalValue).reduce(0, +)
        }
    }

    static func basic(_ user: String, _ password: String) -> String {
        "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
    }

    @Test("profile 1: the achieved profile per case, and each failure counted under its reason")
    func profile1() async throws {
        let f = Fixture()
        try await f.register("CP-A")
        #expect(try await f.check("CP-A", authorization: Self.basic("CP-A", Self.password)).get().profile == 1)
        #expect(try await f.check("CP-FREE").get().profile == 0)  // no password, no own profile
        #expect(await f.check("CP-A") == .failure(.missingCredentials))
        #expect(await f.check("CP-A", authorization: "Bearer x") == .failure(.missingCredentials))
        #expect(await f.check("CP-A", authorization: Self.basic("CP-B", Self.password)) == .failure(.wrongUser))
        #expect(await f.check("CP-A", authorization: Self.basic("CP-A", "x")) == .failure(.wrongPassword))
        #expect(f.failures(.missingCredentials) == 2)
        #expect(f.failures(.wrongUser) == 1 && f.failures(.wrongPassword) == 1)
    }

    @Test("per-station profiles: no downgrade; own profile 1 needs a password; profile 0 checks nothing")
    func perStationProfiles() async throws {
        let f = Fixture()
        try await f.register("CP-2", profile: 2)
        try await f.register("CP-1", password: nil, profile: 1)
        try await f.register("CP-0", profile: 0)
        let tls = TransportSecurity(isTLS: true, clientCertificate: nil)
        #expect(await f.check("CP-2", authorization: Self.basic("CP-2", Self.password)) == .failure(.profileTooLow))
        #expect(
            try await f.check("CP-2", authorization: Self.basic("CP-2", Self.password), transport: tls).get().profile
                == 2)
        #expect(await f.check("CP-1") == .failure(.missingCredentials))
        #expect(await f.check("CP-1", authorization: Self.basic("CP-1", "anything")) == .failure(.wrongPassword))
        #expect(try await f.check("CP-0").get().profile == 0)
        #expect(f.failures(.profileTooLow) == 1)
    }

    @Test("configured profile 2: plain ws:// is a downgrade for every station; plain switched off is 403")
    func configuredProfile2() async throws {
        let f = Fixture { $0.securityProfile = .tlsWithBasicAuth }
        try await f.register("CP-X")
        #expect(await f.check("CP-X", authorization: Self.basic("CP-X", Self.password)) == .failure(.profileTooLow))
        #expect(
            await f.check("CP-NEW", transport: TransportSecurity(isTLS: true, clientCertificate: nil))
                == .failure(.missingCredentials))
        let off = Fixture { $0.security.plainWebSocket = false }
        #expect(await off.check("CP-X") == .failure(.plainWebSocketDisabled))
    }

    @Test("profile 3 with real certificates: CN must contain the id, O must be the operator's")
    func certificates() async throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        let f = Fixture { $0.security.operatorName = "Test Operator" }
        try await f.register("CP-3", profile: 3)
        func transport(_ leaf: TestPKI.Leaf) -> TransportSecurity {
            TransportSecurity(isTLS: true, clientCertificate: CertificateIdentity(leaf.certificate))
        }
        let good = try pki.station(file: "good", commonName: "serial-CP-3-x")
        #expect(try await f.check("CP-3", transport: transport(good)).get().profile == 3)
        let wrongCN = try pki.station(file: "cn", commonName: "CP-4")
        #expect(await f.check("CP-3", transport: transport(wrongCN)) == .failure(.certificateMismatch))
        let wrongO = try pki.station(file: "o", commonName: "CP-3", organization: "Other")
        #expect(await f.check("CP-3", transport: transport(wrongO)) == .failure(.certificateMismatch))
        #expect(
            await f.check("CP-3", transport: TransportSecurity(isTLS: true, clientCertificate: nil))
                == .failure(.profileTooLow))
        let identity = CertificateIdentity(wrongO.certificate)
        #expect(
            identity.mismatchDescription(id: ChargePointID("CP-3")!, operatorName: "Test Operator").contains(
                "O 'Other'"))
        #expect(identity.serialNumber.count >= 2 && identity.notAfter > Date())
    }

    @Test("after the burst, attempts are rate limited before any password check")
    func rateLimit() async throws {
        let f = Fixture {
            $0.security.authFailureBurst = 3
            $0.security.authFailureRefillSeconds = 3600
        }
        try await f.register("CP-R")
        for _ in 0..<3 { #expect(await f.check("CP-R") == .failure(.missingCredentials)) }
        #expect(await f.check("CP-R", authorization: Self.basic("CP-R", Self.password)) == .failure(.rateLimited))
        #expect(f.failures(.rateLimited) == 1)
    }

    @Test("an unreachable store refuses with 503 and counts nothing against the station")
    func storeDown() async throws {
        let store = TestStore()
        let metrics = TestMetrics()
        let authenticator = StationAuthenticator(
            configuration: ServerConfiguration(), store: store, metrics: SecurityMetrics(factory: metrics))
        store.setReachable(false)
        let request = UpgradeRequest(path: "/ocpp/CP-S", offeredSubprotocols: [], authorization: nil)
        await #expect(throws: AuthenticationRefusal.self) {
            try await authenticator.authenticate(request, id: ChargePointID("CP-S")!, address: nil, transport: .plain)
        }
        #expect(authenticator.limiter.entryCount == 0)
    }

    @Test("the binding hook finds the 2.x BootNotification serial number and nothing else")
    func bootSerial() {
        let boot = Array(
            #"[2,"1","BootNotification",{"reason":"PowerUp","chargingStation":{"model":"M","vendorName":"V","serialNumber":"SN-1"}}]"#
                .utf8)
        #expect(CertificateBindingProcessor.bootSerialNumber(boot, version: .v201) == "SN-1")
        let noSerial = Array(
            #"[2,"1","BootNotification",{"reason":"PowerUp","chargingStation":{"model":"M","vendorName":"V"}}]"#.utf8)
        #expect(CertificateBindingProcessor.bootSerialNumber(noSerial, version: .v201) == nil)
        #expect(
            CertificateBindingProcessor.bootSerialNumber(Array(#"[2,"1","Heartbeat",{}]"#.utf8), version: .v201) == nil)
        #expect(CertificateBindingProcessor.bootSerialNumber(Array("garbage".utf8), version: .v21) == nil)
    }
}
