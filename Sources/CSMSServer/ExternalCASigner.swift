public import CSMSCore
public import CSMSExternalAuth
import Crypto
public import Foundation
public import Logging
import SwiftASN1
import X509

/// `CertificateSigning` by an external CA over HTTP (`security.externalCa.url`; docs/security.md,
/// "External CA").
///
/// The CSR is first checked as the built-in CA checks it (PEM PKCS#10, valid signature, key
/// type and size, CN containing the id, O when `security.operatorName` is set); a refused one
/// is answered `Rejected` with a `csms.csr_rejected.*` event and never sent. A passing one is
/// sent to the CA (`ExternalCAClient`: timeout, circuit breaker). The answer's chain must
/// parse, and its leaf must carry the CSR's public key; then the leaf is recorded like one the
/// built-in CA issued (CertificateDeliveryService sends CertificateSigned). When the CA fails
/// (timeout, breaker open, non-2xx, no or unusable chain) the request is answered `Rejected`
/// with reason `external_ca_failed`, a `csms.csr_failed.external_ca` event is stored with the
/// cause, and a warning is logged.
public struct ExternalCASigner: CertificateSigning {
    let client: ExternalCAClient
    let operatorName: String?
    let logger: Logger
    let metrics: SecurityMetrics

    /// A signer sending checked requests through `client`, requiring O = `operatorName` when set.
    public init(client: ExternalCAClient, operatorName: String?, logger: Logger) {
        self.client = client
        self.operatorName = operatorName
        self.logger = logger
        self.metrics = SecurityMetrics()
    }

    /// Closes the HTTP client. Call once, when the server has stopped.
    public func shutdown() async throws { try await client.shutdown() }

    /// Checks, forwards and records; see the type.
    public func sign(csr: String, chargePointId: ChargePointID, certificateType: String, now: Date) async
        -> CertificateSigningDecision
    {
        let request: CertificateSigningRequest
        do {
            request = try CertificateAuthority.checkedRequest(csr, for: chargePointId, operatorName: operatorName)
        } catch {
            return metrics.refused(
                reason: error.rawValue, chargePointId: chargePointId, certificateType: certificateType, now: now)
        }
        let failure: String
        switch await client.sign(csr: csr, chargePointId: chargePointId, certificateType: certificateType) {
        case .success(let chain):
            if let record = Self.record(
                chain: chain, request: request, chargePointId: chargePointId,
                certificateType: certificateType, now: now)
            {
                return metrics.issued(record, now: now)
            }
            failure = "the chain did not parse or its leaf does not carry the request's key"
        case .failure(let error):
            failure = error.description
        }
        metrics.certificateSigning(outcome: "failed")
        logger.warning(
            "external CA did not sign the certificate request",
            metadata: ["ocpp.charge_point_id": .string(chargePointId.rawValue), "reason": .string(failure)])
        let event = SecurityEvent(
            chargePointId: chargePointId, source: .csms, type: "csms.csr_failed.external_ca",
            techInfo: "\(certificateType) signing request failed: \(failure)", occurredAt: now, receivedAt: now)
        return CertificateSigningDecision(
            accepted: false, reason: "external_ca_failed", writes: [.addSecurityEvent(event)])
    }

    /// The record of the chain's leaf (with the whole chain as `pem`), or `nil` when the chain
    /// does not parse or the leaf's key is not the request's.
    static func record(
        chain: String, request: CertificateSigningRequest, chargePointId: ChargePointID, certificateType: String,
        now: Date
    ) -> StationCertificate? {
        guard let documents = try? PEMDocument.parseMultiple(pemString: chain),
            let first = documents.first, first.discriminator == "CERTIFICATE",
            let leaf = try? Certificate(derEncoded: first.derBytes), leaf.publicKey == request.publicKey
        else { return nil }
        return StationCertificate(
            chargePointId: chargePointId,
            serialNumber: leaf.serialNumber.bytes.lowercaseHex,
            certificateType: certificateType, subject: leaf.subject.description, notBefore: leaf.notValidBefore,
            notAfter: leaf.notValidAfter, pem: chain.trimmingCharacters(in: .whitespacesAndNewlines) + "\n",
            issuedAt: now)
    }
}
