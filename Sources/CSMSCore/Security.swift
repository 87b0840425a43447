public import Foundation

/// One security event: reported by a station (SecurityEventNotification, OCPP 1.6 security
/// extension and 2.0.1 A04) or raised by the CSMS itself (failed authentication, profile
/// mismatch, certificate mismatch, ...).
public struct SecurityEvent: Codable, Sendable, Equatable {
    /// Who raised the event.
    public enum Source: String, Codable, Sendable, CaseIterable {
        /// The station sent a SecurityEventNotification.
        case station
        /// The CSMS observed it.
        case csms
    }

    /// Assigned by the store, increasing; `nil` before it is stored.
    public var id: Int64?
    /// The station (the id in the URL for a refused connection).
    public var chargePointId: ChargePointID
    /// Who raised it.
    public var source: Source
    /// The event type: the station's `type` (e.g. `FirmwareUpdated`, `InvalidCsmsCertificate`)
    /// or the CSMS's own (`csms.auth.wrong_password`, `csms.profile_too_low`, ...).
    public var type: String
    /// Free text (the station's `techInfo`, or what the CSMS saw); never a secret.
    public var techInfo: String?
    /// When it happened (the station's timestamp, or the CSMS's clock).
    public var occurredAt: Date
    /// When the CSMS stored it.
    public var receivedAt: Date
    /// The peer address of the connection, when known.
    public var remoteAddress: String?

    /// An event.
    public init(
        id: Int64? = nil, chargePointId: ChargePointID, source: Source, type: String, techInfo: String? = nil,
        occurredAt: Date, receivedAt: Date, remoteAddress: String? = nil
    ) {
        self.id = id
        self.chargePointId = chargePointId
        self.source = source
        self.type = type
        self.techInfo = techInfo
        self.occurredAt = occurredAt
        self.receivedAt = receivedAt
        self.remoteAddress = remoteAddress
    }
}

/// A certificate the CSMS issued to (or learned of for) a station, tracked for expiry.
public struct StationCertificate: Codable, Sendable, Equatable {
    /// The station.
    public var chargePointId: ChargePointID
    /// The certificate's serial number, lower-case hex.
    public var serialNumber: String
    /// The OCPP certificate type, e.g. `ChargingStationCertificate` (2.0.1) or
    /// `ChargePointCertificate` (1.6 security extension).
    public var certificateType: String
    /// The subject, RFC 4514 form.
    public var subject: String
    /// Start of validity.
    public var notBefore: Date
    /// End of validity.
    public var notAfter: Date
    /// The certificate chain (leaf first) in PEM.
    public var pem: String
    /// When the CSMS issued or recorded it.
    public var issuedAt: Date

    /// A certificate record.
    public init(
        chargePointId: ChargePointID, serialNumber: String, certificateType: String, subject: String,
        notBefore: Date, notAfter: Date, pem: String, issuedAt: Date
    ) {
        self.chargePointId = chargePointId
        self.serialNumber = serialNumber
        self.certificateType = certificateType
        self.subject = subject
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.pem = pem
        self.issuedAt = issuedAt
    }
}

/// A named operator API token, stored as a hash (the secret is shown once, when created).
public struct APITokenRecord: Codable, Sendable, Equatable {
    /// What a token may do.
    public enum Scope: String, Codable, Sendable, CaseIterable {
        /// Reads only (GET).
        case readOnly = "read-only"
        /// Everything.
        case admin
    }

    /// The unique name, e.g. `grafana`.
    public var name: String
    /// The token's lookup id: the first characters of the token, not secret on their own.
    public var lookupId: String
    /// Salted slow hash of the whole token (`PasswordHash` format).
    public var hash: String
    /// What it may do.
    public var scope: Scope
    /// When it was created.
    public var createdAt: Date

    /// A token record.
    public init(name: String, lookupId: String, hash: String, scope: Scope, createdAt: Date) {
        self.name = name
        self.lookupId = lookupId
        self.hash = hash
        self.scope = scope
        self.createdAt = createdAt
    }
}

/// The reads of the security feature (issue #8): per-station security profiles, security
/// events, tracked station certificates and API tokens.
///
/// Writes go through `StoreWrite` (`setSecurityProfile`, `addSecurityEvent`,
/// `recordStationCertificate`, `putAPIToken`, `deleteAPIToken`).
public protocol SecurityStoreReading: Sendable {
    /// The station's own security profile (0-3), if one is set; the configured profile
    /// applies otherwise.
    func securityProfile(of id: ChargePointID) async throws(StoreError) -> Int?

    /// Security events, optionally of one station, ordered by id, after `after`, at most `limit`.
    func securityEvents(chargePointId: ChargePointID?, after: Int64?, limit: Int) async throws(StoreError)
        -> [SecurityEvent]

    /// Tracked certificates, optionally of one station, ordered by `notAfter` (soonest
    /// expiry first), then station and serial.
    func stationCertificates(of id: ChargePointID?) async throws(StoreError) -> [StationCertificate]

    /// Every API token record, ordered by name.
    func apiTokens() async throws(StoreError) -> [APITokenRecord]
}

/// Signs station certificate requests (SignCertificate): the built-in CA, or none.
public protocol CertificateSigning: Sendable {
    /// Checks `csr` (PEM PKCS#10) of `chargePointId` and, when it passes, issues the
    /// certificate. Never throws: a refused request is a decision too.
    func sign(csr: String, chargePointId: ChargePointID, certificateType: String, now: Date) async
        -> CertificateSigningDecision
}

/// What became of a certificate signing request.
public struct CertificateSigningDecision: Sendable, Equatable {
    /// Whether the request was accepted (and the certificate issued).
    public var accepted: Bool
    /// Why it was refused (no secrets), e.g. `cn_mismatch`.
    public var reason: String?
    /// The writes to commit with the answer: the issued certificate's record (with the chain
    /// to send in CertificateSigned), or the security event of a refusal.
    public var writes: [StoreWrite]

    /// A decision.
    public init(accepted: Bool, reason: String? = nil, writes: [StoreWrite] = []) {
        self.accepted = accepted
        self.reason = reason
        self.writes = writes
    }
}

/// The signer used when no CA is configured: every request is refused.
public struct NoCertificateAuthority: CertificateSigning {
    /// The signer.
    public init() {}

    /// Refuses (`no_ca_configured`).
    public func sign(csr: String, chargePointId: ChargePointID, certificateType: String, now: Date) async
        -> CertificateSigningDecision
    {
        CertificateSigningDecision(accepted: false, reason: "no_ca_configured")
    }
}
