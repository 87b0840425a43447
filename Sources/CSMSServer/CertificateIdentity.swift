import CSMSCore
import Foundation
import SwiftASN1
import X509

/// What the CSMS reads from a station's client certificate (profile 3): subject CN and O,
/// serial number and end of validity.
///
/// Binding rules (docs/security.md; OCPP 2.0.1 Part 2 A00.FR.410-412 and the 1.6 security
/// whitepaper ask that the CN holds the station's serial number and O the operator's name):
/// - the CN must contain the charge point id of the URL (case-sensitive substring: many
///   operators use the serial number as the id, others put both into the CN);
/// - when `security.operatorName` is set, an O attribute must equal it exactly;
/// - on 2.0.1/2.1, the BootNotification's `chargingStation.serialNumber` must be contained
///   in the CN as well, else the connection is closed (`CertificateBindingProcessor`).
struct CertificateIdentity: Sendable, Equatable {
    /// The subject's common names (usually one).
    var commonNames: [String]
    /// The subject's organisation names.
    var organizations: [String]
    /// The serial number, lower-case hex.
    var serialNumber: String
    /// The subject in RFC 4514 form.
    var subject: String
    /// End of validity.
    var notAfter: Date

    /// The identity of a parsed certificate.
    init(_ certificate: Certificate) {
        commonNames = Self.attributes(certificate.subject, .RDNAttributeType.commonName)
        organizations = Self.attributes(certificate.subject, .RDNAttributeType.organizationName)
        serialNumber = certificate.serialNumber.bytes.lowercaseHex
        subject = certificate.subject.description
        notAfter = certificate.notValidAfter
    }

    /// The identity of a DER-encoded certificate.
    init(derEncoded bytes: [UInt8]) throws {
        self.init(try Certificate(derEncoded: bytes))
    }

    /// Whether some CN contains `text` (empty text never matches).
    func commonNameContains(_ text: String) -> Bool {
        !text.isEmpty && commonNames.contains { $0.contains(text) }
    }

    /// Checks the binding rules for the handshake of charge point `id`.
    static func checkBinding(
        _ identity: CertificateIdentity, id: ChargePointID, operatorName: String?
    ) throws(AuthenticationFailure) {
        guard identity.commonNameContains(id.rawValue) else { throw .certificateMismatch }
        if let operatorName, !identity.organizations.contains(operatorName) { throw .certificateMismatch }
    }

    /// What failed, for the security event (no secrets: names from the certificate only).
    func mismatchDescription(id: ChargePointID, operatorName: String?) -> String {
        if !commonNameContains(id.rawValue) {
            return "certificate CN \(commonNames.first.map { "'\($0.prefix(64))'" } ?? "missing") lacks the id"
        }
        return "certificate O \(organizations.first.map { "'\($0.prefix(64))'" } ?? "missing")"
            + " is not the operator name '\(operatorName?.prefix(64) ?? "")'"
    }

    private static func attributes(_ name: DistinguishedName, _ type: ASN1ObjectIdentifier) -> [String] {
        name.flatMap { rdn in rdn.filter { $0.type == type }.compactMap { String($0.value) } }
    }
}
