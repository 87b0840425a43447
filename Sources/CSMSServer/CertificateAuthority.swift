public import CSMSCore
import Crypto
public import Foundation
import SwiftASN1
import X509
import _CryptoExtras

/// Why a certificate signing request is refused (answered `Rejected` in SignCertificate).
public enum CSRRejection: String, Error, Sendable, CaseIterable, CustomStringConvertible {
    /// Not a PEM PKCS#10 request, or its key cannot be read (this includes RSA keys below
    /// 2048 bits, which swift-crypto refuses to read).
    case malformed = "malformed"
    /// The request's signature does not verify with its own public key.
    case badSignature = "bad_signature"
    /// RSA below 2048 bits (a second check behind the parser's; EC curves below 224 bits
    /// cannot be read at all, see `malformed`).
    case weakKey = "weak_key"
    /// A key type OCPP does not allow (e.g. Ed25519).
    case unsupportedKey = "unsupported_key"
    /// The subject CN does not contain the charge point id.
    case commonNameMismatch = "cn_mismatch"
    /// The subject O is not the configured operator name.
    case organizationMismatch = "o_mismatch"

    /// The reason, for logs and security events.
    public var description: String { rawValue }
}

/// A certificate issued by the built-in CA: the chain (leaf, then CA) in PEM, and its record.
public struct IssuedCertificate: Sendable, Equatable {
    /// Leaf certificate followed by the CA certificate, PEM.
    public var chainPEM: String
    /// The record to store (`StoreWrite.recordStationCertificate`).
    public var record: StationCertificate
}

/// The built-in certificate authority that signs station CSRs (SignCertificate: OCPP 2.0.1
/// Part 2 A02/A03, 1.6 security extension §3.1). Its key and certificate come from PEM files
/// (`security.caCertificate`, `security.caKey`), made by `csms ca init` or by the operator.
///
/// CSR checks (docs/security.md): the request parses and its signature verifies with its own
/// key; RSA keys have at least 2048 bits, EC keys are P-256, P-384 or P-521 (at least 224
/// bits); the subject CN contains the charge point id; O equals the operator name when one
/// is configured. The certificate gets the request's subject and key, a random 20-byte
/// serial, `clientAuth` extended key usage, and is valid from five minutes ago for `validity`.
public struct CertificateAuthority: Sendable {
    let certificate: Certificate
    let privateKey: Certificate.PrivateKey
    let certificatePEM: String

    /// The CA from its certificate and private key in PEM.
    public init(certificatePEM: String, privateKeyPEM: String) throws {
        certificate = try Certificate(pemEncoded: certificatePEM)
        privateKey = try Certificate.PrivateKey(pemEncoded: privateKeyPEM)
        self.certificatePEM = try certificate.serializeAsPEM().pemString
        guard privateKey.publicKey == certificate.publicKey else {
            throw CertificateAuthorityError("the CA private key does not belong to the CA certificate")
        }
    }

    /// The CA from the two PEM files.
    public init(certificatePath: String, privateKeyPath: String) throws {
        try self.init(
            certificatePEM: String(contentsOfFile: certificatePath, encoding: .utf8),
            privateKeyPEM: String(contentsOfFile: privateKeyPath, encoding: .utf8))
    }

