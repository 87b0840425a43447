public import CSMSCore
public import Foundation

/// `CertificateSigning` by the built-in CA: checks and signs station CSRs, records the issued
/// certificate (with the chain for CertificateSigned), and stores a security event for a
/// refused request. Counts issued and refused requests and sets the expiry gauge.
public struct CertificateAuthoritySigner: CertificateSigning {
    let authority: CertificateAuthority
    let operatorName: String?
    let validity: TimeInterval
    let metrics: SecurityMetrics

    /// A signer issuing certificates valid for `validityDays`, requiring O = `operatorName`
    /// when set.
    public init(authority: CertificateAuthority, operatorName: String?, validityDays: Int) {
        self.authority = authority
        self.operatorName = operatorName
        self.validity = Double(validityDays) * 86_400
        self.metrics = SecurityMetrics()
    }

    /// Checks and signs; see `CertificateAuthority.sign`.
    public func sign(csr: String, chargePointId: ChargePointID, certificateType: String, now: Date) async
        -> CertificateSigningDecision
    {
        do {
            let issued = try authority.sign(
                csrPEM: csr, for: chargePointId, certificateType: certificateType, operatorName: operatorName,
                validity: validity, now: now)
            var record = issued.record
            record.pem = issued.chainPEM
            return metrics.issued(record, now: now)
        } catch {
            return metrics.refused(
                reason: error.rawValue, chargePointId: chargePointId, certificateType: certificateType, now: now)
        }
    }
}

extension SecurityMetrics {
    /// The decision for an issued certificate (`record` carries the chain to send): counted
    /// `issued`, the expiry gauge set, the record written. Shared by both signers.
    func issued(_ record: StationCertificate, now: Date) -> CertificateSigningDecision {
        certificateSigning(outcome: "issued")
        certificateExpiry(secondsLeft: record.notAfter.timeIntervalSince(now))
        return CertificateSigningDecision(accepted: true, writes: [.recordStationCertificate(record)])
    }

    /// The decision for a request the CSR checks refused (`reason`): counted `refused`, with a
    /// `csms.csr_rejected.<reason>` security event. Shared by both signers.
    func refused(reason: String, chargePointId: ChargePointID, certificateType: String, now: Date)
        -> CertificateSigningDecision
    {
        certificateSigning(outcome: "refused")
        let event = SecurityEvent(
            chargePointId: chargePointId, source: .csms, type: "csms.csr_rejected.\(reason)",
            techInfo: "\(certificateType) signing request refused", occurredAt: now, receivedAt: now)
        return CertificateSigningDecision(accepted: false, reason: reason, writes: [.addSecurityEvent(event)])
    }
}
