import CSMSCore
import CSMSTesting
import Crypto
import Foundation
import Logging
import MetricsTestKit
import SwiftASN1
import Testing
import X509
import _CryptoExtras

@testable import CSMSServer

@Suite("Built-in CA: CSR checks and signing (openssl verifies the result)")
struct CertificateAuthorityTests {
    static let id = ChargePointID("CP-CSR-1")!

    static func authority(organization: String? = "Test Operator") throws -> (CertificateAuthority, String) {
        let (certificatePEM, keyPEM) = try CertificateAuthority.generateRoot(
            commonName: "Test CA", organization: organization, validityDays: 30)
        return (try CertificateAuthority(certificatePEM: certificatePEM, privateKeyPEM: keyPEM), certificatePEM)
    }

    static func csr(
        commonName: String, organization: String? = "Test Operator",
        key: Certificate.PrivateKey = Certificate.PrivateKey(P256.Signing.PrivateKey()),
        algorithm: Certificate.SignatureAlgorithm = .ecdsaWithSHA256
    ) throws -> String {
        let subject = try DistinguishedName {
            CommonName(commonName)
            if let organization { OrganizationName(organization) }
        }
        let request = try CertificateSigningRequest(
            version: .v1, subject: subject, privateKey: key, attributes: .init(), signatureAlgorithm: algorithm)
        return try request.serializeAsPEM().pemString
    }

    static func sign(_ authority: CertificateAuthority, _ pem: String, operatorName: String? = "Test Operator")
        throws(CSRRejection) -> IssuedCertificate
    {
        try authority.sign(
            csrPEM: pem, for: id, certificateType: "ChargingStationCertificate", operatorName: operatorName,
            validity: 86_400, now: Date())
    }

    /// Runs openssl with `arguments`; returns its exit status and output.
    static func openssl(_ arguments: [String]) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    @Test("a valid CSR is signed; openssl verifies the leaf against the CA; the record matches")
    func roundTrip() throws {
        let (authority, caPEM) = try Self.authority()
        let issued = try Self.sign(authority, try Self.csr(commonName: "CP-CSR-1 SN-77"))
        let pki = try TestPKI()
        defer { pki.remove() }
        let caPath = try pki.write(caPEM, to: "csms-ca.pem")
        let chainPath = try pki.write(issued.chainPEM, to: "chain.pem")
        let (status, output) = try Self.openssl(["verify", "-CAfile", caPath, "-purpose", "sslclient", chainPath])
        #expect(status == 0, "\(output)")
        #expect(output.contains(": OK"))
        let leaf = try Certificate(pemEncoded: issued.record.pem)
        #expect(issued.record.chargePointId == Self.id)
        #expect(issued.record.serialNumber == leaf.serialNumber.bytes.map { String(format: "%02x", $0) }.joined())
        #expect(issued.record.subject.contains("CN=CP-CSR-1 SN-77"))
        #expect(issued.record.notAfter.timeIntervalSince(issued.record.notBefore) > 86_000)
        #expect(try leaf.extensions.extendedKeyUsage?.contains(.clientAuth) == true)
        #expect(try leaf.extensions.basicConstraints == .notCertificateAuthority)
    }

