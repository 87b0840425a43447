import Crypto
import Foundation
import NIOSSL
import SwiftASN1
import X509

/// A throw-away PKI for TLS tests, made with swift-certificates: a CA, a server certificate
/// for 127.0.0.1/localhost, and station (client) certificates, all P-256, written as PEM
/// files into a temporary folder.
struct TestPKI {
    let directory: URL
    let caKey: P256.Signing.PrivateKey
    let caCertificate: Certificate
    let caName: DistinguishedName

    /// A new CA named `caName` (O "Test Operator").
    init(caName: String = "Test Root CA") throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("csms-pki-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        caKey = P256.Signing.PrivateKey()
        let name = try DistinguishedName {
            CommonName(caName)
            OrganizationName("Test Operator")
        }
        self.caName = name
        let now = Date()
        caCertificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(caKey.publicKey),
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(86_400),
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            },
            issuerPrivateKey: .init(caKey))
        try write(caCertificate.serializeAsPEM().pemString, to: "ca.pem")
    }

    /// A leaf certificate and its key, signed by the CA (or by `signer` / self-signed).
    struct Leaf {
        let certificate: Certificate
        let key: P256.Signing.PrivateKey
        let certificatePath: String
        let keyPath: String

        /// The leaf as a NIOSSL certificate chain and key (for our TLS client).
        func nioChain() throws -> [NIOSSLCertificateSource] {
            try NIOSSLCertificate.fromPEMFile(certificatePath).map { .certificate($0) }
        }

        func nioKey() throws -> NIOSSLPrivateKeySource {
            .privateKey(try NIOSSLPrivateKey(file: keyPath, format: .pem))
        }
    }

    /// The server certificate for 127.0.0.1 and localhost.
    func server(file: String = "server") throws -> Leaf {
        try leaf(
            file: file, commonName: "localhost", organization: "Test Operator",
            extraExtensions: [
                try SubjectAlternativeNames([
                    .dnsName("localhost"), .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1])),
                ]).makeCertificateExtension(),
                try ExtendedKeyUsage([.serverAuth]).makeCertificateExtension(),
            ])
    }

    /// A station certificate with `commonName` and `organization`, valid from `notBefore` to
    /// `notAfter` (default: an hour ago to a day ahead).
    func station(
        file: String, commonName: String, organization: String? = "Test Operator", notBefore: Date? = nil,
        notAfter: Date? = nil
    ) throws -> Leaf {
        try leaf(
            file: file, commonName: commonName, organization: organization,
            extraExtensions: [try ExtendedKeyUsage([.clientAuth]).makeCertificateExtension()], notBefore: notBefore,
            notAfter: notAfter)
    }

    private func leaf(
        file: String, commonName: String, organization: String?, extraExtensions: [Certificate.Extension],
        notBefore: Date? = nil, notAfter: Date? = nil
    ) throws -> Leaf {
        let key = P256.Signing.PrivateKey()
        let subject = try DistinguishedName {
            CommonName(commonName)
            if let organization { OrganizationName(organization) }
        }
        var extensions = try Certificate.Extensions {
            Critical(BasicConstraints.notCertificateAuthority)
            Critical(KeyUsage(digitalSignature: true, keyAgreement: true))
        }
        for extensionValue in extraExtensions { try extensions.append(extensionValue) }
        let now = Date()
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey),
            notValidBefore: notBefore ?? now.addingTimeInterval(-3600),
            notValidAfter: notAfter ?? now.addingTimeInterval(86_400), issuer: caName, subject: subject,
            signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions, issuerPrivateKey: .init(caKey))
        let certificatePath = try write(certificate.serializeAsPEM().pemString, to: "\(file).pem")
        let keyPath = try write(key.pemRepresentation, to: "\(file)-key.pem")
        return Leaf(certificate: certificate, key: key, certificatePath: certificatePath, keyPath: keyPath)
    }

    /// The CA certificate file.
    var caPath: String { directory.appendingPathComponent("ca.pem").path }

    /// Writes `text` to `name` in the folder; returns the path.
    @discardableResult
    func write(_ text: String, to name: String) throws -> String {
        let url = directory.appendingPathComponent(name)
        try Data(text.utf8).write(to: url, options: .atomic)
        return url.path
    }

    /// Removes the folder.
    func remove() { try? FileManager.default.removeItem(at: directory) }
}
