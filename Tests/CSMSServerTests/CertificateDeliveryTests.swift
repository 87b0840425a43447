import CSMSCore
import CSMSProcessor
import CSMSServer
import Foundation
import OCPP
import Testing

@Suite("CertificateSigned delivery after SignCertificate (live server)")
struct CertificateDeliveryTests {
    private static let pem = "-----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----\n"

    @Test("an issued certificate is sent once to its connected station, with the 2.x certificate type")
    func delivered() async throws {
        try await RemoteStartAPITests.withStation("CP-CERT", subprotocol: "ocpp2.0.1") { server, station in
            let now = Date()
            try await server.store.commit([
                .recordStationCertificate(
                    StationCertificate(
                        chargePointId: ChargePointID("CP-CERT")!, serialNumber: "0A1B",
                        certificateType: "ChargingStationCertificate", subject: "CN=CP-CERT", notBefore: now,
                        notAfter: now.addingTimeInterval(86_400 * 365), pem: Self.pem, issuedAt: now))
            ])
            let call = try await station.nextCall()
            #expect(call.action == "CertificateSigned")
            #expect(call.payload["certificateChain"] == .string(Self.pem))
            #expect(call.payload["certificateType"] == "ChargingStationCertificate")
            try await station.write(#"[3,"\#(call.id)",{"status":"Accepted"}]"#)
            // The next round finds the answered record and sends nothing more.
            try await Task.sleep(for: .seconds(3))
            let commands = try await server.store.commands(of: ChargePointID("CP-CERT")!, before: nil, limit: 10)
            #expect(commands.filter { $0.action == "CertificateSigned" }.count == 1)
            #expect(commands.first { $0.action == "CertificateSigned" }?.state == .answered)
        }
    }
}