    @Test("CN without the id, wrong O, broken signature, Ed25519 and garbage are refused")
    func refusals() throws {
        let (authority, _) = try Self.authority()
        #expect(throws: CSRRejection.commonNameMismatch) {
            try Self.sign(authority, try Self.csr(commonName: "CP-SOMEONE-ELSE"))
        }
        #expect(throws: CSRRejection.organizationMismatch) {
            try Self.sign(authority, try Self.csr(commonName: "CP-CSR-1", organization: "Other"))
        }
        #expect(throws: CSRRejection.organizationMismatch) {
            try Self.sign(authority, try Self.csr(commonName: "CP-CSR-1", organization: nil))
        }
        // Without an operator name, O is not checked.
        _ = try Self.sign(authority, try Self.csr(commonName: "CP-CSR-1", organization: nil), operatorName: nil)

        // Flip a bit in the last byte of the signature.
        let good = try CertificateSigningRequest(pemEncoded: try Self.csr(commonName: "CP-CSR-1"))
        var der = try good.serializeAsPEM().derBytes
        der[der.count - 1] ^= 0x01
        let tampered = PEMDocument(type: "CERTIFICATE REQUEST", derBytes: der).pemString
        #expect(throws: CSRRejection.badSignature) { try Self.sign(authority, tampered) }

        let ed25519 = Certificate.PrivateKey(Curve25519.Signing.PrivateKey())
        #expect(throws: CSRRejection.unsupportedKey) {
            try Self.sign(authority, try Self.csr(commonName: "CP-CSR-1", key: ed25519, algorithm: .ed25519))
        }
        #expect(throws: CSRRejection.malformed) { try Self.sign(authority, "not a CSR") }
    }

    @Test("RSA: 2048 bits are signed; a 1024-bit request (made by openssl) is refused")
    func rsaKeySizes() throws {
        let (authority, _) = try Self.authority()
        let rsa = Certificate.PrivateKey(try _RSA.Signing.PrivateKey(keySize: .bits2048))
        _ = try Self.sign(
            authority, try Self.csr(commonName: "CP-CSR-1", key: rsa, algorithm: .sha256WithRSAEncryption))

        let pki = try TestPKI()
        defer { pki.remove() }
        let keyPath = pki.directory.appendingPathComponent("weak.key").path
        let csrPath = pki.directory.appendingPathComponent("weak.csr").path
        let (status, output) = try Self.openssl([
            "req", "-new", "-newkey", "rsa:1024", "-nodes", "-subj", "/CN=CP-CSR-1/O=Test Operator", "-keyout",
            keyPath, "-out", csrPath,
        ])
        #expect(status == 0, "\(output)")
        let weak = try String(contentsOfFile: csrPath, encoding: .utf8)
        #expect(throws: CSRRejection.self) { try Self.sign(authority, weak) }
    }

    @Test("a CA key that does not belong to the certificate is refused")
    func mismatchedKey() throws {
        let (certificatePEM, _) = try CertificateAuthority.generateRoot(
            commonName: "A", organization: nil, validityDays: 1)
        let (_, otherKey) = try CertificateAuthority.generateRoot(commonName: "B", organization: nil, validityDays: 1)
        #expect(throws: CertificateAuthorityError.self) {
            try CertificateAuthority(certificatePEM: certificatePEM, privateKeyPEM: otherKey)
        }
    }

    @Test("the signer records the issued chain, or stores a security event for a refusal")
    func signer() async throws {
        let (authority, _) = try Self.authority()
        let signer = CertificateAuthoritySigner(authority: authority, operatorName: "Test Operator", validityDays: 10)
        let accepted = await signer.sign(
            csr: try Self.csr(commonName: "CP-CSR-1"), chargePointId: Self.id,
            certificateType: "ChargingStationCertificate", now: Date())
        #expect(accepted.accepted && accepted.reason == nil)
        guard case .recordStationCertificate(let record)? = accepted.writes.first else {
            Issue.record("no certificate record")
            return
        }
        #expect(record.pem.components(separatedBy: "BEGIN CERTIFICATE").count == 3)  // leaf + CA
        let refused = await signer.sign(
            csr: try Self.csr(commonName: "CP-X"), chargePointId: Self.id, certificateType: "ChargePointCertificate",
            now: Date())
        #expect(!refused.accepted && refused.reason == "cn_mismatch")
        guard case .addSecurityEvent(let event)? = refused.writes.first else {
            Issue.record("no security event")
            return
        }
        #expect(event.type == "csms.csr_rejected.cn_mismatch" && event.source == .csms)
    }

    @Test("the expiry monitor sets the gauge to the soonest expiry and reports certificates expiring within 30 days")
    func expiryMonitor() async throws {
        let store = InMemoryStore()
        let metrics = TestMetrics()
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let monitor = CertificateExpiryMonitor(
            store: store, clock: FixedClock(date: now), metrics: SecurityMetrics(factory: metrics),
            logger: Logger(label: "test"))
        #expect(await monitor.check().isEmpty)
        func record(_ serial: String, days: Double) -> StoreWrite {
            .recordStationCertificate(
                StationCertificate(
                    chargePointId: Self.id, serialNumber: serial, certificateType: "ChargingStationCertificate",
                    subject: "CN=x", notBefore: now, notAfter: now.addingTimeInterval(days * 86_400), pem: "",
                    issuedAt: now))
        }
        try await store.commit([record("0a", days: 400), record("0b", days: 10), record("0c", days: -1)])
        #expect(await monitor.check().map(\.serialNumber) == ["0c", "0b"])
        let gauge = try metrics.expectGauge(SecurityMetrics.certificateExpirySeconds)
        #expect(gauge.lastValue == -86_400)
    }
}

struct FixedClock: WallClock {
    let date: Date
    func now() -> Date { date }
}
