import Configuration
import Foundation

/// The charge point security settings of `csms serve` (issue #8): plain `ws://` on or off,
/// the operator name required in station certificates, and the failed-authentication limit.
public struct SecuritySettings: Sendable, Equatable {
    /// Whether the plain listener (`port`) accepts OCPP connections; `false` leaves it to the
    /// API and health endpoints and refuses every `ws://` station with 403. Default `true`.
    public var plainWebSocket: Bool
    /// The organisation (O) a station certificate must name on profile 3; `nil` checks no O.
    public var operatorName: String?
    /// Failed authentication attempts allowed in a burst, per client address and per charge
    /// point id, before further attempts are answered 429. Default 10.
    public var authFailureBurst: Int
    /// Seconds until one failed attempt is forgiven. Default 6 (10 per minute).
    public var authFailureRefillSeconds: Int
    /// PEM file of the built-in CA's certificate (SignCertificate); `nil` refuses every CSR.
    public var caCertificatePath: String?
    /// PEM file of the built-in CA's private key (a secret: its content is never logged).
    public var caKeyPath: String?
    /// Days a certificate issued by the built-in CA is valid. Default 365.
    public var certificateValidityDays: Int

    /// The defaults.
    public init(
        plainWebSocket: Bool = true, operatorName: String? = nil, authFailureBurst: Int = 10,
        authFailureRefillSeconds: Int = 6
    ) {
        self.plainWebSocket = plainWebSocket
        self.operatorName = operatorName
        self.authFailureBurst = authFailureBurst
        self.authFailureRefillSeconds = authFailureRefillSeconds
        self.caCertificatePath = nil
        self.caKeyPath = nil
        self.certificateValidityDays = 365
    }
}

/// The TLS listener (`wss://`, security profiles 2 and 3). Present when `tls.certificate` is set.
public struct TLSSettings: Sendable, Equatable {
    /// The TCP port of the TLS listener; `0` picks a free one. Default 9443.
    public var port: Int
    /// Where the bound TLS port is written once listening; `nil` writes nothing.
    public var portFile: String?
    /// PEM file with the server certificate chain (leaf first).
    public var certificatePath: String
    /// PEM file with the server's private key (a secret: its content is never logged).
    public var privateKeyPath: String
    /// PEM file with the CA certificates that station certificates are verified against;
    /// `nil` asks no client certificate (no profile 3).
    public var clientCAPath: String?
    /// How often the certificate, key and CA files are checked for changes; `nil` only on
    /// SIGHUP. Default 30 s.
    public var reloadInterval: Duration?

    /// A TLS listener on `port` with the certificate and key files.
    public init(
        port: Int = 9443, portFile: String? = nil, certificatePath: String, privateKeyPath: String,
        clientCAPath: String? = nil, reloadInterval: Duration? = .seconds(30)
    ) {
        self.port = port
        self.portFile = portFile
        self.certificatePath = certificatePath
        self.privateKeyPath = privateKeyPath
        self.clientCAPath = clientCAPath
        self.reloadInterval = reloadInterval
    }
}

extension SettingKey {
    /// `security.plainWebSocket`: whether OCPP is served on the plain port.
    public static let securityPlainWebSocket = SettingKey(
        "security.plainWebSocket", reload: .restart, defaultValue: "`true`",
        meaning: """
            `false` refuses every station on the plain port with 403 (the API and health endpoints stay). Needs
            the TLS listener.
            """)
    /// `security.operatorName`: the O required in station certificates.
    public static let securityOperatorName = SettingKey(
        "security.operatorName", reload: .restart, defaultValue: "none",
        meaning: """
            The organisation (O) station certificates (profile 3) and CSRs must name. Unset: O is not checked.
            """)
    /// `security.authFailureBurst`: failed attempts allowed in a burst.
    public static let securityAuthFailureBurst = SettingKey(
        "security.authFailureBurst", reload: .live, defaultValue: "`10`",
        meaning: """
            Failed station logins allowed in a burst per client address and per charge point id before attempts
            are answered 429 (1-10000).
            """)
    /// `security.authFailureRefillSeconds`: seconds until one failed attempt is forgiven.
    public static let securityAuthFailureRefillSeconds = SettingKey(
        "security.authFailureRefillSeconds", reload: .live, defaultValue: "`6`",
        meaning: """
            Seconds until one failed login is forgiven (1-86400).
            """)
    /// `security.caCertificate`: the built-in CA's certificate (PEM file).
    public static let securityCACertificate = SettingKey(
        "security.caCertificate", reload: .restart, defaultValue: "none",
        meaning: """
            PEM certificate of the built-in CA that signs station CSRs (SignCertificate). Made by `csms ca
            init`. Without it every CSR is Rejected.
            """)
    /// `security.caKey`: the built-in CA's private key (PEM file).
    public static let securityCAKey = SettingKey(
        "security.caKey", reload: .restart, defaultValue: "none",
        meaning: """
            PEM private key of the built-in CA (a secret). Required with `security.caCertificate`; a key that
            does not match the certificate stops the start.
            """)
    /// `security.certificateValidityDays`: validity of issued station certificates.
    public static let securityCertificateValidityDays = SettingKey(
        "security.certificateValidityDays", reload: .restart, defaultValue: "`365`",
        meaning: """
            Validity of certificates the built-in CA issues (1-3650).
            """)
    /// `tls.port`: the TLS listener's port.
    public static let tlsPort = SettingKey(
        "tls.port", reload: .restart, defaultValue: "`9443`",
        meaning: """
            Port of the TLS listener; `0` picks a free one (see `tls.portFile`). It serves the OCPP endpoint,
            the API and the health endpoints, like the plain port.
            """)
    /// `tls.portFile`: where the bound TLS port is written.
    public static let tlsPortFile = SettingKey(
        "tls.portFile", reload: .restart, defaultValue: "none",
        meaning: """
            File the bound TLS port is written to once it listens.
            """)
    /// `tls.certificate`: the server certificate chain (PEM file).
    public static let tlsCertificate = SettingKey(
        "tls.certificate", reload: .restart, defaultValue: "none",
        meaning: """
            PEM file with the server certificate chain (leaf first). Setting it turns the TLS listener on
            (profiles 2 and 3); `tls.privateKey` is then required.
            """)
    /// `tls.privateKey`: the server private key (PEM file).
    public static let tlsPrivateKey = SettingKey(
        "tls.privateKey", reload: .restart, defaultValue: "none",
        meaning: """
            PEM file with the server's private key (PKCS#8, SEC1 or PKCS#1). A secret: keep the file readable by
            the csms user only.
            """)
    /// `tls.clientCa`: CA bundle for station certificates (PEM file).
    public static let tlsClientCA = SettingKey(
        "tls.clientCa", reload: .restart, defaultValue: "none",
        meaning: """
            PEM bundle of the CAs station certificates are verified against (profile 3). With it the server asks
            for a client certificate; a station without one can still use profile 2.
            """)
    /// `tls.reloadInterval`: seconds between checks for changed files (0 = SIGHUP only).
    public static let tlsReloadInterval = SettingKey(
        "tls.reloadInterval", reload: .restart, defaultValue: "`30`",
        meaning: """
            Seconds between checks whether the three TLS files changed (modification time or size); a change
            reloads them for new connections. `0`: reload on SIGHUP only (SIGHUP always reloads).
            """)
}

