import ArgumentParser
import CSMSServer
import Configuration

/// The security and TLS flags (docs/configuration.md, "Security"); part of `SettingOptions`,
/// which says why their values are never read here.
struct SecurityOptions: ParsableArguments {
    @Option(help: "TLS listener port for profiles 2/3, 0 = any (env CSMS_TLS_PORT; default 9443 when TLS is on).")
    var tlsPort: Int?

    @Option(help: "File to write the bound TLS port to (env CSMS_TLS_PORT_FILE).")
    var tlsPortFile: String?

    @Option(help: "Server certificate chain, PEM file; turns the TLS listener on (env CSMS_TLS_CERTIFICATE).")
    var tlsCertificate: String?

    @Option(help: "Server private key, PEM file (env CSMS_TLS_PRIVATE_KEY).")
    var tlsPrivateKey: String?

    @Option(help: "CA bundle station certificates are verified against, PEM (env CSMS_TLS_CLIENT_CA).")
    var tlsClientCa: String?

    @Option(help: "Seconds between checks for changed TLS files, 0 = SIGHUP only (env CSMS_TLS_RELOAD_INTERVAL).")
    var tlsReloadInterval: Int?

    @Option(help: "Accept stations on the plain port: true or false (env CSMS_SECURITY_PLAIN_WEB_SOCKET).")
    var securityPlainWebSocket: Bool?

    @Option(help: "O required in station certificates (env CSMS_SECURITY_OPERATOR_NAME).")
    var securityOperatorName: String?

    @Option(help: "Failed logins allowed in a burst per address and id (env CSMS_SECURITY_AUTH_FAILURE_BURST).")
    var securityAuthFailureBurst: Int?

    @Option(help: "Seconds until one failed login is forgiven (env CSMS_SECURITY_AUTH_FAILURE_REFILL_SECONDS).")
    var securityAuthFailureRefillSeconds: Int?

    @Option(help: "Built-in CA certificate, PEM (env CSMS_SECURITY_CA_CERTIFICATE).")
    var securityCaCertificate: String?

    @Option(help: "Built-in CA private key, PEM (env CSMS_SECURITY_CA_KEY).")
    var securityCaKey: String?

    @Option(help: "Validity of issued station certificates in days (env CSMS_SECURITY_CERTIFICATE_VALIDITY_DAYS).")
    var securityCertificateValidityDays: Int?
}
