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
            metrics.certificateSigning(outcome: "issued")
            metrics.certificateExpiry(secondsLeft: issued.record.notAfter.timeIntervalSince(now))
            var record = issued.record
            record.pem = issued.chainPEM
            return CertificateSigningDecision(accepted: true, writes: [.recordStationCertificate(record)])
        } catch {
            metrics.certificateSigning(outcome: "refused")
            let event = SecurityEvent(
                chargePointId: chargePointId, source: .csms, type: "csms.csr_rejected.\(error.rawValue)",
                techInfo: "\(certificateType) signing request refused", occurredAt: now, receivedAt: now)
            return CertificateSigningDecision(
                accepted: false, reason: error.rawValue, writes: [.addSecurityEvent(event)])
        }
    }
}
