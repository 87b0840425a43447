import CSMSCore
import Foundation
import Logging
import OCPP
import Testing

@testable import CSMSProcessor

/// A signer that accepts CSRs containing "good" and refuses the rest (the real CA lives in
/// CSMSServer and is tested there).
struct FixedSigner: CertificateSigning {
    func sign(csr: String, chargePointId: ChargePointID, certificateType: String, now: Date) async
        -> CertificateSigningDecision
    {
        guard csr.contains("good") else {
            return CertificateSigningDecision(accepted: false, reason: "cn_mismatch_and_a_long_reason_text")
        }
        let record = StationCertificate(
            chargePointId: chargePointId, serialNumber: "01", certificateType: certificateType, subject: "CN=x",
            notBefore: now, notAfter: now.addingTimeInterval(86_400), pem: "PEM", issuedAt: now)
        return CertificateSigningDecision(accepted: true, writes: [.recordStationCertificate(record)])
    }
}

@Suite("Security handlers: SecurityEventNotification and SignCertificate")
struct SecurityHandlerTests {
    struct Harness {
        let store = FaultInjectingStore()
        let clock = TestClock()
        let processor: MessageProcessor

        init(signer: (any CertificateSigning)? = FixedSigner()) {
            var services = HandlerServices()
            if let signer { services.certificateSigner = signer }
            processor = MessageProcessor(
                store: store, configuration: .acceptingUnknown, services: services, clock: clock,
                logger: Logger(label: "test"))
        }

        func send(_ text: String, _ version: OCPPVersion) async -> InboundResult {
            await processor.handle(Array(text.utf8), session: session(version))
        }

        func booted(_ version: OCPPVersion) async -> Harness {
            _ = await send(version == .v16 ? boot16 : boot2x, version)
            return self
        }
    }

    @Test(
        "SecurityEventNotification is stored as a station event in every version",
        arguments: [
            OCPPVersion.v16, .v201, .v21,
        ])
    func securityEvent(version: OCPPVersion) async throws {
        let h = await Harness().booted(version)
        let result = await h.send(
            #"[2,"s1","SecurityEventNotification",{"type":"FirmwareUpdated","timestamp":"2025-01-02T03:04:05.678Z","techInfo":"v2"}]"#,
            version)
        #expect(result.resultPayload == [:])
        let events = try await h.store.securityEvents(chargePointId: cp1, after: nil, limit: 10)
        #expect(events.count == 1)
        let event = try #require(events.first)
        #expect(event.source == .station && event.type == "FirmwareUpdated" && event.techInfo == "v2")
        #expect(event.occurredAt == OCPPDateTime(rfc3339: "2025-01-02T03:04:05.678Z")?.date)
        #expect(event.receivedAt == h.clock.now())
    }

    @Test(
        "SignCertificate: Accepted with the certificate record committed, Rejected with the reason",
        arguments: [
            OCPPVersion.v16, .v201, .v21,
        ])
    func signCertificate(version: OCPPVersion) async throws {
        let h = await Harness().booted(version)
        let accepted = await h.send(#"[2,"c1","SignCertificate",{"csr":"good CSR"}]"#, version)
        #expect(accepted.resultPayload?["status"] == "Accepted")
        let certificates = try await h.store.stationCertificates(of: cp1)
        #expect(
            certificates.map(\.certificateType) == [
                version == .v16 ? "ChargePointCertificate" : "ChargingStationCertificate"
            ])

        let rejected = await h.send(#"[2,"c2","SignCertificate",{"csr":"bad CSR"}]"#, version)
        #expect(rejected.resultPayload?["status"] == "Rejected")
        if version != .v16 {
            #expect(rejected.resultPayload?["statusInfo"] == ["reasonCode": "cn_mismatch_and_a_lo"])
        }
        #expect(try await h.store.stationCertificates(of: cp1).count == 1)
    }

    @Test("2.0.1: the certificate type of the request is recorded; without a CA every CSR is Rejected")
    func certificateTypeAndNoCA() async throws {
        let h = await Harness().booted(.v201)
        _ = await h.send(#"[2,"c1","SignCertificate",{"csr":"good","certificateType":"V2GCertificate"}]"#, .v201)
        #expect(try await h.store.stationCertificates(of: cp1).first?.certificateType == "V2GCertificate")

        let none = await Harness(signer: nil).booted(.v201)
        let result = await none.send(#"[2,"c1","SignCertificate",{"csr":"good"}]"#, .v201)
        #expect(result.resultPayload?["status"] == "Rejected")
        #expect(result.resultPayload?["statusInfo"] == ["reasonCode": "no_ca_configured"])
    }
}
