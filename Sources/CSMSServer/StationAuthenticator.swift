import CSMSCore
import Foundation
import Logging
import NIOCore
import NIOSSL

/// How a station's connection arrived: over TLS or not, and the verified client
/// certificate's identity when it presented one (TLS already checked the chain against the
/// CA bundle, and the validity period).
struct TransportSecurity: Sendable, Equatable {
    /// Whether the connection came in on the TLS listener.
    var isTLS: Bool
    /// The verified client certificate, if the station presented one.
    var clientCertificate: CertificateIdentity?

    /// A plain `ws://` connection.
    static let plain = TransportSecurity(isTLS: false, clientCertificate: nil)

    /// The transport of `channel`: TLS when the pipeline holds a TLS handler, with the peer's
    /// certificate when it presented one (a certificate that cannot be parsed counts as none).
    static func of(_ channel: any Channel) async -> TransportSecurity {
        let certificate: NIOSSLCertificate?
        do {
            certificate = try await channel.nioSSL_peerCertificate().get()
        } catch {
            return .plain  // no TLS handler in the pipeline
        }
        let identity = certificate.flatMap { try? CertificateIdentity(derEncoded: $0.toDERBytes()) }
        return TransportSecurity(isTLS: true, clientCertificate: identity)
    }
}

/// Why a station's opening handshake was refused (one metric label and one security event
/// type each).
enum AuthenticationFailure: String, Error, Sendable, CaseIterable, CustomStringConvertible {
    /// No (or a malformed) `Authorization: Basic` header where one is required.
    case missingCredentials = "missing_credentials"
    /// The Basic user name is not the charge point id of the URL.
    case wrongUser = "wrong_user"
    /// The password does not match the stored hash (or none is stored on profile 2).
    case wrongPassword = "wrong_password"
    /// Too many failed attempts from this address or for this id.
    case rateLimited = "rate_limited"
    /// Plain `ws://` is switched off (`security.plainWebSocket`).
    case plainWebSocketDisabled = "plain_ws_disabled"
    /// The station connected with a lower security profile than configured (downgrade).
    case profileTooLow = "profile_too_low"
    /// The client certificate's CN or O does not match the station.
    case certificateMismatch = "certificate_mismatch"
    /// The store could not be read to check the credentials.
    case storeUnavailable = "store_unavailable"

    var description: String { rawValue }

    /// The HTTP answer.
    func response(retryAfterSeconds: Int) -> UpgradeRefusalResponse {
        switch self {
        case .missingCredentials, .wrongUser, .wrongPassword: .unauthorized
        case .rateLimited: .tooManyRequests(retryAfterSeconds: retryAfterSeconds)
        case .plainWebSocketDisabled, .profileTooLow, .certificateMismatch: .forbidden
        case .storeUnavailable: .unavailable
        }
    }

    /// Whether a refusal for this reason is stored as a security event (not the rate-limited
    /// ones: a flood would be stored once per attempt; the metric counts them).
    var isSecurityEvent: Bool {
        switch self {
        case .rateLimited, .storeUnavailable: false
        default: true
        }
    }

    /// Whether the attempt counts against the failed-attempt limit.
    var counts: Bool {
        switch self {
        case .missingCredentials, .wrongUser, .wrongPassword, .profileTooLow, .certificateMismatch: true
        case .rateLimited, .plainWebSocketDisabled, .storeUnavailable: false
        }
    }
}

/// A station that passed the handshake checks, and the profile it achieved.
struct AuthenticatedStation: Sendable, Equatable {
    /// 0: nothing checked; 1: Basic over `ws://`; 2: Basic over TLS; 3: client certificate.
    var profile: Int
    /// The client certificate's identity on profile 3.
    var certificate: CertificateIdentity?
}

/// Decides whether a station may open its WebSocket (OCPP security profiles 1-3; OCPP 2.0.1
/// Part 2 A00 and the 1.6 security whitepaper; rules in docs/security.md).
struct StationAuthenticator: Sendable {
    let configuration: ServerConfiguration
    let store: any CSMSStore
    let limiter: AuthenticationLimiter
    let metrics: SecurityMetrics
    /// Seconds on a monotonic clock (the limiter's time).
    let monotonicNow: @Sendable () -> Double