extension ServerConfiguration {
    /// Reads the security and TLS settings (called by `init(reader:)`).
    mutating func readSecurity(_ r: SettingReader) throws(ConfigurationError) {
        security.plainWebSocket = try r.bool(.securityPlainWebSocket) ?? security.plainWebSocket
        if let name = try r.string(.securityOperatorName), !name.isEmpty { security.operatorName = name }
        security.authFailureBurst = try r.int(.securityAuthFailureBurst, in: 1...10_000) ?? security.authFailureBurst
        security.authFailureRefillSeconds =
            try r.int(.securityAuthFailureRefillSeconds, in: 1...86_400) ?? security.authFailureRefillSeconds
        security.caCertificatePath = try r.string(.securityCACertificate).flatMap { $0.isEmpty ? nil : $0 }
        security.caKeyPath = try r.string(.securityCAKey).flatMap { $0.isEmpty ? nil : $0 }
        if (security.caCertificatePath == nil) != (security.caKeyPath == nil) {
            throw .invalid(
                .securityCAKey, "\(SettingKey.securityCACertificate) and \(SettingKey.securityCAKey) go together")
        }
        security.certificateValidityDays =
            try r.int(.securityCertificateValidityDays, in: 1...3650) ?? security.certificateValidityDays
        guard let certificate = try r.string(.tlsCertificate), !certificate.isEmpty else {
            for key in [SettingKey.tlsPrivateKey, .tlsClientCA] {
                if try r.string(key) != nil {
                    throw .invalid(key, "needs \(SettingKey.tlsCertificate) (\(SettingKey.tlsCertificate.flag))")
                }
            }
            return
        }
        guard let key = try r.string(.tlsPrivateKey), !key.isEmpty else {
            throw .invalid(.tlsPrivateKey, "required with \(SettingKey.tlsCertificate)")
        }
        var settings = TLSSettings(certificatePath: certificate, privateKeyPath: key)
        settings.port = try r.int(.tlsPort, in: 0...65_535) ?? settings.port
        settings.portFile = try r.string(.tlsPortFile)
        if let ca = try r.string(.tlsClientCA), !ca.isEmpty { settings.clientCAPath = ca }
        if let interval = try r.int(.tlsReloadInterval, in: 0...86_400) {
            settings.reloadInterval = interval == 0 ? nil : .seconds(interval)
        }
        tls = settings
    }
}

extension ServerConfiguration {
    /// The security part of `validateForServing()`.
    func validateSecurityForServing() throws(ConfigurationError) {
        switch securityProfile {
        case .none, .basicAuthWhenPasswordSet:
            break
        case .tlsWithBasicAuth where tls == nil, .tlsWithClientCertificates where tls == nil:
            throw ConfigurationError(
                "security profile \(securityProfile.rawValue) needs the TLS listener: set \(SettingKey.tlsCertificate)"
                    + " (\(SettingKey.tlsCertificate.flag)) and \(SettingKey.tlsPrivateKey)"
                    + " (\(SettingKey.tlsPrivateKey.flag))")
        case .tlsWithClientCertificates where tls?.clientCAPath == nil:
            throw ConfigurationError(
                "security profile 3 needs the CA bundle station certificates are verified against: set"
                    + " \(SettingKey.tlsClientCA) (\(SettingKey.tlsClientCA.flag))")
        case .tlsWithBasicAuth, .tlsWithClientCertificates:
            break
        }
        if !security.plainWebSocket && tls == nil {
            throw .invalid(.securityPlainWebSocket, "false needs the TLS listener (\(SettingKey.tlsCertificate))")
        }
        if let tls {
            do {
                _ = try ReloadableTLSContext(settings: tls)
            } catch {
                let files = [tls.certificatePath, tls.privateKeyPath] + (tls.clientCAPath.map { [$0] } ?? [])
                throw ConfigurationError(
                    "cannot load the TLS files (\(files.joined(separator: ", "))): \(String(describing: error).prefix(200))"
                )
            }
        }
    }
}
