import Configuration
import Foundation
import Testing

@testable import CSMSServer

@Suite("Security and TLS settings")
struct SecurityConfigurationTests {
    @Test("defaults: plain ws on, no TLS listener, no CA, 10 failures per burst, one forgiven per 6 s")
    func defaults() async throws {
        let configuration = try await loadConfiguration()
        #expect(configuration.security == SecuritySettings())
        #expect(configuration.security.plainWebSocket && configuration.security.authFailureBurst == 10)
        #expect(configuration.security.authFailureRefillSeconds == 6)
        #expect(configuration.security.certificateValidityDays == 365)
        #expect(configuration.tls == nil)
    }

    @Test("every key is read from the environment and from the file")
    func readsAllKeys() async throws {
        let configuration = try await loadConfiguration(environment: [
            "CSMS_TLS_CERTIFICATE": "/c.pem", "CSMS_TLS_PRIVATE_KEY": "/k.pem", "CSMS_TLS_CLIENT_CA": "/ca.pem",
            "CSMS_TLS_PORT": "8443", "CSMS_TLS_PORT_FILE": "/tmp/p", "CSMS_TLS_RELOAD_INTERVAL": "0",
            "CSMS_SECURITY_PLAIN_WEB_SOCKET": "false", "CSMS_SECURITY_OPERATOR_NAME": "ACME",
            "CSMS_SECURITY_AUTH_FAILURE_BURST": "3", "CSMS_SECURITY_AUTH_FAILURE_REFILL_SECONDS": "60",
            "CSMS_SECURITY_CA_CERTIFICATE": "/ca-cert.pem", "CSMS_SECURITY_CA_KEY": "/ca-key.pem",
            "CSMS_SECURITY_CERTIFICATE_VALIDITY_DAYS": "90",
        ])
        #expect(
            configuration.tls
                == TLSSettings(
                    port: 8443, portFile: "/tmp/p", certificatePath: "/c.pem", privateKeyPath: "/k.pem",
                    clientCAPath: "/ca.pem", reloadInterval: nil))
        #expect(!configuration.security.plainWebSocket && configuration.security.operatorName == "ACME")
        #expect(configuration.security.authFailureBurst == 3 && configuration.security.authFailureRefillSeconds == 60)
        #expect(configuration.security.caCertificatePath == "/ca-cert.pem")
        #expect(configuration.security.caKeyPath == "/ca-key.pem")
        #expect(configuration.security.certificateValidityDays == 90)
        #expect(configuration.description.contains("tlsPort: 8443"))

        let fromFile = try await loadConfiguration(
            file: #"{"tls": {"certificate": "/c.pem", "privateKey": "/k.pem"}, "security": {"operatorName": "X"}}"#
        )
        #expect(fromFile.tls?.port == 9443 && fromFile.tls?.reloadInterval == .seconds(30))
        #expect(fromFile.security.operatorName == "X")
    }

    @Test(
        "unusable combinations are refused with the setting's name",
        arguments: [
            ["CSMS_TLS_CERTIFICATE": "/c.pem"],  // no key
            ["CSMS_TLS_PRIVATE_KEY": "/k.pem"],  // key without certificate
            ["CSMS_TLS_CLIENT_CA": "/ca.pem"],  // CA without certificate
            ["CSMS_SECURITY_CA_CERTIFICATE": "/ca.pem"],  // CA certificate without key
            ["CSMS_SECURITY_AUTH_FAILURE_BURST": "0"],
            ["CSMS_SECURITY_CERTIFICATE_VALIDITY_DAYS": "abc"],
            ["CSMS_TLS_CERTIFICATE": "/c.pem", "CSMS_TLS_PRIVATE_KEY": "/k.pem", "CSMS_TLS_PORT": "70000"],
        ])
    func invalid(environment: [String: String]) async throws {
        await #expect(throws: ConfigurationError.self) { try await loadConfiguration(environment: environment) }
    }

    @Test("serving: profiles 2 and 3 need the TLS listener, 3 also the client CA; plain off needs TLS")
    func validateForServing() async throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        let server = try pki.server()
        let tls = ["CSMS_TLS_CERTIFICATE": server.certificatePath, "CSMS_TLS_PRIVATE_KEY": server.keyPath]
        for profile in [2, 3] {
            let configuration = try await loadConfiguration(environment: ["CSMS_SECURITY_PROFILE": "\(profile)"])
            #expect(throws: ConfigurationError.self) { try configuration.validateForServing() }
        }
        try await loadConfiguration(environment: tls.merging(["CSMS_SECURITY_PROFILE": "2"]) { a, _ in a })
            .validateForServing()
        let noCA = try await loadConfiguration(environment: tls.merging(["CSMS_SECURITY_PROFILE": "3"]) { a, _ in a })
        #expect(throws: ConfigurationError.self) { try noCA.validateForServing() }
        try await loadConfiguration(
            environment: tls.merging(["CSMS_SECURITY_PROFILE": "3", "CSMS_TLS_CLIENT_CA": pki.caPath]) { a, _ in a }
        )
        .validateForServing()
        // Files that cannot be loaded stop the start with a message naming them.
        let missing = try await loadConfiguration(environment: [
            "CSMS_TLS_CERTIFICATE": "/nonexistent/c.pem", "CSMS_TLS_PRIVATE_KEY": "/k.pem",
        ])
        #expect(throws: ConfigurationError.self) { try missing.validateForServing() }
        do {
            try missing.validateForServing()
        } catch {
            #expect(error.message.contains("/nonexistent/c.pem"))
        }
        let plainOff = try await loadConfiguration(environment: ["CSMS_SECURITY_PLAIN_WEB_SOCKET": "false"])
        #expect(throws: ConfigurationError.self) { try plainOff.validateForServing() }
    }

    @Test("missing or empty TLS files are refused; a failed reload keeps the current context")
    func tlsFiles() throws {
        let missing = TLSSettings(certificatePath: "/nonexistent/cert.pem", privateKeyPath: "/nonexistent/key.pem")
        #expect(throws: (any Error).self) { try ReloadableTLSContext(settings: missing) }

        let pki = try TestPKI()
        defer { pki.remove() }
        let server = try pki.server()
        let emptyCA = try pki.write("", to: "empty-ca.pem")
        let withEmptyCA = TLSSettings(
            certificatePath: server.certificatePath, privateKeyPath: server.keyPath, clientCAPath: emptyCA)
        #expect(throws: (any Error).self) { try ReloadableTLSContext(settings: withEmptyCA) }

        let settings = TLSSettings(certificatePath: server.certificatePath, privateKeyPath: server.keyPath)
        let context = try ReloadableTLSContext(settings: settings)
        let before = context.current
        let configuration = try StationTLS.configuration(settings.withCA(pki.caPath))
        #expect(configuration.minimumTLSVersion == .tlsv12 && configuration.cipherSuiteValues.count == 4)
        #expect(configuration.certificateVerification == .optionalVerification)
        #expect(!context.filesChanged)
        try pki.write("not a certificate", to: "server.pem")
        #expect(context.filesChanged)
        #expect(throws: (any Error).self) { try context.reload() }
        #expect(context.current === before)
    }
}

extension TLSSettings {
    fileprivate func withCA(_ path: String) -> TLSSettings {
        var copy = self
        copy.clientCAPath = path
        return copy
    }
}