    init(configuration: ServerConfiguration, store: any CSMSStore, metrics: SecurityMetrics) {
        self.configuration = configuration
        self.store = store
        self.metrics = metrics
        self.limiter = AuthenticationLimiter(
            burst: configuration.security.authFailureBurst,
            refillSeconds: Double(configuration.security.authFailureRefillSeconds))
        let start = ContinuousClock.now
        self.monotonicNow = { (ContinuousClock.now - start).timeInterval }
    }

    /// A stored form no password matches (computed once), checked against when a station has
    /// no password, so that refusing it takes as long as refusing a wrong one.
    static let dummyHash = PasswordHash.make(password: "no password is stored for this station")

    /// Checks the station's handshake; throws the failure (already counted in the metrics
    /// and the limiter) or returns the achieved profile.
    func authenticate(
        _ request: UpgradeRequest, id: ChargePointID, address: String?, transport: TransportSecurity
    ) async throws(AuthenticationRefusal) -> AuthenticatedStation {
        let now = monotonicNow()
        if let wait = limiter.retryAfter(address: address, id: id.rawValue, now: now) {
            throw refuse(.rateLimited, id: id, address: address, now: now, retryAfter: wait)
        }
        do {
            return try await check(request, id: id, transport: transport)
        } catch {
            throw refuse(error, id: id, address: address, now: now, retryAfter: 0)
        }
    }

    private func refuse(
        _ failure: AuthenticationFailure, id: ChargePointID, address: String?, now: Double, retryAfter: Int
    ) -> AuthenticationRefusal {
        if failure.counts { limiter.recordFailure(address: address, id: id.rawValue, now: now) }
        metrics.authenticationFailed(failure)
        return AuthenticationRefusal(failure: failure, response: failure.response(retryAfterSeconds: retryAfter))
    }

    private func check(
        _ request: UpgradeRequest, id: ChargePointID, transport: TransportSecurity
    ) async throws(AuthenticationFailure) -> AuthenticatedStation {
        if !transport.isTLS && !configuration.security.plainWebSocket { throw .plainWebSocketDisabled }
        let chargePoint: ChargePoint?
        let stationProfile: Int?
        do {
            chargePoint = try await store.chargePoint(id)
            stationProfile = try await store.securityProfile(of: id)
        } catch {
            throw .storeUnavailable
        }
        let required = stationProfile ?? configuration.securityProfile.rawValue
        if let certificate = transport.clientCertificate {
            try CertificateIdentity.checkBinding(certificate, id: id, operatorName: configuration.security.operatorName)
            return AuthenticatedStation(profile: 3, certificate: certificate)
        }
        if required >= 3 || (required >= 2 && !transport.isTLS) { throw .profileTooLow }
        if required == 0 { return AuthenticatedStation(profile: 0) }
        guard let stored = chargePoint?.passwordHash else {
            // Profile 1 (configured, not set for the station): a station without a password
            // connects without credentials, as before the per-station profiles existed.
            if required == 1 && stationProfile == nil { return AuthenticatedStation(profile: 0) }
            guard let credentials = request.basicCredentials() else { throw .missingCredentials }
            // Spend the time a real check takes, so that the answer's timing does not tell
            // whether the station has a password.
            _ = try? await PasswordHash.verifyOffPool(password: credentials.password, against: Self.dummyHash)
            throw .wrongPassword
        }
        guard let credentials = request.basicCredentials() else { throw .missingCredentials }
        guard credentials.user == id.rawValue else { throw .wrongUser }
        let matches: Bool
        do {
            matches = try await PasswordHash.verifyOffPool(password: credentials.password, against: stored)
        } catch {
            throw .storeUnavailable  // the thread pool is shutting down
        }
        guard matches else { throw .wrongPassword }
        return AuthenticatedStation(profile: transport.isTLS ? 2 : 1)
    }
}

/// A refused handshake: why, and the HTTP answer.
struct AuthenticationRefusal: Error, Sendable, Equatable {
    /// Why.
    var failure: AuthenticationFailure
    /// What the station is answered.
    var response: UpgradeRefusalResponse
}
