public import CSMSCore
import Foundation
import Testing

extension StoreConformance {
    /// A station's own security profile is absent until set, replaced by a later set, and
    /// cleared by `nil`; it needs no registered charge point.
    public static func securityProfileSetReplacedCleared(_ makeStore: Factory) async throws {
        let store = try await makeStore()
        let a = cp("CP-PROF-A")
        #expect(try await store.securityProfile(of: a) == nil)
        try await store.commit([.setSecurityProfile(id: a, profile: 2, at: t(1))])
        #expect(try await store.securityProfile(of: a) == 2)
        try await store.commit([.setSecurityProfile(id: a, profile: 3, at: t(2))])
        #expect(try await store.securityProfile(of: a) == 3)
        #expect(try await store.securityProfile(of: cp("CP-PROF-B")) == nil)
        try await store.commit([.setSecurityProfile(id: a, profile: nil, at: t(3))])
        #expect(try await store.securityProfile(of: a) == nil)
    }

    /// Security events get increasing ids, keep their fields (dates to the millisecond), and
    /// are listed by station, after an id, up to a limit.
    public static func securityEventsGetIncreasingIdsAndPage(_ makeStore: Factory) async throws {
        let store = try await makeStore()
        let a = cp("CP-SEC-A")
        let b = cp("CP-SEC-B")
        func event(_ id: ChargePointID, _ type: String, _ second: Double) -> SecurityEvent {
            SecurityEvent(
                chargePointId: id, source: .csms, type: type, techInfo: "info \(type)", occurredAt: t(second + 0.0004),
                receivedAt: t(second), remoteAddress: "192.0.2.1")
        }
        try await store.commit([.addSecurityEvent(event(a, "one", 1)), .addSecurityEvent(event(b, "two", 2))])
        try await store.commit([
            .addSecurityEvent(
                SecurityEvent(
                    chargePointId: a, source: .station, type: "FirmwareUpdated", occurredAt: t(3), receivedAt: t(3)))
        ])
        let all = try await store.securityEvents(chargePointId: nil, after: nil, limit: 10)
        #expect(all.map(\.type) == ["one", "two", "FirmwareUpdated"])
        let ids = all.compactMap(\.id)
        #expect(ids.count == 3 && ids == ids.sorted() && Set(ids).count == 3)
        #expect(all[0].occurredAt == t(1))  // 0.4 ms rounds away
        #expect(all[0].techInfo == "info one" && all[0].remoteAddress == "192.0.2.1" && all[0].source == .csms)
        #expect(all[2].techInfo == nil && all[2].remoteAddress == nil && all[2].source == .station)
        #expect(
            try await store.securityEvents(chargePointId: a, after: nil, limit: 10).map(\.type) == [
                "one", "FirmwareUpdated",
            ])
        #expect(try await store.securityEvents(chargePointId: nil, after: ids[0], limit: 1).map(\.type) == ["two"])
        #expect(try await store.securityEvents(chargePointId: nil, after: nil, limit: 0).isEmpty)
    }

    /// Certificates are listed soonest expiry first; one with the same station and serial is
    /// replaced.
    public static func stationCertificatesByExpiry(_ makeStore: Factory) async throws {
        let store = try await makeStore()
        let a = cp("CP-CERT-A")
        let b = cp("CP-CERT-B")
        func certificate(_ id: ChargePointID, _ serial: String, expires: Double) -> StationCertificate {
            StationCertificate(
                chargePointId: id, serialNumber: serial, certificateType: "ChargingStationCertificate",
                subject: "CN=\(id.rawValue),O=Operator", notBefore: t(0), notAfter: t(expires), pem: "PEM-\(serial)",
                issuedAt: t(1))
        }
        try await store.commit([
            .recordStationCertificate(certificate(a, "0a", expires: 300)),
            .recordStationCertificate(certificate(b, "0b", expires: 100)),
            .recordStationCertificate(certificate(a, "0c", expires: 200)),
        ])
        #expect(try await store.stationCertificates(of: nil).map(\.serialNumber) == ["0b", "0c", "0a"])
        #expect(try await store.stationCertificates(of: a).map(\.serialNumber) == ["0c", "0a"])
        try await store.commit([.recordStationCertificate(certificate(a, "0a", expires: 50))])
        let listed = try await store.stationCertificates(of: a)
        #expect(listed.map(\.serialNumber) == ["0a", "0c"])
        #expect(listed.first == certificate(a, "0a", expires: 50))
    }

    /// API tokens are created, replaced by name, listed by name and deleted.
    public static func apiTokensPutReplaceDelete(_ makeStore: Factory) async throws {
        let store = try await makeStore()
        let first = APITokenRecord(name: "ops", lookupId: "abcd", hash: "h1", scope: .admin, createdAt: t(1))
        let second = APITokenRecord(name: "grafana", lookupId: "efgh", hash: "h2", scope: .readOnly, createdAt: t(2))
        try await store.commit([.putAPIToken(first), .putAPIToken(second)])
        #expect(try await store.apiTokens() == [second, first])
        var replaced = first
        replaced.scope = .readOnly
        replaced.hash = "h3"
        try await store.commit([.putAPIToken(replaced), .deleteAPIToken(name: "grafana"), .deleteAPIToken(name: "x")])
        #expect(try await store.apiTokens() == [replaced])
    }

    /// Security writes in a commit that fails leave nothing behind.
    public static func securityWritesRollBackWithFailedCommit(_ makeStore: Factory) async throws {
        let store = try await makeStore()
        let unknown = cp("CP-SEC-NOT-REGISTERED")
        let failing = ConnectorStatus(
            chargePointId: unknown, connectorId: 1, status: "Available", timestamp: t(1), receivedAt: t(1))
        await #expect(throws: StoreError.self) {
            try await store.commit([
                .setSecurityProfile(id: unknown, profile: 3, at: t(1)),
                .addSecurityEvent(
                    SecurityEvent(chargePointId: unknown, source: .csms, type: "x", occurredAt: t(1), receivedAt: t(1))),
                .recordConnectorStatus(failing),
            ])
        }
        #expect(try await store.securityProfile(of: unknown) == nil)
        #expect(try await store.securityEvents(chargePointId: nil, after: nil, limit: 10).isEmpty)
    }
}