    /// A new self-signed P-256 root for `csms ca init`: its certificate and PKCS#8 key in PEM.
    public static func generateRoot(
        commonName: String, organization: String?, validityDays: Int, now: Date = Date()
    ) throws -> (certificatePEM: String, privateKeyPEM: String) {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName {
            CommonName(commonName)
            if let organization { OrganizationName(organization) }
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-300),
            notValidAfter: now.addingTimeInterval(Double(validityDays) * 86_400), issuer: name, subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: Certificate.PublicKey(key.publicKey))
            },
            issuerPrivateKey: .init(key))
        return (try certificate.serializeAsPEM().pemString, key.pemRepresentation)
    }

    /// Checks `csrPEM` for station `id` and issues its certificate.
    public func sign(
        csrPEM: String, for id: ChargePointID, certificateType: String, operatorName: String?, validity: TimeInterval,
        now: Date
    ) throws(CSRRejection) -> IssuedCertificate {
        let request = try Self.checkedRequest(csrPEM, for: id, operatorName: operatorName)
        do {
            let leaf = try Certificate(
                version: .v3, serialNumber: .init(), publicKey: request.publicKey,
                notValidBefore: now.addingTimeInterval(-300), notValidAfter: now.addingTimeInterval(validity),
                issuer: certificate.subject, subject: request.subject, signatureAlgorithm: signatureAlgorithm,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.notCertificateAuthority)
                    Critical(KeyUsage(digitalSignature: true, keyAgreement: true))
                    try ExtendedKeyUsage([.clientAuth])
                    SubjectKeyIdentifier(hash: request.publicKey)
                    if let authority = try certificate.extensions.subjectKeyIdentifier {
                        AuthorityKeyIdentifier(keyIdentifier: authority.keyIdentifier)
                    }
                },
                issuerPrivateKey: privateKey)
            let leafPEM = try leaf.serializeAsPEM().pemString
            let record = StationCertificate(
                chargePointId: id, serialNumber: leaf.serialNumber.bytes.lowercaseHex,
                certificateType: certificateType, subject: leaf.subject.description, notBefore: leaf.notValidBefore,
                notAfter: leaf.notValidAfter, pem: leafPEM, issuedAt: now)
            return IssuedCertificate(chainPEM: leafPEM + "\n" + certificatePEM + "\n", record: record)
        } catch {
            throw .malformed  // the request's key or subject could not be encoded into a certificate
        }
    }

    /// The request if it passes the checks.
    static func checkedRequest(
        _ csrPEM: String, for id: ChargePointID, operatorName: String?
    ) throws(CSRRejection) -> CertificateSigningRequest {
        let request: CertificateSigningRequest
        do {
            request = try CertificateSigningRequest(pemEncoded: csrPEM.trimmingCharacters(in: .whitespacesAndNewlines))
        } catch {
            throw .malformed
        }
        guard request.publicKey.isValidSignature(request.signature, for: request) else { throw .badSignature }
        if let rsa = _RSA.Signing.PublicKey(request.publicKey) {
            guard rsa.keySizeInBits >= 2048 else { throw .weakKey }
        } else if P256.Signing.PublicKey(request.publicKey) == nil, P384.Signing.PublicKey(request.publicKey) == nil,
            P521.Signing.PublicKey(request.publicKey) == nil
        {
            throw .unsupportedKey
        }
        let commonNames = Self.attributes(request.subject, .RDNAttributeType.commonName)
        guard commonNames.contains(where: { $0.contains(id.rawValue) }) else { throw .commonNameMismatch }
        if let operatorName {
            guard Self.attributes(request.subject, .RDNAttributeType.organizationName).contains(operatorName) else {
                throw .organizationMismatch
            }
        }
        return request
    }

    private var signatureAlgorithm: Certificate.SignatureAlgorithm {
        if P384.Signing.PublicKey(certificate.publicKey) != nil { return .ecdsaWithSHA384 }
        if P521.Signing.PublicKey(certificate.publicKey) != nil { return .ecdsaWithSHA512 }
        if _RSA.Signing.PublicKey(certificate.publicKey) != nil { return .sha256WithRSAEncryption }
        return .ecdsaWithSHA256
    }

    private static func attributes(_ name: DistinguishedName, _ type: ASN1ObjectIdentifier) -> [String] {
        name.flatMap { rdn in rdn.filter { $0.type == type }.compactMap { String($0.value) } }
    }
}

/// The CA files are unusable (the message names the problem, never key material).
public struct CertificateAuthorityError: Error, Sendable, CustomStringConvertible {
    /// What is wrong.
    public let description: String

    init(_ description: String) { self.description = description }
}
